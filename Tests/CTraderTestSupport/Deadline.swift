import _CTraderLocking

/// A test step did not finish within its hang guard.
public struct TestTimeout: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration
    public init(what: String, limit: Duration) {
        self.what = what
        self.limit = limit
    }
    public var description: String { "\(what) did not finish within \(limit)" }
}

/// Runs `body` and fails with ``TestTimeout`` once `limit` passes: a hang guard, not a threshold,
/// so limits are generous.
///
/// Unlike a task group, which waits for every child before it returns, this returns at the
/// deadline even when `body` ignores cancellation: `body` is cancelled and left to finish on its
/// own. A test whose code under test fails to honour cancellation therefore fails with a message
/// that names the step, instead of hanging the whole test run.
@discardableResult
public func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(180),
    _ what: String = "test step",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await _CTraderLocking.withTimeout(limit, timeoutError: { TestTimeout(what: what, limit: limit) }, body)
}
