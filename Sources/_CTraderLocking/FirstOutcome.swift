// swift-ctrader: a one-shot rendezvous between several racing producers and one waiting task.
// Not API (see Locking.swift).

/// The first of several outcomes (say a result, a timeout and a cancellation), handed to the one
/// task that waits in ``value()``; later outcomes are dropped.
///
/// Unlike a task group, the waiter does not wait for the losers: a producer stuck in a call that
/// cannot be interrupted (`getaddrinfo`, or a test body that ignores cancellation) no longer
/// holds it up.
public final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `state` is guarded by `lock`.
    private enum State {
        case pending
        case waiting(CheckedContinuation<T, any Error>)
        case settled(Result<T, any Error>)
        case delivered
    }

    private let lock = Lock()
    private var state = State.pending

    public init() {}

    /// Offers an outcome; only the first one counts.
    public func settle(_ result: Result<T, any Error>) {
        let continuation: CheckedContinuation<T, any Error>? = lock.withLock {
            switch state {
            case .pending:
                state = .settled(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .settled, .delivered:
                return nil
            }
        }
        continuation?.resume(with: result)
    }

    /// Waits for the first outcome (returns at once if it came already). Call it once.
    public func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<T, any Error>? = lock.withLock {
                if case .settled(let result) = state {
                    state = .delivered
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
