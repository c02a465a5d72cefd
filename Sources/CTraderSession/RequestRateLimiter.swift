// swift-ctrader: the cTrader Open API session layer.

import _CTraderLocking

/// A sliding-window rate limiter: at most ``limit`` sends within any ``window``.
///
/// Pure value: the caller passes the time. The cTrader Open API allows 50 requests per second per
/// connection, and 5 per second for historical data.
struct RequestRateLimiter: Sendable {
    /// The sends allowed within one window.
    let limit: Int
    /// The window's length.
    let window: Duration
    /// The times of the sends still inside the window, oldest first.
    private var sendTimes: [Duration] = []

    init(limit: Int, window: Duration = .seconds(1)) {
        precondition(limit > 0, "a rate limit must be positive")
        self.limit = limit
        self.window = window
    }

    /// Forgets the sends that left the window.
    private mutating func trim(now: Duration) {
        while let first = sendTimes.first, first + window <= now {
            sendTimes.removeFirst()
        }
    }

    /// Whether one more send fits now.
    mutating func canSend(now: Duration) -> Bool {
        trim(now: now)
        return sendTimes.count < limit
    }

    /// Records a send.
    mutating func record(now: Duration) {
        trim(now: now)
        sendTimes.append(now)
    }

    /// When the next send fits; `now` when it fits already.
    func nextSlot(now: Duration) -> Duration {
        let recent = sendTimes.filter { $0 + window > now }
        guard recent.count >= limit else { return now }
        return recent[recent.count - limit] + window
    }
}

/// Delays that grow exponentially, with random jitter from a seeded generator: the reconnect
/// backoff (``CTraderReconnectPolicy``) and the transient-error retries (``CTraderRetryPolicy``).
struct ExponentialBackoff: Sendable {
    let initialDelay: Duration
    let maximumDelay: Duration
    let multiplier: Int
    let jitter: Double
    private var generator: SplitMix64

    /// `seed` seeds the jitter's generator; `nil` seeds it at random.
    init(initialDelay: Duration, maximumDelay: Duration, multiplier: Int, jitter: Double, seed: UInt64?) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.jitter = jitter
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(seed: seed ?? system.next())
    }

    /// The delay before attempt `attempt` (1 for the first): `initialDelay ×
    /// multiplier^(attempt-1)`, capped at `maximumDelay`, then scaled by a random factor in
    /// `[1 - jitter, 1]`.
    mutating func delay(attempt: Int) -> Duration {
        var base = initialDelay
        var step = 1
        while step < attempt && base < maximumDelay {
            base = base * multiplier
            step += 1
        }
        if base > maximumDelay { base = maximumDelay }
        let unit = Double(generator.next() >> 11) / Double(1 << 53)
        let factor = 1 - jitter * unit
        return base * factor
    }
}

/// The reconnect delays: exponential growth with random jitter, from a seeded generator.
struct ReconnectBackoff: Sendable {
    let policy: CTraderReconnectPolicy
    private var backoff: ExponentialBackoff

    init(policy: CTraderReconnectPolicy) {
        self.policy = policy
        backoff = ExponentialBackoff(
            initialDelay: policy.initialDelay, maximumDelay: policy.maximumDelay, multiplier: policy.multiplier,
            jitter: policy.jitter, seed: policy.jitterSeed
        )
    }

    /// The delay before reconnect attempt `attempt` (1 for the first); see
    /// ``ExponentialBackoff/delay(attempt:)``.
    mutating func delay(attempt: Int) -> Duration {
        backoff.delay(attempt: attempt)
    }
}
