import ArgumentParser
import CTrader
import CTraderHistory
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader history sync|ls`: the local history store.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Keep history in a local SQLite store: sync trendbars, ticks and deals, list what is stored.",
        discussion: """
            The store (--db) defaults to $XDG_DATA_HOME/ctrader/history.sqlite, else \
            ~/.local/share/ctrader/history.sqlite (macOS: ~/Library/Application Support/ctrader/history.sqlite). \
            It opens in WAL mode: `ctrader history ls` reads while a sync writes.
            """,
        subcommands: [HistorySyncCommand.self, HistoryListCommand.self]
    )
}

/// `--db PATH`.
struct HistoryDatabaseOption: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "The history store (SQLite). Default: \(HistoryStore.defaultPath()).", valueName: "path")
    )
    var path: String?

    /// The path given, or the default under the user's data directory.
    var resolved: String { path ?? HistoryStore.defaultPath() }
}

/// `ctrader history sync SYMBOL --period P --from --to`, `… SYMBOL --ticks bid|ask …`, `… --deals …`
struct HistorySyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch into the store the trendbars, ticks or deals it is missing (resumable, paced).",
        discussion: """
            One series per run: a symbol's trendbars of a period (--period), a symbol's bid or ask ticks \
            (--ticks bid|ask), or the account's deals (--deals, no symbol). Only the spans the store does not \
            cover are fetched, in chunks within the server's longest span per request (trendbars: per period; \
            ticks and deals: a week); each chunk is committed with its coverage, so an interrupted sync \
            resumes where it stopped. Examples: ctrader history sync EURUSD --period M1 --from 2026-10-01 \
            --to 2026-11-01; ctrader history sync EURUSD --ticks bid --from 2026-11-20 --to 2026-11-21; \
            ctrader history sync --deals --from 2026-01-01
            """
    )
    @Argument(help: "The symbol's name, e.g. EURUSD (not with --deals).") var symbol: String?
    @Option(help: "M1, M2, M3, M4, M5, M10, M15, M30, H1, H4, H12, D1, W1 or MN1.") var period: PeriodArgument?
    @Option(help: ArgumentHelp("Sync the symbol's ticks of this side.", valueName: "bid|ask")) var ticks:
        TickSideArgument?
    @Flag(help: "Sync the account's deals.") var deals = false
    @Option(help: "ISO 8601 start, e.g. 2026-11-01 or 2026-11-01T00:00:00Z.") var from: DateArgument
    @Option(help: "ISO 8601 end; default now (the bar still forming is left out).") var to: DateArgument?
    @Option(help: "The most history requests per second (the Open API allows 5).") var requestsPerSecond = 5
    @OptionGroup var database: HistoryDatabaseOption
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if let to, from.date > to.date { throw ValidationError("--from must not be after --to") }
        guard requestsPerSecond > 0 else { throw ValidationError("--requests-per-second must be positive") }
        let kinds = [period != nil, ticks != nil, deals].filter { $0 }.count
        guard kinds == 1 else { throw ValidationError("give one of --period, --ticks or --deals") }
        if deals && symbol != nil { throw ValidationError("--deals syncs the account's deals: give no symbol") }
        if !deals && symbol == nil { throw ValidationError("name the symbol to sync") }
    }

    /// What one run syncs.
    enum Kind: Sendable {
        case bars(PeriodArgument, HistoryPeriod)
        case ticks(HistoryTickSide)
        case deals
    }

    func run() async throws {
        let name = symbol ?? ""
        let kind: Kind
        if let period {
            guard let historyPeriod = HistoryPeriod(rawValue: period.period.rawValue) else {
                throw ValidationError("unknown period \(period.name)")
            }
            kind = .bars(period, historyPeriod)
        } else if let ticks {
            kind = .ticks(ticks.side)
        } else {
            kind = .deals
        }
        let now = CTraderUnits.milliseconds(Date())
        let interval = HistoryInterval(start: from.milliseconds, end: to?.milliseconds ?? now)
        let store = try HistoryStore(path: database.resolved)
        let requestsPerSecond = requestsPerSecond
        let resume = "interrupted: what was fetched is stored; run the same sync again to resume"
        try await Session.run(options, interrupted: resume) { session in
            let fetcher = HistoryFetcher(session: session, store: store, requestsPerSecond: requestsPerSecond)
            let client = session.client
            let account = session.account
            let options = fetcher.options
            let series: HistorySeries
            let label: String
            let result: HistorySyncProgress?
            switch kind {
            case .bars(let period, let historyPeriod):
                guard let symbol = try await session.resolve([name]).first else { return }
                series = .trendbars(symbol: symbol.name, period: historyPeriod)
                label = "\(symbol.name) \(period.name)"
                let progress = ProgressLine(label)
                result = try await fetcher.fill(series, in: interval, now: now, progress: progress.sync(unit: "bars")) {
                    span in
                    try await client.trendbars(
                        account: account, symbol: symbol.id, period: period.period, from: span.start, to: span.end,
                        options: options
                    ).map(HistoryBar.init(trendbar:))
                }
                progress.finish()
            case .ticks(let side):
                guard let symbol = try await session.resolve([name]).first else { return }
                series = .ticks(symbol: symbol.name, side: side)
                label = "\(symbol.name) \(side.name) ticks"
                let progress = ProgressLine(label)
                let type: ProtoOAQuoteType = side == .bid ? .bid : .ask
                result = try await fetcher.fill(series, in: interval, now: now, progress: progress.sync(unit: "ticks"))
                {
                    span in
                    try await client.ticks(
                        account: account, symbol: symbol.id, type: type, from: span.start, to: span.end,
                        options: options
                    ).map { HistoryTick(time: $0.timestamp, price: $0.relativePrice) }
                }
                progress.finish()
            case .deals:
                series = .deals(account: account)
                label = "deals of \(account)"
                let progress = ProgressLine(label)
                result = try await fetcher.fill(series, in: interval, now: now, progress: progress.sync(unit: "deals"))
                {
                    span in
                    try await client.deals(account: account, from: span.start, to: span.end, options: options)
                        .map(HistoryDeal.init(deal:))
                }
                progress.finish()
            }
            let requests = result?.requests ?? 0
            let fetched = result?.rowsFetched ?? 0
            let stored = result?.rowsStored ?? 0
            let missing = interval.subtracting(try await store.coverage(series))
            if session.output.json {
                var object: [String: Any] = [
                    "series": series.key, "db": store.path, "requests": requests, "rowsFetched": fetched,
                    "rowsStored": stored,
                    "missing": missing.map {
                        ["from": Format.date(milliseconds: $0.start), "to": Format.date(milliseconds: $0.end)]
                    },
                ]
                switch series {
                case .trendbars(let symbol, let period):
                    object["symbol"] = symbol
                    object["period"] = period.name
                    object["barsFetched"] = fetched
                    object["barsStored"] = stored
                case .ticks(let symbol, let side):
                    object["symbol"] = symbol
                    object["side"] = side.name
                case .deals(let account):
                    object["account"] = account
                }
                session.output.emit(object)
            } else {
                session.output.terminal.line(
                    "\(label): \(stored) new rows from \(requests) requests into \(store.path)")
            }
        }
    }
}

/// `ctrader history ls`
struct HistoryListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List what the store covers, per symbol and period (no connection needed)."
    )
    @OptionGroup var database: HistoryDatabaseOption
    @Flag(help: "Machine-readable output: one JSON document.") var json = false

    func run() async throws {
        let output = Output(json: json)
        let path = database.resolved
        guard FileManager.default.fileExists(atPath: path) else {
            if json {
                output.emit(["db": path, "series": [Any]()] as [String: Any])
            } else {
                output.terminal.error("no history store at \(path)")
            }
            return
        }
        let summary = try await HistoryStore(path: path).summary()
        let rows: [[String: Any]] = summary.map { item in
            var row: [String: Any] = ["series": item.series.key, "rows": item.rowCount, "spans": item.coverage.count]
            switch item.series {
            case .trendbars(let symbol, let period):
                row["kind"] = "trendbars"
                row["symbol"] = symbol
                row["period"] = period.name
            case .ticks(let symbol, let side):
                row["kind"] = "ticks"
                row["symbol"] = symbol
                row["period"] = side.name
            case .deals(let account):
                row["kind"] = "deals"
                row["symbol"] = String(account)
                row["period"] = ""
            }
            row["from"] = item.coverage.first.map { Format.date(milliseconds: $0.start) } ?? ""
            row["to"] = item.coverage.last.map { Format.date(milliseconds: $0.end) } ?? ""
            row["coverage"] = item.coverage.map {
                ["from": Format.date(milliseconds: $0.start), "to": Format.date(milliseconds: $0.end)]
            }
            return row
        }
        if json {
            output.emit(["db": path, "series": rows] as [String: Any])
        } else {
            let columns = ["kind", "symbol", "period", "from", "to", "spans", "rows"]
            output.table(Describe.table(rows, columns: columns, right: ["spans", "rows"]))
        }
    }
}
