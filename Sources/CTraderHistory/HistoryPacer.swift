/// The time a sync paces its requests by: a monotonic "now" and a sleep until an instant, both as
/// durations since an arbitrary origin. Tests pass a virtual clock, so pacing is checked without
/// sleeping.
public struct HistoryClock: Sendable {
    /// The time since the clock's origin.
    public var now: @Sendable () -> Duration
    /// Suspends until `now()` reaches the instant given (returns at once when it has); throws
    /// `CancellationError` when the task is cancelled.
    public var sleep: @Sendable (_ until: Duration) async throws -> Void

    /// Makes a clock of the two functions.
    public init(now: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The wall time of this process (`ContinuousClock`).
    public static var continuous: HistoryClock {
        let clock = ContinuousClock()
        let origin = clock.now
        return HistoryClock(
            now: { origin.duration(to: clock.now) },
            sleep: { until in try await clock.sleep(until: origin.advanced(by: until)) }
        )
    }
}

/// Keeps requests within a rate: at most `limit` in any `window` (a sliding window, as the server
/// counts). Not shared: one sync owns one pacer.
public struct HistoryPacer: Sendable {
    /// The most requests in any window.
    public let limit: Int
    /// The window's length.
    public let window: Duration
    /// The clock it reads and sleeps on.
    public let clock: HistoryClock
    /// The send times of the last `limit` requests, oldest first.
    private var sent: [Duration] = []

    /// Makes a pacer of `limit` requests per `window` (the Open API's historical limit: 5 a second).
    public init(limit: Int = 5, per window: Duration = .seconds(1), clock: HistoryClock = .continuous) {
        precondition(limit > 0, "a pacer allows at least one request per window")
        self.limit = limit
        self.window = window
        self.clock = clock
    }

    /// Waits until one more request fits in the window, then counts it as sent now.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public mutating func next() async throws {
        if sent.count >= limit {
            let until = sent[sent.count - limit] + window
            if clock.now() < until { try await clock.sleep(until) }
        }
        try Task.checkCancellation()
        sent.append(clock.now())
        if sent.count > limit { sent.removeFirst(sent.count - limit) }
    }
}
