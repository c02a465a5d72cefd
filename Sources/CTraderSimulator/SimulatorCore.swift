// swift-ctrader: the local cTrader-compatible simulator.

import CTraderChannel
import CTraderMessaging
import Foundation
import Logging
import _CTraderLocking

/// What the writer of one connection does next.
enum Outbound: Sendable {
    case envelope(Envelope)
    /// Bytes sent as they are (a fault: see ``SimulatorFaults/sendRaw(_:)``).
    case raw([UInt8])
    case close
    case drop
}

/// The faults the I/O layer applies (the engine applies the others).
final class WireFaults: Sendable {
    let responseDelay = Locked<Duration?>(nil)
    /// Raw messages for the next connection that opens.
    let rawForNextConnection = Locked<[[UInt8]]>([])
}

/// Owns the engine; serializes every input, tick and fault change; routes outputs to the
/// connections' writers.
actor SimulatorCore {
    private var engine: SimulatorEngine
    private var outboxes: [SimulatorConnectionID: Outbox] = [:]
    private var nextConnection = 1
    private var isStopped = false
    let wireFaults = WireFaults()
    let logger: Logger
    /// ``Simulator/Configuration/maximumQueuedMessages``.
    let maximumQueuedMessages: Int

    /// One connection's queue, and how to drop it while its writer is stuck.
    private struct Outbox {
        let queue: OutboundQueue
        let abort: @Sendable () async -> Void
        var hasCoalesced = false
    }

    init(configuration: SimulatorEngine.Configuration, maximumQueuedMessages: Int = 4_096, logger: Logger) {
        self.engine = SimulatorEngine(configuration: configuration)
        self.maximumQueuedMessages = maximumQueuedMessages
        self.logger = logger
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000).rounded())
    }

    func register(_ queue: OutboundQueue, abort: @escaping @Sendable () async -> Void) -> SimulatorConnectionID {
        let id = nextConnection
        nextConnection += 1
        outboxes[id] = Outbox(queue: queue, abort: abort)
        engine.connect(id, now: Self.now())
        for bytes in wireFaults.rawForNextConnection.withLock({ pending in
            defer { pending = [] }
            return pending
        }) {
            _ = queue.push(.raw(bytes))
        }
        // A connection whose handshake finished while the simulator stopped is dropped at once.
        if isStopped { _ = queue.push(.drop) }
        return id
    }

    func receive(_ input: SimulatorEngine.Input, from id: SimulatorConnectionID) {
        deliver(engine.receive(input, from: id, now: Self.now()))
    }

    func tick() {
        deliver(engine.tick(now: Self.now()))
    }

    func disconnect(_ id: SimulatorConnectionID) {
        engine.disconnect(id)
        outboxes.removeValue(forKey: id)?.queue.finish()
    }

    var connectionCount: Int { outboxes.count }

    /// Queues raw bytes for every open connection.
    func sendRawToAll(_ bytes: [UInt8]) {
        for id in outboxes.keys.sorted() { enqueue(.raw(bytes), for: id) }
    }

    /// How many requests of `type` the engine received (refused ones included).
    func receivedRequestCount(of type: PayloadType) -> Int {
        engine.receivedRequestCounts[type, default: 0]
    }

    func updateFaults(_ change: @Sendable (inout SimulatorEngine.Faults) -> Void) {
        change(&engine.faults)
    }

    /// Changes the engine and carries out what it outputs (a fault that sends events).
    func perform(_ change: @Sendable (inout SimulatorEngine) -> [SimulatorEngine.Output]) {
        deliver(change(&engine))
    }

    /// Reads the engine.
    func read<T: Sendable>(_ body: @Sendable (SimulatorEngine) -> T) -> T {
        body(engine)
    }

    func setQuote(symbolId: Int64, bid: Int64, ask: Int64) {
        engine.setQuote(symbolId: symbolId, bid: bid, ask: ask)
    }

    func clearQuote(symbolId: Int64) {
        engine.clearQuote(symbolId: symbolId)
    }

    /// Drops every connection, and every later one.
    func stop() {
        isStopped = true
        endAll(.drop)
    }

    /// Drops (or closes) every connection.
    func endAll(_ how: Outbound) {
        for id in outboxes.keys.sorted() {
            _ = outboxes[id]?.queue.push(how)
        }
    }

    private func deliver(_ outputs: [SimulatorEngine.Output]) {
        for output in outputs {
            switch output {
            case .send(let id, let envelope):
                enqueue(.envelope(envelope), for: id)
            case .close(let id, let reason):
                logger.debug("simulator closes a connection", metadata: ["connection": "\(id)", "reason": "\(reason)"])
                enqueue(.close, for: id)
            }
        }
    }

    /// Queues an item; coalesces spot events, or drops the connection, when its client does not
    /// keep up.
    private func enqueue(_ item: Outbound, for id: SimulatorConnectionID) {
        guard let outbox = outboxes[id] else { return }
        switch outbox.queue.push(item) {
        case .queued:
            break
        case .coalesced:
            if !outbox.hasCoalesced {
                outboxes[id]?.hasCoalesced = true
                logger.debug(
                    "simulator coalesces spot events for a client that does not keep up",
                    metadata: ["connection": "\(id)", "maximumQueuedMessages": "\(maximumQueuedMessages)"]
                )
            }
        case .overflow:
            logger.warning(
                "simulator drops a connection whose client does not read: more than maximumQueuedMessages (\(maximumQueuedMessages)) messages are waiting",
                metadata: ["connection": "\(id)"]
            )
            outbox.queue.discardAndFinish()
            engine.disconnect(id)
            outboxes.removeValue(forKey: id)
            let abort = outbox.abort
            Task { await abort() }
        }
    }

    /// Runs one connection: registers it, writes what the engine sends it (in order, from its
    /// own task), feeds it what the channel receives (a message that does not decode included),
    /// and forgets it when reading ends.
    nonisolated func run(wire: some CTraderChannel) async {
        let queue = OutboundQueue(limit: maximumQueuedMessages)
        let id = await register(queue, abort: { await wire.abort() })
        let faults = wireFaults
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let item = await queue.next() {
                    switch item {
                    case .envelope(let envelope):
                        if let delay = faults.responseDelay.withLock({ $0 }) {
                            try? await Task.sleep(for: delay)
                        }
                        do {
                            try await wire.send(envelope)
                        } catch {
                            logger.debug(
                                "simulator write failed", metadata: ["connection": "\(id)", "error": "\(error)"])
                            await wire.abort()
                            return
                        }
                    case .raw(let bytes):
                        do {
                            guard let raw = wire as? any CTraderRawSendingChannel else { continue }
                            try await raw.sendRaw(bytes)
                        } catch {
                            await wire.abort()
                            return
                        }
                    case .close:
                        await wire.close()
                        return
                    case .drop:
                        await wire.abort()
                        return
                    }
                }
                await wire.close()
            }
            await Self.read(wire) { input in await self.receive(input, from: id) }
            await self.disconnect(id)
            await group.waitForAll()
        }
    }

    /// Reads until the stream ends or fails; a failure that ends the stream (a protobuf frame too
    /// long) still reaches the engine, which answers it before the connection goes.
    private static func read(
        _ wire: some CTraderChannel, deliver: (SimulatorEngine.Input) async -> Void
    ) async {
        do {
            while let element = try await wire.next() {
                switch element {
                case .envelope(let envelope): await deliver(.envelope(envelope))
                case .undecodable(let error, _): await deliver(.undecodable(error))
                }
            }
        } catch let error as MessagingError {
            await deliver(.undecodable(error))
        } catch {
            return
        }
    }
}
