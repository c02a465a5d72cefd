// swift-ctrader: the cTrader Open API session layer.

import _CTraderLocking

/// The session's events (``CTraderSessionEvent``) as they happen, from the moment it was made:
/// what ``CTraderClient/sessionEvents(bufferSize:)`` returns.
///
/// Single consumer, with a bounded buffer: when its consumer falls behind, the oldest buffered
/// event is dropped to make room, and counted in ``statistics``. The stream ends after
/// ``CTraderSessionEvent/gaveUp(_:)`` and at ``CTraderClient/shutdown()``, and once neither it nor
/// an iterator of it is referenced any more. A second task calling `next()` while one is waiting
/// gets ``CTraderError/Code/alreadyConsumed``.
public struct CTraderSessionEvents: AsyncSequence, Sendable {
    /// A session event.
    public typealias Element = CTraderSessionEvent

    let lifetime: SessionEventLifetime

    /// What the stream delivered and dropped so far (``CTraderStreamStatistics/merged`` stays 0).
    public var statistics: CTraderStreamStatistics {
        let counts = lifetime.buffer.statistics
        return CTraderStreamStatistics(delivered: counts.delivered, merged: 0, dropped: counts.dropped)
    }

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let lifetime: SessionEventLifetime

        /// The next event; `nil` once the stream ended.
        ///
        /// - Throws: ``CTraderError/Code/alreadyConsumed`` when another task is waiting in
        ///   `next()`; `CancellationError` when the calling task is cancelled while waiting (the
        ///   stream then ends).
        public mutating func next() async throws -> CTraderSessionEvent? {
            do {
                return try await lifetime.buffer.next()
            } catch is CancellationError {
                lifetime.end()
                throw CancellationError()
            } catch is ConcurrentConsumerError {
                throw CTraderError(
                    code: .alreadyConsumed,
                    reason: "another task is already waiting for the next session event; a stream has one consumer"
                )
            }
        }
    }

    /// Makes the iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lifetime: lifetime)
    }
}

/// Held by a session event stream and its iterators: when the last of them goes, the stream ends
/// and leaves the hub.
final class SessionEventLifetime: Sendable {
    let buffer: AsyncSingleConsumerBuffer<CTraderSessionEvent>
    private let hub: SessionEventHub
    let id: Int

    init(buffer: AsyncSingleConsumerBuffer<CTraderSessionEvent>, hub: SessionEventHub, id: Int) {
        self.buffer = buffer
        self.hub = hub
        self.id = id
    }

    func end() {
        buffer.finish(discarding: true)
        hub.remove(id)
    }

    deinit {
        end()
    }
}

/// The session event streams of one client; shared by the client actor and its nonisolated
/// accessors.
final class SessionEventHub: Sendable {
    private struct State {
        var nextID = 0
        var buffers: [Int: AsyncSingleConsumerBuffer<CTraderSessionEvent>] = [:]
        var finished = false
    }

    private let state = Locked(State())

    /// The number of open streams.
    var count: Int { state.withLock { $0.buffers.count } }

    func stream(bufferSize: Int) -> CTraderSessionEvents {
        let buffer = AsyncSingleConsumerBuffer<CTraderSessionEvent>(limit: max(1, bufferSize), policy: .dropOldest)
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.buffers[id] = buffer
            return id
        }
        if id == nil { buffer.finish() }
        return CTraderSessionEvents(lifetime: SessionEventLifetime(buffer: buffer, hub: self, id: id ?? -1))
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.buffers.removeValue(forKey: id) }
    }

    func emit(_ event: CTraderSessionEvent) {
        let buffers = state.withLock { Array($0.buffers.values) }
        for buffer in buffers { _ = buffer.push(event) }
    }

    /// Ends every stream (each delivers what it buffered first); later streams end at once.
    func finish() {
        let buffers = state.withLock { state in
            state.finished = true
            defer { state.buffers = [:] }
            return Array(state.buffers.values)
        }
        for buffer in buffers { buffer.finish() }
    }
}

extension CTraderClient {
    /// What the session does to stay usable, from now on: connecting, ready, accounts authorized,
    /// accounts whose session the server ended (2164, 2147), reconnecting (attempt, delay, cause;
    /// the cause of a `ProtoOAClientDisconnectEvent` carries the server's reason), restored, what
    /// failed to be restored and why (it is retried at the next chance), tokens refreshed or not,
    /// giving up, messages skipped. No event carries a token.
    ///
    /// Each call makes a new single-consumer stream. Keeps at most `bufferSize` (default 256)
    /// events when not consumed, dropping the oldest (counted in
    /// ``CTraderSessionEvents/statistics``). Ends after ``CTraderSessionEvent/gaveUp(_:)`` and at
    /// ``shutdown()``.
    public nonisolated func sessionEvents(bufferSize: Int = 256) -> CTraderSessionEvents {
        sessionEventHub.stream(bufferSize: bufferSize)
    }
}
