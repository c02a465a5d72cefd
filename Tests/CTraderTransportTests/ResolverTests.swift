import CTraderTestSupport
import Foundation
import Testing

@testable import CTraderTransport

/// The resolver pool: a lookup that never ends must not hold its caller past the deadline or a
/// cancellation, nor hold up other lookups.
@Suite(.timeLimit(.minutes(5))) struct ResolverPoolTests {
    /// A job that blocks its pool thread until the test releases it.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        func wait() { semaphore.wait() }
        func open() { semaphore.signal() }
    }

    struct Timeout: Error, Equatable {}

    /// A lookup that holds its pool thread until `gate` opens, then returns 1.
    private func stuckLookup(_ gate: Gate) -> Task<Int, any Error> {
        Task {
            try await ResolverPool.shared.run(deadline: nil, timeoutError: Timeout()) {
                gate.wait()
                return 1
            }
        }
    }

    @Test func aCallerStopsWaitingAtTheDeadline() async throws {
        let gate = Gate()
        defer { gate.open() }
        try await withTimeout(.seconds(180), "a lookup past its deadline") {
            await #expect(throws: Timeout()) {
                _ = try await ResolverPool.shared.run(deadline: .now + .milliseconds(50), timeoutError: Timeout()) {
                    gate.wait()
                    return 1
                }
            }
        }
    }

    @Test func aCancelledCallerStopsWaiting() async throws {
        let gate = Gate()
        defer { gate.open() }
        try await withTimeout(.seconds(180), "a cancelled lookup") {
            let waiting = stuckLookup(gate)
            waiting.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        }
    }

    @Test func aStuckLookupDoesNotHoldUpTheNext() async throws {
        let gate = Gate()
        defer { gate.open() }
        try await withTimeout(.seconds(180), "a lookup behind a stuck one") {
            let stuck = stuckLookup(gate)
            let next = try await ResolverPool.shared.run(deadline: nil, timeoutError: Timeout()) { 2 }
            #expect(next == 2)
            gate.open()
            #expect(try await stuck.value == 1)
        }
    }

    @Test func aNameResolvesThroughThePool() async throws {
        let addresses = try await withTimeout(.seconds(180), "resolving localhost") {
            try await Resolver.resolve(host: "localhost", port: 80, deadline: .now + .seconds(30))
        }
        #expect(!addresses.isEmpty)
    }
}
