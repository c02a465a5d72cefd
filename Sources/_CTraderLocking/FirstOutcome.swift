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

extension FirstOutcome {
    /// Waits for the first outcome, or for `deadline` (then `timeoutError()` is the outcome), or
    /// for the calling task's cancellation (then `CancellationError`). A `nil` deadline never
    /// passes. Call it once.
    public func value(
        deadline: ContinuousClock.Instant?,
        timeoutError: @escaping @Sendable () -> any Error
    ) async throws -> T {
        let timer: Task<Void, Never>? = deadline.map { deadline in
            Task { [self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { settle(.failure(timeoutError())) }
            }
        }
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await value()
        } onCancel: {
            settle(.failure(CancellationError()))
        }
    }
}

/// Runs `body` and fails with `timeoutError()` once `limit` passes: the one timeout helper.
///
/// Unlike a task group, which waits for every child before it returns, this returns at the
/// deadline even when `body` ignores cancellation: `body` (an unstructured task) is cancelled and
/// left to finish on its own, and its late result is dropped.
public func withTimeout<T: Sendable>(
    _ limit: Duration,
    timeoutError: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = FirstOutcome<T>()
    let work = Task {
        do {
            outcome.settle(.success(try await body()))
        } catch {
            outcome.settle(.failure(error))
        }
    }
    defer { work.cancel() }
    return try await outcome.value(deadline: .now + limit, timeoutError: timeoutError)
}
