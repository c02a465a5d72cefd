// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderChannel
public import CTraderMessaging
import _CTraderLocking

/// The envelopes a simulator read and wrote, over every connection since it started (raw
/// messages and messages that did not decode are not counted).
public struct SimulatorMessageCounts: Sendable, Hashable {
    /// Envelopes read from clients.
    public var received = 0
    /// Envelopes written to clients.
    public var sent = 0

    /// Makes counts.
    public init(received: Int = 0, sent: Int = 0) {
        self.received = received
        self.sent = sent
    }
}

/// The market events of a tape, timed for a simulator to serve: its spot events (with their live
/// trendbars) and depth events, received on any connection, in recorded order, each at its
/// recorded distance from the first one divided by the speed.
///
/// ```swift
/// var configuration = Simulator.Configuration()
/// configuration.tape = SimulatorTapeFeed(tape: try CTraderTape(contentsOf: url), speed: 10)
/// let simulator = try await Simulator.start(configuration)
/// ```
///
/// Authentication, accounts, symbols, history and trading work as usual; only the live market
/// comes from the tape, and its prices become the symbols' quotes (orders fill at them). Playing
/// starts when the first client subscribes to spots or depth quotes, and stops at the tape's end.
public struct SimulatorTapeFeed: Sendable {
    /// One event: when, counted from the start of playing, and what.
    public struct Event: Sendable {
        /// The time from the start of playing.
        public var offset: Duration
        /// The spot or depth event.
        public var envelope: Envelope
    }

    /// The events, in recorded order.
    public let events: [Event]
    /// The speed: 1 plays in recorded time, 10 ten times as fast.
    public let speed: Double

    /// The market events of `tape`, at `speed` (more than 0; default 1).
    public init(tape: CTraderTape, speed: Double = 1, codec: JSONEnvelopeCodec = JSONEnvelopeCodec()) {
        let speed = speed > 0 && speed.isFinite ? speed : 1
        var events: [Event] = []
        var start: Int64?
        for entry in tape.entries where entry.direction == .received {
            guard let type = entry.payloadType, type == .protoOaSpotEvent || type == .protoOaDepthEvent,
                let envelope = try? entry.envelope(codec: codec)
            else { continue }
            let first = start ?? entry.time
            start = first
            let nanoseconds = Double(max(0, entry.time - first)) * 1_000_000 / speed
            events.append(Event(offset: .nanoseconds(Int64(nanoseconds.rounded())), envelope: envelope))
        }
        self.events = events
        self.speed = speed
    }

    /// How long playing takes: the last event's offset.
    public var duration: Duration { events.last?.offset ?? .zero }

    /// Plays the events: for each, waits with `sleepUntil(offset)` (a real or a virtual clock),
    /// then hands it to `deliver`.
    ///
    /// - Throws: what `sleepUntil` throws (`CancellationError` when cancelled).
    public func play(
        sleepUntil: (Duration) async throws -> Void, deliver: (Envelope) async -> Void
    ) async throws {
        for event in events {
            try await sleepUntil(event.offset)
            await deliver(event.envelope)
        }
    }
}

extension Simulator {
    /// The envelopes read from and written to clients so far.
    public var messageCounts: SimulatorMessageCounts {
        core.counts.withLock { $0 }
    }

    /// Plays a tape on the continuous clock once a client subscribes; see ``SimulatorTapeFeed``.
    /// Returns at once without a tape.
    static func playTape(_ feed: SimulatorTapeFeed?, core: SimulatorCore) async {
        guard let feed else { return }
        await core.waitForTapeSubscriber()
        guard !Task.isCancelled else { return }
        let clock = ContinuousClock()
        let start = clock.now
        try? await feed.play(
            sleepUntil: { offset in try await clock.sleep(until: start.advanced(by: offset)) },
            deliver: { envelope in await core.playTape(envelope) })
    }
}
