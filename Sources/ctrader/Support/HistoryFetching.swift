import ArgumentParser
import CTrader
import CTraderHistory
import Foundation

/// `--db PATH` and `--no-store` of the commands that read the history store first.
struct StoreOptions: ParsableArguments {
    @OptionGroup var database: HistoryDatabaseOption
    @Flag(
        name: .customLong("no-store"),
        help:
            "Bypass the history store: fetch everything from the server, store nothing, create no file (even with --db)."
    )
    var noStore = false

    /// The store to read first: none with `--no-store`, and none against the embedded simulator
    /// unless `--db` names one (its random market must not mix with a real server's history).
    func open(embeddedSimulator: Bool) throws -> HistoryStore? {
        if noStore || (embeddedSimulator && database.path == nil) { return nil }
        return try HistoryStore(path: database.resolved)
    }
}

/// Fetches history through the library's calls, store first when there is a store: only what
/// the store does not cover is fetched, chunk by chunk, each chunk committed with its coverage
/// (an interrupted command resumes where it stopped).
struct HistoryFetcher: Sendable {
    let session: Session
    let store: HistoryStore?
    let options: CTraderHistoryOptions

    /// A fetcher whose requests share one pacer of `requestsPerSecond`.
    init(session: Session, store: HistoryStore?, requestsPerSecond: Int = 5) {
        self.session = session
        self.store = store
        options = CTraderHistoryOptions(pacer: CTraderHistoryPacer(limit: requestsPerSecond))
    }

    /// A sync that fetches each missing chunk with one library call (which paces it).
    private var sync: HistorySync? {
        store.map { HistorySync(store: $0, configuration: .init(requestsPerWindow: 1_000)) }
    }

    /// Fills the store's gaps of `series` in `interval` (up to what can be complete at `now`).
    @discardableResult
    func fill<Row: HistoryRow>(
        _ series: HistorySeries, in interval: HistoryInterval, now: Int64,
        progress: (@Sendable (HistorySyncProgress) -> Void)?,
        fetch: @escaping @Sendable (HistoryInterval) async throws -> [Row]
    ) async throws -> HistorySyncProgress? {
        guard let sync else { return nil }
        return try await sync.run(series, in: interval, now: now, progress: progress) { span in
            HistoryPage(rows: try await fetch(span))
        }
    }

    /// The bars of `symbol` opening in `interval`, oldest first: from the store (after filling its
    /// gaps), plus the bar still forming, fetched each time and never stored.
    func bars(
        symbol: SymbolInfo, period: PeriodArgument, in interval: HistoryInterval, now: Int64,
        progress: ProgressLine
    ) async throws -> [HistoryBar] {
        let client = session.client
        let account = session.account
        let options = options
        let fetch: @Sendable (HistoryInterval) async throws -> [HistoryBar] = { span in
            try await client.trendbars(
                account: account, symbol: symbol.id, period: period.period, from: span.start, to: span.end,
                options: options
            ).map(HistoryBar.init(trendbar:))
        }
        guard let store, let historyPeriod = HistoryPeriod(rawValue: period.period.rawValue) else {
            let bars = try await client.trendbars(
                account: account, symbol: symbol.id, period: period.period, from: interval.start, to: interval.end,
                options: options,
                progress: {
                    progress.update(Double($0.done) / Double(max(1, $0.total)), "\($0.done)/\($0.total) requests")
                }
            )
            return bars.map(HistoryBar.init(trendbar:))
        }
        let series = HistorySeries.trendbars(symbol: symbol.name, period: historyPeriod)
        try await fill(series, in: interval, now: now, progress: progress.sync(unit: "bars"), fetch: fetch)
        let complete = min(interval.end, series.completeEnd(now: now))
        var bars = try await store.bars(
            symbol: symbol.name, period: historyPeriod, in: HistoryInterval(start: interval.start, end: complete))
        if complete < interval.end {
            bars += try await fetch(HistoryInterval(start: max(interval.start, complete), end: interval.end))
        }
        return bars
    }

    /// The ticks of `symbol` and `side` in `interval`, oldest first, store first.
    func ticks(
        symbol: SymbolInfo, side: HistoryTickSide, in interval: HistoryInterval, now: Int64, progress: ProgressLine
    ) async throws -> [HistoryTick] {
        let client = session.client
        let account = session.account
        let options = options
        let type: ProtoOAQuoteType = side == .bid ? .bid : .ask
        let fetch: @Sendable (HistoryInterval) async throws -> [HistoryTick] = { span in
            try await client.ticks(
                account: account, symbol: symbol.id, type: type, from: span.start, to: span.end, options: options
            ).map { HistoryTick(time: $0.timestamp, price: $0.relativePrice) }
        }
        guard let store else {
            return try await client.ticks(
                account: account, symbol: symbol.id, type: type, from: interval.start, to: interval.end,
                options: options,
                progress: {
                    progress.update(Double($0.done) / Double(max(1, $0.total)), "\(side.name) \($0.done)/\($0.total)")
                }
            ).map { HistoryTick(time: $0.timestamp, price: $0.relativePrice) }
        }
        let series = HistorySeries.ticks(symbol: symbol.name, side: side)
        try await fill(
            series, in: interval, now: now, progress: progress.sync(unit: "\(side.name) ticks"), fetch: fetch)
        let complete = min(interval.end, series.completeEnd(now: now))
        var ticks = try await store.ticks(
            symbol: symbol.name, side: side, in: HistoryInterval(start: interval.start, end: complete))
        if complete < interval.end {
            ticks += try await fetch(HistoryInterval(start: max(interval.start, complete), end: interval.end))
        }
        return ticks
    }
}

extension ProgressLine {
    /// A progress callback for a sync: the fraction of the missing time fetched.
    func sync(unit: String) -> @Sendable (HistorySyncProgress) -> Void {
        { state in update(state.fraction, "\(state.rowsStored) new \(unit), \(state.requests) requests") }
    }
}

extension HistoryBar {
    /// The bar of a `ProtoOATrendbar` (its low plus the deltas), prices in relative units.
    init(trendbar bar: ProtoOATrendbar) {
        self.init(
            time: Int64(bar.utcTimestampInMinutes) * 60_000, open: bar.low + Int64(bar.deltaOpen),
            high: bar.low + Int64(bar.deltaHigh), low: bar.low, close: bar.low + Int64(bar.deltaClose),
            volume: bar.volume)
    }
}

extension HistoryDeal {
    /// The stored form of a `ProtoOADeal`: the execution price in relative units (from the
    /// double's shortest decimal form, exactly), money as the server's integers.
    init(deal: ProtoOADeal) {
        let price = Decimal(string: String(deal.executionPrice)).flatMap(CTraderUnits.relativePrice) ?? 0
        self.init(
            dealId: deal.dealID, orderId: deal.orderID, positionId: deal.positionID, symbolId: deal.symbolID,
            isBuy: deal.tradeSide == .buy, volume: deal.volume, filledVolume: deal.filledVolume,
            time: deal.executionTimestamp, executionPrice: price, commission: deal.commission,
            grossProfit: deal.closePositionDetail.grossProfit, swap: deal.closePositionDetail.swap,
            moneyDigits: Int(deal.moneyDigits), status: deal.dealStatus.rawValue)
    }
}

/// `--ticks bid|ask`.
struct TickSideArgument: ExpressibleByArgument, Sendable {
    var side: HistoryTickSide

    init?(argument: String) {
        guard let side = HistoryTickSide(name: argument) else { return nil }
        self.side = side
    }

    static var allValueStrings: [String] { ["bid", "ask"] }
}
