// swift-ctrader: a bounded buffer between producers and one waiting consumer. Not API (see
// Locking.swift).

/// A ``SingleConsumerBuffer`` behind a lock, with the one consumer task that may wait for it.
///
/// Producers push synchronously (never suspending); a push that finds the consumer waiting hands
/// the element straight over. The buffer ends with ``finish(throwing:discarding:)``: the consumer
/// drains what is buffered, then gets the error (once), then `nil`.
public final class AsyncSingleConsumerBuffer<Element: Sendable>: Sendable {
    private struct State {
        var buffer: SingleConsumerBuffer<Element>
        var waiter: CheckedContinuation<Element?, any Error>?
        var ended = false
        var failure: (any Error)?
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
                return (waiter, .appended)
            }
            if ignoringLimit {
                state.buffer.pushIgnoringLimit(element)
                return (nil, .appended)
            }
            return (nil, state.buffer.push(element))
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
    ///   elements), or `CancellationError` when the calling task is cancelled while waiting.
    public func next() async throws -> Element? {
        switch state.withLock({ Self.take(&$0) }) {
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
                        precondition(state.waiter == nil, "a single-consumer buffer has more than one consumer")
                        state.waiter = continuation
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
            let waiter = state.withLock { state in
                let waiter = state.waiter
                state.waiter = nil
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private static func take(_ state: inout State) -> Immediate {
        if let element = state.buffer.pop() { return .element(element) }
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
