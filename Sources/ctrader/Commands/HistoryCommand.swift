import ArgumentParser
import CTraderHistory
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader history sync|ls`: the local history store.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Keep history in a local SQLite store: sync trendbars, list what is stored.",
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

/// `ctrader history sync SYMBOL --period P --from --to`
struct HistorySyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch into the store the trendbars it is missing (resumable, paced within the historical limit).",
        discussion: """
            Only the spans the store does not cover are fetched, in chunks within the server's longest span \
            per period; each chunk is committed with its coverage, so an interrupted sync resumes where it \
            stopped. Example: ctrader history sync EURUSD --period M1 --from 2026-10-01 --to 2026-11-01
            """
    )
    @Argument(help: "The symbol's name, e.g. EURUSD.") var symbol: String
    @Option(help: "M1, M2, M3, M4, M5, M10, M15, M30, H1, H4, H12, D1, W1 or MN1.") var period: PeriodArgument
    @Option(help: "ISO 8601 start, e.g. 2026-11-01 or 2026-11-01T00:00:00Z.") var from: DateArgument
    @Option(help: "ISO 8601 end; default now (the bar still forming is left out).") var to: DateArgument?
    @Option(help: "The most trendbar requests per second (the Open API allows 5).") var requestsPerSecond = 5
    @OptionGroup var database: HistoryDatabaseOption
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if let to, from.date > to.date { throw ValidationError("--from must not be after --to") }
        guard requestsPerSecond > 0 else { throw ValidationError("--requests-per-second must be positive") }
    }

    func run() async throws {
        let name = symbol
        let period = period
        guard let historyPeriod = HistoryPeriod(rawValue: period.period.rawValue) else {
            throw ValidationError("unknown period \(period.name)")
        }
        let now = CTraderUnits.milliseconds(Date())
        let interval = HistoryInterval(start: from.milliseconds, end: to?.milliseconds ?? now)
        let store = try HistoryStore(path: database.resolved)
        let configuration = HistorySync.Configuration(requestsPerWindow: requestsPerSecond)
        let resume = "interrupted: what was fetched is stored; run the same sync again to resume"
        try await Session.run(options, interrupted: resume) { session in
            guard let symbol = try await session.resolve([name]).first else { return }
            let series = HistorySeries.trendbars(symbol: symbol.name, period: historyPeriod)
            let progress = ProgressLine("\(symbol.name) \(period.name)")
            let sync = HistorySync(store: store, configuration: configuration)
            let result = try await sync.run(
                series, in: interval, now: now,
                progress: { state in
                    progress.update(
                        state.fraction, "\(state.rowsStored) new bars, \(state.requests) requests")
                }
            ) { span in
                try await Self.fetch(session, symbol: symbol.id, period: period.period, span)
            }
            progress.finish()
            let coverage = try await store.coverage(series)
            let missing = interval.subtracting(coverage)
            if session.output.json {
                session.output.emit(
                    [
                        "symbol": symbol.name, "period": period.name, "db": store.path, "requests": result.requests,
                        "barsFetched": result.rowsFetched, "barsStored": result.rowsStored,
                        "missing": missing.map {
                            ["from": Format.date(milliseconds: $0.start), "to": Format.date(milliseconds: $0.end)]
                        },
                    ] as [String: Any])
            } else {
                session.output.terminal.line(
                    "\(symbol.name) \(period.name): \(result.rowsStored) new bars from \(result.requests) requests into \(store.path)"
                )
            }
        }
    }

    /// One `ProtoOAGetTrendbarsReq` for `span`, as store rows.
    static func fetch(
        _ session: Session, symbol: Int64, period: ProtoOATrendbarPeriod, _ span: HistoryInterval
    ) async throws -> HistoryPage<HistoryBar> {
        var request = ProtoOAGetTrendbarsReq()
        request.ctidTraderAccountID = session.account
        request.symbolID = symbol
        request.period = period
        request.fromTimestamp = span.start
        request.toTimestamp = span.end
        let response = try await session.client.send(request, expecting: ProtoOAGetTrendbarsRes.self)
        return HistoryPage(rows: response.trendbar.map(HistoryBar.init(trendbar:)), hasMore: response.hasMore_p)
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
