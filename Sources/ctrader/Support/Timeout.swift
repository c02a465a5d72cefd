import CTraderSession
import _CTraderLocking

/// Runs `body`, failing with a timeout error after `seconds`.
func withTimeout<T: Sendable>(
    _ seconds: Double,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await _CTraderLocking.withTimeout(
        .milliseconds(Int(seconds * 1000)),
        timeoutError: { CTraderError(code: .timeout, reason: "no \(what) within \(seconds) s") },
        body
    )
}
