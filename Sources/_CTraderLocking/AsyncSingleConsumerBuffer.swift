// swift-ctrader: a bounded buffer between producers and one waiting consumer. Not API (see
// Locking.swift).

/// A ``SingleConsumerBuffer`` behind a lock, with the one consumer task that may wait for it.
///
/// Producers push synchronously (never suspending); a push that finds the consumer waiting hands
/// the element straight over. The buffer ends with ``finish(throwing:discarding:)``: the consumer
/// drains what is buffered, then gets the error (once), then `nil`.
///
/// It counts what it did (``statistics``) under the lock it takes anyway: no cost per element
/// beyond three integers.
public final class AsyncSingleConsumerBuffer<Element: Sendable>: Sendable {
    private struct State {
        var buffer: SingleConsumerBuffer<Element>
        var waiter: CheckedContinuation<Element?, any Error>?
        var ended = false
        var failure: (any Error)?
        var statistics = BufferStatistics()
        /// Numbers the waits, so that a cancelled call resumes only its own wait (not that of
        /// the consumer a second, refused, consumer found waiting).
        var lastTicket: UInt64 = 0
        var waiterTicket: UInt64 = 0
    }

    private enum Immediate {
        case element(Element)
        case end
        case fail(any Error)
        case wait
    }

    private let state: Locked<State>

    /// An empty buffer of at most `limit` elements, whose `policy` decides what a push into a full
    /// buffer does.
    public init(limit: Int, policy: OverflowPolicy<Element>) {
        state = Locked(State(buffer: SingleConsumerBuffer(limit: limit, policy: policy)))
    }

    /// The number of buffered elements.
    public var count: Int { state.withLock { $0.buffer.count } }

    /// Whether the buffer ended (pushes are ignored).
    public var isEnded: Bool { state.withLock { $0.ended } }

    /// Whether a consumer is waiting in ``next()``.
    public var hasWaitingConsumer: Bool { state.withLock { $0.waiter != nil } }

    /// What the buffer delivered, coalesced and dropped so far.
    public var statistics: BufferStatistics { state.withLock { $0.statistics } }

    /// Offers `element`: to the waiting consumer, or to the buffer and its policy. `nil` once the
    /// buffer ended (the element is dropped). On ``PushResult/failed`` the owner typically calls
    /// ``finish(throwing:discarding:)``.
    public func push(_ element: Element) -> PushResult? {
        push(element, ignoringLimit: false)
    }

    /// Offers `element` whatever the limit (control items, markers); `false` once ended.
    @discardableResult
    public func pushIgnoringLimit(_ element: Element) -> Bool {
        push(element, ignoringLimit: true) != nil
    }

    private func push(_ element: Element, ignoringLimit: Bool) -> PushResult? {
        let (waiter, result): (CheckedContinuation<Element?, any Error>?, PushResult?) = state.withLock { state in
            if state.ended { return (nil, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                state.statistics.delivered += 1
                return (waiter, .appended)
            }
            if ignoringLimit {
                state.buffer.pushIgnoringLimit(element)
                return (nil, .appended)
            }
            let result = state.buffer.push(element)
            state.statistics.count(result)
            return (nil, result)
        }
        waiter?.resume(returning: element)
        return result
    }

    /// Ends the buffer: the consumer drains it (unless `discarding`), then gets `error` (if any),
    /// then `nil`. Only the first call counts.
    public func finish(throwing error: (any Error)? = nil, discarding: Bool = false) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLock { state in
            if discarding { state.buffer.removeAll() }
            if state.ended { return nil }
            state.ended = true
            let waiter = state.waiter
            state.waiter = nil
            // A waiting consumer gets the error now, so it is not kept for later.
            state.failure = waiter == nil ? error : nil
            return waiter
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// The next element; `nil` once the buffer ended and was drained.
    ///
    /// - Throws: the error given to ``finish(throwing:discarding:)`` (once, after the buffered
    ///   elements), `CancellationError` when the calling task is cancelled while waiting, or
    ///   ``ConcurrentConsumerError`` when another consumer is already waiting (the waiting one
    ///   keeps waiting).
    public func next() async throws -> Element? {
        let (first, ticket) = state.withLock { state in
            state.lastTicket &+= 1
            return (Self.take(&state), state.lastTicket)
        }
        switch first {
        case .element(let element): return element
        case .end: return nil
        case .fail(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Immediate = state.withLock { state in
                    let result = Self.take(&state)
                    if case .wait = result {
                        // A cancellation that came before the handler was installed.
                        if Task.isCancelled { return .fail(CancellationError()) }
                        if state.waiter != nil { return .fail(ConcurrentConsumerError()) }
                        state.waiter = continuation
                        state.waiterTicket = ticket
                    }
                    return result
                }
                switch immediate {
                case .element(let element): continuation.resume(returning: element)
                case .end: continuation.resume(returning: nil)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Element?, any Error>? = state.withLock { state in
                guard state.waiterTicket == ticket else { return nil }
                let waiter = state.waiter
                state.waiter = nil
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private static func take(_ state: inout State) -> Immediate {
        if let element = state.buffer.pop() {
            state.statistics.delivered += 1
            return .element(element)
        }
        if state.ended {
            if let failure = state.failure {
                state.failure = nil
                return .fail(failure)
            }
            return .end
        }
        return .wait
    }
}

/// What an ``AsyncSingleConsumerBuffer`` did with the elements offered to it, since it was made.
public struct BufferStatistics: Sendable, Hashable {
    /// Elements handed to the consumer.
    public var delivered = 0
    /// Pushes that were merged into buffered elements (``PushResult/coalesced``).
    public var coalesced = 0
    /// Elements the overflow policy dropped: evicted (``PushResult/droppedOldest``), refused
    /// (``PushResult/dropped``) or failed (``PushResult/failed``).
    public var dropped = 0

    /// Counts.
    public init(delivered: Int = 0, coalesced: Int = 0, dropped: Int = 0) {
        self.delivered = delivered
        self.coalesced = coalesced
        self.dropped = dropped
    }

    mutating func count(_ result: PushResult) {
        switch result {
        case .appended, .full: break
        case .coalesced: coalesced += 1
        case .droppedOldest, .dropped, .failed: dropped += 1
        }
    }
}

/// A second consumer called ``AsyncSingleConsumerBuffer/next()`` while one was already waiting:
/// the buffer has one consumer, so the newcomer gets this error instead of an element.
public struct ConcurrentConsumerError: Error, Hashable, Sendable {
    /// The error.
    public init() {}
}
