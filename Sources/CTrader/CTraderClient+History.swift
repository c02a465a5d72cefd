// swift-ctrader: history calls on a `CTraderClient`, built on the toolkit's spans, pacer and
// tick decoder.

public import CTraderMessaging
public import CTraderSession
public import CTraderToolkit

/// How the history calls split, pace and bound their requests. The defaults are the Open API's.
public struct CTraderHistoryOptions: Sendable {
    /// The pacer the requests go through; `nil` (the default): a pacer of its own per call, of
    /// ``requestsPerSecond`` on ``clock``. Pass one pacer to several calls so that together they
    /// keep within the limit.
    public var pacer: CTraderHistoryPacer?
    /// The most historical requests in one second when no ``pacer`` is given; default 5, the
    /// Open API's historical limit (trendbars 2137, ticks 2145, deals 2133).
    public var requestsPerSecond: Int
    /// The clock of the call's own pacer; `nil` (the default): the client's
    /// `CTraderClientConfiguration.clock`. Tests pass a virtual clock.
    public var clock: (any CTraderClock)?
    /// The longest `toTimestamp - fromTimestamp` of one `ProtoOADealListReq`, in ms; default one
    /// week (604,800,000). Earlier editions of the Open API's messages documented this bound
    /// on the deal list (`toTimestamp - fromTimestamp <= 604800000`); the current edition states
    /// none, and weekly requests are accepted by both.
    public var dealSpan: Int64
    /// The most windows one call plans (a guard against a mistaken range); default 100,000.
    public var maximumWindows: Int
    /// The most requests for one window when the server keeps rows back (`hasMore`); default
    /// 10,000.
    public var maximumPagesPerWindow: Int
    /// The timeout of each request; `nil`: the client's `CTraderClientConfiguration.requestTimeout`.
    public var requestTimeout: Duration?

    /// Makes options; every limit has the Open API's value by default.
    public init(
        pacer: CTraderHistoryPacer? = nil, requestsPerSecond: Int = 5, clock: (any CTraderClock)? = nil,
        dealSpan: Int64 = 604_800_000, maximumWindows: Int = 100_000, maximumPagesPerWindow: Int = 10_000,
        requestTimeout: Duration? = nil
    ) {
        self.pacer = pacer
        self.requestsPerSecond = requestsPerSecond
        self.clock = clock
        self.dealSpan = dealSpan
        self.maximumWindows = maximumWindows
        self.maximumPagesPerWindow = maximumPagesPerWindow
        self.requestTimeout = requestTimeout
    }
}

/// Paces historical requests within a rate limit (the toolkit's `RequestPacer`) on a
/// `CTraderClock`. Shared by several history calls, it keeps them within the limit together.
public actor CTraderHistoryPacer {
    private var pacer: RequestPacer
    private let clock: any CTraderClock

    /// A pacer of at most `limit` requests per `window` (default: 5 a second) on `clock`.
    public init(limit: Int = 5, window: Duration = .seconds(1), clock: any CTraderClock = ContinuousCTraderClock()) {
        pacer = RequestPacer(limit: limit, window: Self.milliseconds(window))
        self.clock = clock
    }

    /// Waits until one more request keeps within the limit, then counts it as sent.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire() async throws {
        while true {
            try Task.checkCancellation()
            let now = Self.milliseconds(clock.now())
            let allowed = pacer.nextAllowed(at: now)
            if allowed <= now {
                pacer.record(at: now)
                return
            }
            // Another call may take the slot while this one sleeps: the loop asks again.
            try await clock.sleep(until: .milliseconds(allowed))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// Why a history call failed, other than a failed request (which throws its `CTraderError`).
public enum CTraderHistoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The range cannot be split into requests (from after to, negative, too many windows).
    case invalidRange(HistorySpanError)
    /// The server said it kept rows back (`hasMore`) but its page does not narrow the window
    /// `from...to`: asking again would loop.
    case moreWithoutProgress(PayloadType, from: Int64, to: Int64)
    /// A window needed more than ``CTraderHistoryOptions/maximumPagesPerWindow`` requests.
    case tooManyPages(PayloadType, from: Int64, to: Int64, limit: Int)
    /// A page of ticks for the window `from...to` does not decode.
    case tickDecoding(TickDecodingError, from: Int64, to: Int64)

    /// A one-line description naming the cause.
    public var description: String {
        switch self {
        case .invalidRange(let error):
            switch error {
            case .fromAfterTo(let from, let to): return "the range starts (\(from)) after it ends (\(to))"
            case .negativeFrom(let from): return "the range starts before 1970 (\(from) ms)"
            case .nonPositiveSpan(let span): return "the longest span of a request is not positive (\(span) ms)"
            case .tooManyRequests(let needed, let limit):
                return "the range needs \(needed) requests, more than the limit of \(limit)"
            }
        case .moreWithoutProgress(let type, let from, let to):
            return "\(type): the server said it has more rows in [\(from), \(to)] but its page does not narrow it"
        case .tooManyPages(let type, let from, let to, let limit):
            return "\(type): [\(from), \(to)] needed more than \(limit) pages"
        case .tickDecoding(let error, let from, let to):
            return "the ticks of [\(from), \(to)] do not decode: \(error)"
        }
    }
}

extension CTraderClient {
    /// The trendbars of a symbol that open in `[from, to)`, oldest first, each once.
    ///
    /// The range is split into windows within the server's span for the period
    /// (`HistoryKind.maximumSpan`: M1–M5 3.5 days, M10–H1 245 days, H4–D1 366 days, W1 and MN1
    /// 1,830 days); each request waits for the pacer (5 a second by default); a window whose
    /// response has `hasMore` (the server sent its newest bars only) is asked again up to its
    /// oldest bar. Bars are the server's `ProtoOATrendbar` (prices as `low` plus deltas: see
    /// `ProtoOATrendbar.prices`).
    ///
    /// - Parameters:
    ///   - account: the authorized account (`ctidTraderAccountId`).
    ///   - symbol: the symbol's id.
    ///   - period: the bars' period.
    ///   - from: the start, Unix ms (inclusive).
    ///   - to: the end, Unix ms (exclusive).
    ///   - options: the pacing and limits.
    ///   - progress: called with windows done out of all, at the start and after each window.
    /// - Throws: ``CTraderHistoryError`` (a range that cannot be split, a server that keeps
    ///   rows back without narrowing the window), or the failed request's `CTraderError`.
    public func trendbars(
        account: Int64, symbol: Int64, period: ProtoOATrendbarPeriod, from: Int64, to: Int64,
        options: CTraderHistoryOptions = CTraderHistoryOptions(),
        progress: (@Sendable (HistoryProgress) -> Void)? = nil
    ) async throws -> [ProtoOATrendbar] {
        let windows = try historyWindows(from: from, to: to, span: period.maximumRequestSpan, options: options)
        let pacer = historyPacer(options)
        var byTime: [UInt32: ProtoOATrendbar] = [:]
        progress?(HistoryProgress(done: 0, total: windows.count))
        for (index, window) in windows.enumerated() {
            var upper = window.to
            var pages = 0
            while true {
                try await pace(pacer, pages: &pages, from: window.from, to: upper, options, .protoOaGetTrendbarsReq)
                var request = ProtoOAGetTrendbarsReq()
                request.ctidTraderAccountID = account
                request.symbolID = symbol
                request.period = period
                request.fromTimestamp = window.from
                request.toTimestamp = upper
                let response = try await send(
                    request, expecting: ProtoOAGetTrendbarsRes.self, timeout: options.requestTimeout)
                for bar in response.trendbar { byTime[bar.utcTimestampInMinutes] = bar }
                guard response.hasMore_p else { break }
                guard let oldest = response.trendbar.map({ Int64($0.utcTimestampInMinutes) * 60_000 }).min(),
                    oldest < upper
                else {
                    throw CTraderHistoryError.moreWithoutProgress(.protoOaGetTrendbarsReq, from: window.from, to: upper)
                }
                // Bars open at distinct times: a page reaching `from` holds the rest of the window.
                if oldest <= window.from { break }
                upper = oldest
            }
            progress?(HistoryProgress(done: index + 1, total: windows.count))
        }
        return byTime.keys.sorted().compactMap { byTime[$0] }.filter {
            let time = Int64($0.utcTimestampInMinutes) * 60_000
            return time >= from && time < to
        }
    }

    /// The bid or ask ticks of a symbol in `[from, to)`, oldest first, with absolute times and
    /// prices (the toolkit's `Tick`, decoded from the server's deltas by `TickDecoder`).
    ///
    /// The range is split into windows of at most one week (the server's span for
    /// `ProtoOAGetTickDataReq`), paced like `trendbars(account:symbol:period:from:to:options:progress:)`;
    /// a window whose response has `hasMore` (the server sent its newest ticks only) is asked
    /// again up to its oldest tick. A tick returned by two pages is kept once.
    ///
    /// - Parameters:
    ///   - account: the authorized account.
    ///   - symbol: the symbol's id.
    ///   - type: `.bid` or `.ask`.
    ///   - from: the start, Unix ms (inclusive).
    ///   - to: the end, Unix ms (exclusive).
    ///   - options: the pacing and limits.
    ///   - progress: called with windows done out of all, at the start and after each window.
    /// - Throws: ``CTraderHistoryError`` (including ``CTraderHistoryError/tickDecoding(_:from:to:)``),
    ///   or the failed request's `CTraderError`.
    public func ticks(
        account: Int64, symbol: Int64, type: ProtoOAQuoteType, from: Int64, to: Int64,
        options: CTraderHistoryOptions = CTraderHistoryOptions(),
        progress: (@Sendable (HistoryProgress) -> Void)? = nil
    ) async throws -> [Tick] {
        let windows = try historyWindows(
            from: from, to: to, span: ProtoOAGetTickDataReq.maximumRequestSpan, options: options)
        let pacer = historyPacer(options)
        var ticks: [Tick] = []
        progress?(HistoryProgress(done: 0, total: windows.count))
        for (index, window) in windows.enumerated() {
            var upper = window.to
            var pages = 0
            while true {
                try await pace(pacer, pages: &pages, from: window.from, to: upper, options, .protoOaGetTickdataReq)
                var request = ProtoOAGetTickDataReq()
                request.ctidTraderAccountID = account
                request.symbolID = symbol
                request.type = type
                request.fromTimestamp = window.from
                request.toTimestamp = upper
                let response = try await send(
                    request, expecting: ProtoOAGetTickDataRes.self, timeout: options.requestTimeout)
                let page: [Tick]
                do {
                    page = try TickDecoder.decode(response)
                } catch {
                    throw CTraderHistoryError.tickDecoding(error, from: window.from, to: upper)
                }
                ticks.append(contentsOf: page)
                guard response.hasMore_p else { break }
                guard let oldest = page.first?.timestamp, oldest < upper else {
                    throw CTraderHistoryError.moreWithoutProgress(.protoOaGetTickdataReq, from: window.from, to: upper)
                }
                if oldest <= window.from { break }
                upper = oldest
            }
            progress?(HistoryProgress(done: index + 1, total: windows.count))
        }
        // Stable: ticks of one millisecond keep the server's order; a tick two pages share, once.
        var seen = Set<Tick>()
        return ticks.enumerated()
            .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
            .map(\.element)
            .filter { $0.timestamp >= from && $0.timestamp < to && seen.insert($0).inserted }
    }

    /// The account's deals executed in `[from, to)`, oldest first (by execution time, then id),
    /// each once: the server's `ProtoOADeal`.
    ///
    /// The range is split into windows of ``CTraderHistoryOptions/dealSpan`` (one week by
    /// default) and paced like the other history calls. When a response has `hasMore` (more
    /// deals than the server sends at once), the parts of the window before and after the
    /// page's deals are asked for in turn, whichever end of the window the server kept.
    ///
    /// - Parameters:
    ///   - account: the authorized account.
    ///   - from: the start, Unix ms (inclusive).
    ///   - to: the end, Unix ms (exclusive).
    ///   - options: the pacing and limits.
    ///   - progress: called with windows done out of all, at the start and after each window.
    /// - Throws: ``CTraderHistoryError``, or the failed request's `CTraderError`.
    public func deals(
        account: Int64, from: Int64, to: Int64,
        options: CTraderHistoryOptions = CTraderHistoryOptions(),
        progress: (@Sendable (HistoryProgress) -> Void)? = nil
    ) async throws -> [ProtoOADeal] {
        let windows = try historyWindows(from: from, to: to, span: options.dealSpan, options: options)
        let pacer = historyPacer(options)
        var byId: [Int64: ProtoOADeal] = [:]
        progress?(HistoryProgress(done: 0, total: windows.count))
        for (index, window) in windows.enumerated() {
            var pending = [window]
            var pages = 0
            while let part = pending.popLast() {
                try await pace(pacer, pages: &pages, from: part.from, to: part.to, options, .protoOaDealListReq)
                var request = ProtoOADealListReq()
                request.ctidTraderAccountID = account
                request.fromTimestamp = part.from
                request.toTimestamp = part.to
                let response = try await send(
                    request, expecting: ProtoOADealListRes.self, timeout: options.requestTimeout)
                for deal in response.deal { byId[deal.dealID] = deal }
                guard response.hasMore_p else { continue }
                let times = response.deal.map(\.executionTimestamp)
                guard let earliest = times.min(), let latest = times.max() else {
                    throw CTraderHistoryError.moreWithoutProgress(.protoOaDealListReq, from: part.from, to: part.to)
                }
                // The page is a run of the window in time: what it left out lies before or after it.
                for rest in [
                    HistoryWindow(from: part.from, to: max(part.from, min(earliest, part.to))),
                    HistoryWindow(from: min(part.to, max(latest, part.from)), to: part.to),
                ] {
                    guard rest != part else {
                        throw CTraderHistoryError.moreWithoutProgress(.protoOaDealListReq, from: part.from, to: part.to)
                    }
                    pending.append(rest)
                }
            }
            progress?(HistoryProgress(done: index + 1, total: windows.count))
        }
        return byId.values
            .filter { $0.executionTimestamp >= from && $0.executionTimestamp < to }
            .sorted { ($0.executionTimestamp, $0.dealID) < ($1.executionTimestamp, $1.dealID) }
    }

    // MARK: - Shared steps

    private func historyWindows(
        from: Int64, to: Int64, span: Int64, options: CTraderHistoryOptions
    ) throws -> [HistoryWindow] {
        do {
            return try HistorySpans.windows(
                from: from, to: to, maximumSpan: span, maximumRequests: options.maximumWindows)
        } catch {
            throw CTraderHistoryError.invalidRange(error)
        }
    }

    private func historyPacer(_ options: CTraderHistoryOptions) -> CTraderHistoryPacer {
        options.pacer
            ?? CTraderHistoryPacer(
                limit: options.requestsPerSecond, clock: options.clock ?? configuration.clock)
    }

    /// Counts a page of a window against its limit, then waits for the pacer.
    private func pace(
        _ pacer: CTraderHistoryPacer, pages: inout Int, from: Int64, to: Int64, _ options: CTraderHistoryOptions,
        _ type: PayloadType
    ) async throws {
        pages += 1
        guard pages <= max(1, options.maximumPagesPerWindow) else {
            throw CTraderHistoryError.tooManyPages(type, from: from, to: to, limit: options.maximumPagesPerWindow)
        }
        try await pacer.acquire()
    }
}
