// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging
import _CTraderLocking

/// One element of an event stream: a server event, or the marker that the connection was
/// re-established after a gap during which events may have been missed.
public enum CTraderStreamElement<Message: CTraderMessage>: Sendable {
    /// A server event.
    case message(Message)
    /// The client reconnected and restored its subscriptions; events of the last `gap` were
    /// missed (quotes resume by themselves; for executions, reconcile with `ProtoOAReconcileReq`).
    case reconnected(gap: Duration)

    /// The message, or `nil` for a marker.
    public var message: Message? {
        if case .message(let message) = self { return message }
        return nil
    }
}

/// What a stream does when its consumer falls behind and its buffer is full.
public struct CTraderOverflowPolicy: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case keepLatestPerSymbol
        case failStream
    }

    let kind: Kind

    /// Quotes: a new event merges into the buffered one of the same account and symbol (spot
    /// events with `CTraderMessaging.ProtoOASpotEvent.merging(newer:)`: the newer event's fields
    /// win, the bid or ask it lacks is kept; other events replace it); when no such event is
    /// buffered, the oldest buffered event is dropped. A slow consumer sees fewer, but the latest,
    /// quotes.
    public static let keepLatestPerSymbol = CTraderOverflowPolicy(kind: .keepLatestPerSymbol)
    /// Nothing is dropped: the stream delivers what it buffered and then ends with
    /// ``CTraderError/Code/streamOverflow``. Used for executions, order errors, depth deltas and
    /// account events, which must never be lost silently.
    public static let failStream = CTraderOverflowPolicy(kind: .failStream)

    /// The policy's name.
    public var description: String {
        switch kind {
        case .keepLatestPerSymbol: "keepLatestPerSymbol"
        case .failStream: "failStream"
        }
    }
}

/// What one ``CTraderEventStream`` did with the events it was offered, counted since it was made.
///
/// Every event offered is delivered, merged, dropped, or still buffered.
public struct CTraderStreamStatistics: Sendable, Hashable, CustomStringConvertible {
    /// Elements handed to the consumer: events, and ``CTraderStreamElement/reconnected(gap:)``
    /// markers.
    public var delivered: Int
    /// Events merged into a buffered event of the same account and symbol
    /// (``CTraderOverflowPolicy/keepLatestPerSymbol``): each is part of an element delivered later.
    public var merged: Int
    /// Events lost to the overflow policy: the oldest events a
    /// ``CTraderOverflowPolicy/keepLatestPerSymbol`` stream dropped to make room, or the event that
    /// overflowed a ``CTraderOverflowPolicy/failStream`` stream (which then ended).
    public var dropped: Int

    /// Makes statistics.
    public init(delivered: Int = 0, merged: Int = 0, dropped: Int = 0) {
        self.delivered = delivered
        self.merged = merged
        self.dropped = dropped
    }

    /// `delivered 3, merged 1, dropped 0`.
    public var description: String { "delivered \(delivered), merged \(merged), dropped \(dropped)" }
}

/// A stream of one kind of server event, with a bounded buffer and an overflow policy.
///
/// Single consumer. Iterating it never slows the connection: the connection's reader only ever
/// appends to the buffer. The stream ends when the client shuts down, and throws the client's
/// permanent error (``CTraderError/Code/authenticationFailed``,
/// ``CTraderError/Code/reconnectGaveUp``) or ``CTraderError/Code/streamOverflow``.
///
/// The stream stays registered with its client (``CTraderClient/activeStreamCount``) only while
/// someone can read it: it ends and unregisters when the task waiting in `next()` is cancelled,
/// and once neither the stream nor an iterator of it is referenced any more (a
/// `for try await … in client.spots()` loop releases both when it ends). A second task calling
/// `next()` while one is waiting gets ``CTraderError/Code/alreadyConsumed``.
public struct CTraderEventStream<Message: CTraderMessage>: AsyncSequence, Sendable {
    /// A message or a reconnect marker.
    public typealias Element = CTraderStreamElement<Message>

    let lifetime: StreamLifetime<Message>

    init(buffer: EventBuffer<Message>) {
        lifetime = StreamLifetime(buffer: buffer)
    }

    /// What the stream delivered, merged and dropped so far.
    public var statistics: CTraderStreamStatistics { lifetime.buffer.statistics }

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let lifetime: StreamLifetime<Message>

        /// The next element; `nil` once the stream ended.
        ///
        /// - Throws: ``CTraderError`` when the stream failed, or
        ///   ``CTraderError/Code/alreadyConsumed`` when another task is waiting in `next()`;
        ///   `CancellationError` when the calling task is cancelled while waiting (the stream then
        ///   ends).
        public mutating func next() async throws -> CTraderStreamElement<Message>? {
            try await lifetime.buffer.next()
        }
    }

    /// Makes the iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lifetime: lifetime)
    }
}

/// Held by a stream and its iterators: when the last of them goes, the stream ends and leaves
/// the hub.
final class StreamLifetime<Message: CTraderMessage>: Sendable {
    let buffer: EventBuffer<Message>

    init(buffer: EventBuffer<Message>) {
        self.buffer = buffer
    }

    deinit {
        buffer.release()
    }
}

/// What the event hub needs of a stream's buffer, whatever its message type.
protocol EventSink: AnyObject, Sendable {
    /// Whether the sink wants events of this payload type.
    var payloadType: PayloadType { get }
    /// Whether the sink ended (the hub forgets it).
    var isEnded: Bool { get }
    /// Remembers the hub, so that the sink leaves it when it ends.
    func attach(to hub: EventHub)
    /// Offers an event; returns `false` once the sink ended (the hub then forgets it).
    func deliver(_ envelope: Envelope) -> Bool
    /// Appends a reconnect marker.
    func reconnected(gap: Duration)
    /// Ends the stream.
    func finish(_ error: CTraderError?)
}

/// The buffer behind one ``CTraderEventStream``: an ``AsyncSingleConsumerBuffer`` whose overflow
/// policy is the stream's ``CTraderOverflowPolicy``.
final class EventBuffer<Message: CTraderMessage>: EventSink {
    private struct Item: Sendable {
        var element: CTraderStreamElement<Message>
        var key: SymbolKey?
    }

    private struct SymbolKey: Hashable, Sendable {
        var account: Int64
        var symbol: Int64
    }

    private struct Registration {
        weak var hub: EventHub?
    }

    let payloadType: PayloadType
    private let capacity: Int
    private let filter: @Sendable (Message) -> Bool
    private let buffer: AsyncSingleConsumerBuffer<Item>
    private let registration = Locked(Registration())

    init(capacity: Int, policy: CTraderOverflowPolicy, filter: @escaping @Sendable (Message) -> Bool = { _ in true }) {
        self.payloadType = Message.messagePayloadType
        self.capacity = max(1, capacity)
        self.filter = filter
        self.buffer = AsyncSingleConsumerBuffer(limit: self.capacity, policy: Self.overflowPolicy(policy))
    }

    /// The buffer's policy for a stream's policy.
    private static func overflowPolicy(_ policy: CTraderOverflowPolicy) -> OverflowPolicy<Item> {
        switch policy.kind {
        case .keepLatestPerSymbol:
            // A new event merges into the buffered one of its account and symbol; otherwise the
            // oldest message (never a reconnect marker) makes room.
            .coalesce(
                key: { item in item.key.map { AnyHashable($0) } },
                merge: { buffered, newer in buffered.element = merged(buffered.element, newer.element) },
                compact: false,
                otherwise: .dropOldest(evictable: { $0.key != nil || $0.element.message != nil })
            )
        case .failStream:
            .fail
        }
    }

    /// Spot events merge (a bid-only update followed by an ask-only one keeps both sides); any
    /// other event replaces the buffered one.
    private static func merged(
        _ older: CTraderStreamElement<Message>,
        _ newer: CTraderStreamElement<Message>
    ) -> CTraderStreamElement<Message> {
        guard let old = older.message as? ProtoOASpotEvent, let new = newer.message as? ProtoOASpotEvent,
            let merged = old.merging(newer: new) as? Message
        else { return newer }
        return .message(merged)
    }

    /// The account and the one symbol an event is about (generated catalogue facts): spot and
    /// depth events, and any other event that names exactly one symbol of one account.
    private static func key(of message: Message) -> SymbolKey? {
        guard let scoped = message as? any AccountScopedMessage & SymbolScopedMessage,
            let account = scoped.accountId, scoped.symbolIds.count == 1
        else { return nil }
        return SymbolKey(account: account, symbol: scoped.symbolIds[0])
    }

    var isEnded: Bool { buffer.isEnded }

    var statistics: CTraderStreamStatistics {
        let counts = buffer.statistics
        return CTraderStreamStatistics(delivered: counts.delivered, merged: counts.coalesced, dropped: counts.dropped)
    }

    func attach(to hub: EventHub) {
        registration.withLock { $0.hub = hub }
    }

    func deliver(_ envelope: Envelope) -> Bool {
        guard let message = envelope.message(as: Message.self) else { return !buffer.isEnded }
        guard filter(message) else { return !buffer.isEnded }
        switch buffer.push(Item(element: .message(message), key: Self.key(of: message))) {
        case nil:
            return false
        case .failed:
            finish(
                CTraderError(
                    code: .streamOverflow,
                    reason: "the \(Message.messagePayloadType) stream's consumer fell \(capacity) events behind; "
                        + "these events are never dropped, so the stream ends",
                    payloadType: Message.messagePayloadType
                )
            )
            return false
        case .appended, .coalesced, .droppedOldest, .dropped, .full:
            return true
        }
    }

    func reconnected(gap: Duration) {
        buffer.pushIgnoringLimit(Item(element: .reconnected(gap: gap), key: nil))
    }

    /// Ends the stream (its consumer drains what is buffered) and leaves the hub.
    func finish(_ error: CTraderError?) {
        buffer.finish(throwing: error)
        leaveHub()
    }

    /// Nobody reads the stream any more: ends it, discarding what is buffered, and leaves the hub.
    func release() {
        buffer.finish(discarding: true)
        leaveHub()
    }

    private func leaveHub() {
        let hub = registration.withLock { registration in
            defer { registration.hub = nil }
            return registration.hub
        }
        hub?.remove(self)
    }

    func next() async throws -> CTraderStreamElement<Message>? {
        do {
            return try await buffer.next()?.element
        } catch is CancellationError {
            release()
            throw CancellationError()
        } catch is ConcurrentConsumerError {
            throw CTraderError(
                code: .alreadyConsumed,
                reason: "another task is already waiting for the \(Message.messagePayloadType) stream's next event; "
                    + "a stream has one consumer",
                payloadType: Message.messagePayloadType
            )
        }
    }
}

/// Fans server events out to the streams.
final class EventHub: Sendable {
    private struct State {
        /// The sinks by the payload type they want: a delivery copies one array (no allocation).
        var sinks: [PayloadType: [any EventSink]] = [:]
        var statusContinuations: [AsyncStream<SessionStatus>.Continuation] = []
        var ended: CTraderError?? = nil
    }

    private let state = Locked(State())

    /// The number of registered sinks: streams that can still be read, and internal waiters.
    var count: Int {
        state.withLock { $0.sinks.values.reduce(0) { $0 + $1.count } }
    }

    /// Adds a sink; a sink added after the end ends at once. The sink leaves the hub when it ends.
    func add(_ sink: any EventSink) {
        sink.attach(to: self)
        let ended: CTraderError?? = state.withLock { state in
            if state.ended == nil { state.sinks[sink.payloadType, default: []].append(sink) }
            return state.ended
        }
        if let ended {
            sink.finish(ended)
        } else if sink.isEnded {
            // It ended while being added, before it could find itself here.
            remove(sink)
        }
    }

    /// Forgets a sink.
    func remove(_ sink: any EventSink) {
        state.withLock { state in
            guard var sinks = state.sinks.removeValue(forKey: sink.payloadType) else { return }
            sinks.removeAll { $0 === sink }
            if !sinks.isEmpty { state.sinks[sink.payloadType] = sinks }
        }
    }

    func statusStream(bufferSize: Int) -> AsyncStream<SessionStatus> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SessionStatus.self,
            bufferingPolicy: .bufferingNewest(bufferSize)
        )
        let ended = state.withLock { state in
            if state.ended == nil { state.statusContinuations.append(continuation) }
            return state.ended != nil
        }
        if ended { continuation.finish() }
        return stream
    }

    func deliver(_ envelope: Envelope) {
        guard let sinks = state.withLock({ $0.sinks[envelope.payloadType] }) else { return }
        for sink in sinks where !sink.deliver(envelope) {
            remove(sink)
        }
    }

    func status(_ status: SessionStatus) {
        let continuations = state.withLock { $0.statusContinuations }
        for continuation in continuations { continuation.yield(status) }
        if case .reconnected(let gap) = status {
            for sink in state.withLock({ $0.sinks.values.joined() }) { sink.reconnected(gap: gap) }
        }
    }

    func finish(_ error: CTraderError?) {
        let (sinks, continuations) = state.withLock { state in
            state.ended = .some(error)
            defer {
                state.sinks = [:]
                state.statusContinuations = []
            }
            return (state.sinks.values.joined(), state.statusContinuations)
        }
        for sink in sinks { sink.finish(error) }
        for continuation in continuations { continuation.finish() }
    }
}
