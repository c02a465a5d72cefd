// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

/// Paces requests within a rate limit: at most `limit` requests in any `window` milliseconds.
///
/// Given the times of the requests already sent, ``nextAllowed(at:)`` says when the next may go:
/// `now` when fewer than `limit` were sent in the `window` before it, else the time at which the
/// oldest of the last `limit` leaves the window. cTrader's historical limit is 5 per second.
///
/// ```swift
/// var pacer = RequestPacer(limit: 5, window: 1000)
/// let at = pacer.nextAllowed(at: now)  // wait until `at`, then:
/// pacer.record(at: at)
/// ```
public struct RequestPacer: Hashable, Sendable {
    /// The most requests in one window.
    public let limit: Int
    /// The window, in milliseconds.
    public let window: Int64
    /// The times of the last `limit` requests, oldest first.
    public private(set) var recent: [Int64] = []

    /// A pacer of at most `limit` requests (at least 1) per `window` ms (at least 1).
    public init(limit: Int = 5, window: Int64 = 1000) {
        self.limit = max(1, limit)
        self.window = max(1, window)
    }

    /// The earliest time, not before `now`, at which a request keeps within the limit.
    public func nextAllowed(at now: Int64) -> Int64 {
        guard recent.count >= limit else { return now }
        // The request `limit` back must have left the window: its time + window <= the next.
        return max(now, recent[recent.count - limit] + window)
    }

    /// Records a request sent at `time`.
    public mutating func record(at time: Int64) {
        let index = recent.lastIndex { $0 <= time }.map { $0 + 1 } ?? 0
        recent.insert(time, at: index)
        if recent.count > limit { recent.removeFirst(recent.count - limit) }
    }
}

/// How far a history download has come.
public struct HistoryProgress: Hashable, Sendable {
    /// Windows whose responses were taken.
    public var done: Int
    /// All windows of the plan.
    public var total: Int

    /// Makes a value.
    public init(done: Int, total: Int) {
        self.done = done
        self.total = total
    }

    /// Whether every window is done.
    public var isComplete: Bool { done >= total }
}

/// Plans a history download: the windows within the server's span, paced within the rate limit,
/// with progress. Pure: it does no I/O and reads no clock; the caller passes the time.
///
/// ```swift
/// var plan = try HistoryPlanner(kind: .trendbars(.m1), from: start, to: end)
/// while true {
///     switch plan.next(at: now) {
///     case .send(let window): plan.sent(at: now); /* request, then */ plan.completed()
///     case .wait(let until): /* sleep until `until` */
///     case .finished: break
///     }
/// }
/// ```
///
/// A window whose response has `hasMore` needs further pages: record each extra request with
/// ``recordExtraRequest(at:)`` so the pacer counts it.
public struct HistoryPlanner: Hashable, Sendable {
    /// What to do next.
    public enum Step: Hashable, Sendable {
        /// Send the request for this window now.
        case send(HistoryWindow)
        /// Wait until this time (Unix ms), then ask again.
        case wait(until: Int64)
        /// Every window was sent.
        case finished
    }

    /// The windows, oldest first.
    public let windows: [HistoryWindow]
    /// The rate limit.
    public private(set) var pacer: RequestPacer
    /// How many windows were sent.
    public private(set) var sentCount = 0
    /// How many windows' responses were taken.
    public private(set) var completedCount = 0

    /// A plan over explicit windows.
    public init(windows: [HistoryWindow], pacer: RequestPacer = RequestPacer()) {
        self.windows = windows
        self.pacer = pacer
    }

    /// A plan for `[from, to]` of a kind of history, within its server span.
    public init(
        kind: HistoryKind, from: Int64, to: Int64, pacer: RequestPacer = RequestPacer(), maximumRequests: Int = 100_000
    ) throws(HistorySpanError) {
        self.init(
            windows: try HistorySpans.windows(for: kind, from: from, to: to, maximumRequests: maximumRequests),
            pacer: pacer)
    }

    /// The next step at `now`.
    public func next(at now: Int64) -> Step {
        guard sentCount < windows.count else { return .finished }
        let allowed = pacer.nextAllowed(at: now)
        return allowed > now ? .wait(until: allowed) : .send(windows[sentCount])
    }

    /// Records that the window ``next(at:)`` offered was sent at `now`.
    public mutating func sent(at now: Int64) {
        guard sentCount < windows.count else { return }
        pacer.record(at: now)
        sentCount += 1
    }

    /// Records a further request (a page of a window with `hasMore`) sent at `now`.
    public mutating func recordExtraRequest(at now: Int64) {
        pacer.record(at: now)
    }

    /// Records that a sent window's response was taken.
    public mutating func completed() {
        completedCount = min(completedCount + 1, sentCount)
    }

    /// Requests done out of the total.
    public var progress: HistoryProgress { HistoryProgress(done: completedCount, total: windows.count) }
}
