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

/// The reconnect delays: exponential growth with random jitter, from a seeded generator.
struct ReconnectBackoff: Sendable {
    let policy: CTraderReconnectPolicy
    private var generator: SplitMix64

    init(policy: CTraderReconnectPolicy) {
        self.policy = policy
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(seed: policy.jitterSeed ?? system.next())
    }

    /// The delay before reconnect attempt `attempt` (1 for the first): `initialDelay ×
    /// multiplier^(attempt-1)`, capped at `maximumDelay`, then scaled by a random factor in
    /// `[1 - jitter, 1]`.
    mutating func delay(attempt: Int) -> Duration {
        var base = policy.initialDelay
        var step = 1
        while step < attempt && base < policy.maximumDelay {
            base = base * policy.multiplier
            step += 1
        }
        if base > policy.maximumDelay { base = policy.maximumDelay }
        let unit = Double(generator.next() >> 11) / Double(1 << 53)
        let factor = 1 - policy.jitter * unit
        return base * factor
    }
}
