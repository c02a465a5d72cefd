// swift-ctrader: the cTrader Open API session layer.

/// The time source of a ``CTraderClient``: the current time as a `Duration` since an arbitrary
/// origin, and a sleep until a given time.
///
/// The client's heartbeats, timeouts, rate limiter and reconnect backoff all read this clock, so a
/// test can inject a manual clock and run them in virtual time.
public protocol CTraderClock: Sendable {
    /// The current time, measured from the clock's origin.
    func now() -> Duration

    /// Returns once ``now()`` reached `deadline`.
    ///
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

/// The real clock: `ContinuousClock`, with the origin at the value's creation.
public struct ContinuousCTraderClock: CTraderClock {
    private let origin: ContinuousClock.Instant

    /// Makes a clock whose origin is now.
    public init() {
        origin = ContinuousClock.now
    }

    /// The time since the origin.
    public func now() -> Duration {
        ContinuousClock.now - origin
    }

    /// Sleeps with `ContinuousClock`.
    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline, tolerance: nil)
    }
}
