/// What one request for history returned: its rows and whether the server kept some back.
public struct HistoryPage<Row: HistoryRow>: Sendable {
    /// The rows, in any order.
    public var rows: [Row]
    /// The server had more rows in the span than it sent (`hasMore`): the rows are the newest, and
    /// the span before the oldest of them is still to fetch.
    public var hasMore: Bool

    /// Makes a page.
    public init(rows: [Row], hasMore: Bool = false) {
        self.rows = rows
        self.hasMore = hasMore
    }
}

/// How a sync stands, reported after each request's rows are committed.
public struct HistorySyncProgress: Sendable, Hashable {
    /// The series being synced.
    public var series: HistorySeries
    /// The milliseconds the sync has to fetch (what was missing at its start).
    public var total: Int64
    /// The milliseconds fetched and committed so far.
    public var done: Int64
    /// The requests sent so far.
    public var requests: Int
    /// The rows received so far.
    public var rowsFetched: Int
    /// The rows that were new to the store so far.
    public var rowsStored: Int

    /// `done / total`, 1 when nothing was missing.
    public var fraction: Double { total == 0 ? 1 : Double(done) / Double(total) }
}

/// A failure of a sync that the store did not cause.
public enum HistorySyncError: Error, Equatable, CustomStringConvertible {
    /// A page said it had more rows (`hasMore`) but held none in the span asked: the sync cannot go on.
    case moreWithoutRows(HistoryInterval)

    /// A one-line description.
    public var description: String {
        switch self {
        case .moreWithoutRows(let interval):
            "the server said it had more rows in \(interval) but sent none inside it"
        }
    }
}

/// Fetches into a ``HistoryStore`` what it is missing of a series, and nothing else.
///
/// The missing spans are cut into chunks of at most the server's longest span per request, sent
/// at most ``Configuration/requestsPerWindow`` per ``Configuration/window`` (the Open API allows
/// 5 historical requests a second), and each chunk's rows are committed with its coverage before
/// the next request: a sync cancelled or killed at any point resumes where it stopped, without
/// gaps or duplicates. The fetch function is the caller's, so the store needs no session.
public struct HistorySync: Sendable {
    /// The limits of a sync.
    public struct Configuration: Sendable {
        /// The most requests in any ``window``; default 5.
        public var requestsPerWindow: Int
        /// The window of ``requestsPerWindow``; default 1 s.
        public var window: Duration
        /// The longest span of one request in ms; `nil` (the default): the period's
        /// ``HistoryPeriod/maximumRequestSpan`` for trendbars, one week for ticks and deals.
        public var chunkSpan: Int64?
        /// The clock pacing is measured and waited on; default the wall clock.
        public var clock: HistoryClock

        /// Makes a configuration; the defaults are the Open API's limits.
        public init(
            requestsPerWindow: Int = 5, window: Duration = .seconds(1), chunkSpan: Int64? = nil,
            clock: HistoryClock = .continuous
        ) {
            self.requestsPerWindow = requestsPerWindow
            self.window = window
            self.chunkSpan = chunkSpan
            self.clock = clock
        }
    }

    /// The store written to.
    public let store: HistoryStore
    /// The limits.
    public var configuration: Configuration

    /// Makes a sync into `store`.
    public init(store: HistoryStore, configuration: Configuration = Configuration()) {
        self.store = store
        self.configuration = configuration
    }

    /// The span of one request for `series`.
    public func chunkSpan(for series: HistorySeries) -> Int64 {
        if let span = configuration.chunkSpan { return span }
        switch series {
        case .trendbars(_, let period): return period.maximumRequestSpan
        case .ticks, .deals: return 7 * 86_400_000
        }
    }

    /// Fetches and stores what the store is missing of `series` in `interval`, up to what can be
    /// complete at `now` (a trendbar still forming is neither required nor recorded as covered).
    ///
    /// - Parameters:
    ///   - series: the series to complete.
    ///   - interval: the span wanted.
    ///   - now: the current time, Unix milliseconds.
    ///   - progress: called after each request's rows are committed.
    ///   - fetch: one request to the server for a span; rows outside the span are dropped.
    /// - Returns: the progress at the end.
    /// - Throws: what `fetch` or the store throws, `CancellationError`, or
    ///   ``HistorySyncError/moreWithoutRows(_:)``; what was committed before stays.
    @discardableResult
    public func run<Row: HistoryRow>(
        _ series: HistorySeries,
        in interval: HistoryInterval,
        now: Int64,
        progress: (@Sendable (HistorySyncProgress) -> Void)? = nil,
        fetch: @Sendable (HistoryInterval) async throws -> HistoryPage<Row>
    ) async throws -> HistorySyncProgress {
        let target = HistoryInterval(start: interval.start, end: min(interval.end, series.completeEnd(now: now)))
        let missing = try await store.missing(series, in: target)
        var state = HistorySyncProgress(
            series: series, total: missing.reduce(0) { $0 + $1.length }, done: 0, requests: 0, rowsFetched: 0,
            rowsStored: 0)
        var pacer = HistoryPacer(
            limit: configuration.requestsPerWindow, per: configuration.window, clock: configuration.clock)
        let span = chunkSpan(for: series)
        for gap in missing {
            for chunk in gap.chunks(ofAtMost: span) {
                var upper = chunk.end
                while upper > chunk.start {
                    try Task.checkCancellation()
                    try await pacer.next()
                    let request = HistoryInterval(start: chunk.start, end: upper)
                    let page = try await fetch(request)
                    state.requests += 1
                    let rows = page.rows.filter { request.contains($0.time) }
                    var covered = request
                    if page.hasMore {
                        guard let oldest = rows.map(\.time).min() else {
                            throw HistorySyncError.moreWithoutRows(request)
                        }
                        covered.start = oldest
                    }
                    state.rowsStored += try await store.write(rows, series: series, covering: covered)
                    state.rowsFetched += rows.count
                    state.done += covered.length
                    upper = covered.start
                    progress?(state)
                }
            }
        }
        return state
    }
}
