import ArgumentParser
import CTraderHistory
import CTraderMessaging
import CTraderSession
import Foundation

/// The latest quote of each symbol, kept from spot events (which carry only the changed side).
struct QuoteBoard: Sendable {
    struct Quote: Sendable {
        var bid: Int64?
        var ask: Int64?
        var previousBid: Int64?
        var ticks = 0
        var time = Date()
    }

    let symbols: [SymbolInfo]
    var quotes: [Int64: Quote] = [:]

    init(symbols: [SymbolInfo]) { self.symbols = symbols }

    /// Applies a spot event; returns the symbol when it is one of the board's.
    @discardableResult
    mutating func apply(_ spot: ProtoOASpotEvent) -> SymbolInfo? {
        guard let symbol = symbols.first(where: { $0.id == spot.symbolID }) else { return nil }
        var quote = quotes[spot.symbolID] ?? Quote()
        if spot.hasBid {
            quote.previousBid = quote.bid
            quote.bid = Int64(clamping: spot.bid)
        }
        if spot.hasAsk { quote.ask = Int64(clamping: spot.ask) }
        quote.ticks += 1
        quote.time = spot.hasTimestamp ? CTraderUnits.date(milliseconds: spot.timestamp) : Date()
        quotes[spot.symbolID] = quote
        return symbol
    }

    func json(_ symbol: SymbolInfo) -> [String: Any] {
        let quote = quotes[symbol.id] ?? Quote()
        var object: [String: Any] = [
            "symbol": symbol.name, "symbolId": symbol.id, "time": Format.iso.string(from: quote.time),
        ]
        if let bid = quote.bid { object["bid"] = Format.priceNumber(relative: bid, digits: symbol.digits) }
        if let ask = quote.ask { object["ask"] = Format.priceNumber(relative: ask, digits: symbol.digits) }
        return object
    }

    /// One plain line for a symbol.
    func line(_ symbol: SymbolInfo) -> String {
        let quote = quotes[symbol.id] ?? Quote()
        let bid = quote.bid.map { symbol.price(relative: $0) } ?? "-"
        let ask = quote.ask.map { symbol.price(relative: $0) } ?? "-"
        return "\(Format.iso.string(from: quote.time))  \(symbol.name)  bid \(bid)  ask \(ask)"
    }

    /// The table, coloured on a terminal: a rising bid green, a falling one red.
    func table(_ terminal: Terminal) -> [String] {
        var table = TextTable(headers: ["Symbol", "Bid", "Ask", "Spread", "Ticks"])
        table.rightAligned = [1, 2, 3, 4]
        var arrows: [String] = []
        for symbol in symbols {
            let quote = quotes[symbol.id] ?? Quote()
            let bid = quote.bid.map { symbol.price(relative: $0) } ?? "-"
            let ask = quote.ask.map { symbol.price(relative: $0) } ?? "-"
            var spread = "-"
            if let b = quote.bid, let a = quote.ask, let detail = symbol.detail {
                let pip = pow(10, Double(5 - Int(detail.pipPosition)))
                spread = String(format: "%.1f", Double(a - b) / pip)
            }
            table.rows.append([symbol.name, bid, ask, spread, "\(quote.ticks)"])
            switch (quote.bid, quote.previousBid) {
            case let (b?, p?) where b > p: arrows.append(terminal.paint("▲", .green))
            case let (b?, p?) where b < p: arrows.append(terminal.paint("▼", .red))
            default: arrows.append(" ")
            }
        }
        let lines = table.render(terminal)
        return [lines[0]] + zip(lines.dropFirst(), arrows).map { "\($0) \($1)" }
    }
}

/// `ctrader quotes SYMBOL…`
struct QuotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quotes",
        abstract: "Stream live quotes: a table updating in place on a terminal, one line per tick when piped.",
        discussion:
            "Stops after --count ticks, after --duration seconds, or on Ctrl-C. Example: ctrader quotes EURUSD GBPUSD --duration 10"
    )
    @Argument(help: "Symbol names, e.g. EURUSD.") var symbols: [String]
    @Option(help: "Stop after this many ticks.") var count: Int?
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if symbols.isEmpty { throw ValidationError("name at least one symbol") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        let names = symbols
        let count = count
        let duration = duration
        try await Session.run(options) { session in
            let symbols = try await session.resolve(names)
            try await streamQuotes(session: session, symbols: symbols, count: count, duration: duration)
        }
    }
}

/// Streams quotes until `count` ticks, `duration` seconds, or cancellation.
func streamQuotes(
    session: Session,
    symbols: [SymbolInfo],
    count: Int?,
    duration: Double?,
    plainEvery: Double? = nil
) async throws {
    let spots = session.client.spots()
    try await session.client.subscribeSpots(account: session.account, symbols: symbols.map(\.id))
    let terminal = session.output.terminal
    let live = terminal.isInteractive && !session.output.json
    let deadline = duration.map { Date().addingTimeInterval($0) }
    let stream = Task { () -> Void in
        var board = QuoteBoard(symbols: symbols)
        var seen = 0
        var drawn = 0
        var lastSnapshot = Date()
        if live {
            let lines = board.table(terminal)
            terminal.redraw(lines, previousLineCount: 0)
            drawn = lines.count
        }
        for try await element in spots {
            guard case .message(let spot) = element, let symbol = board.apply(spot) else { continue }
            seen += 1
            if session.output.json {
                session.output.emit(board.json(symbol))
            } else if live {
                let lines = board.table(terminal)
                terminal.redraw(lines, previousLineCount: drawn)
                drawn = lines.count
            } else if let plainEvery {
                if Date().timeIntervalSince(lastSnapshot) >= plainEvery {
                    lastSnapshot = Date()
                    for symbol in symbols { terminal.line(board.line(symbol)) }
                }
            } else {
                terminal.line(board.line(symbol))
            }
            if let count, seen >= count { return }
        }
    }
    if let deadline {
        let timer = Task {
            try await Task.sleep(for: .milliseconds(Int(max(0, deadline.timeIntervalSinceNow) * 1000)))
            stream.cancel()
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            do { try await stream.value } catch is CancellationError {}
        } onCancel: {
            stream.cancel()
        }
    } else {
        try await withTaskCancellationHandler {
            try await stream.value
        } onCancel: {
            stream.cancel()
        }
    }
    try? await session.client.unsubscribeSpots(account: session.account, symbols: symbols.map(\.id))
}

/// A trendbar period argument.
struct PeriodArgument: ExpressibleByArgument, Sendable {
    static let all: [(String, ProtoOATrendbarPeriod, Int64)] = [
        ("M1", .m1, 60), ("M2", .m2, 120), ("M3", .m3, 180), ("M4", .m4, 240), ("M5", .m5, 300), ("M10", .m10, 600),
        ("M15", .m15, 900), ("M30", .m30, 1800), ("H1", .h1, 3600), ("H4", .h4, 14_400), ("H12", .h12, 43_200),
        ("D1", .d1, 86_400), ("W1", .w1, 604_800), ("MN1", .mn1, 2_592_000),
    ]
    var name: String
    var period: ProtoOATrendbarPeriod
    var seconds: Int64

    init?(argument: String) {
        guard let entry = Self.all.first(where: { $0.0 == argument.uppercased() }) else { return nil }
        (name, period, seconds) = entry
    }

    static var allValueStrings: [String] { all.map(\.0) }

    /// The longest span of one request, in milliseconds (the server's limits).
    var maximumSpan: Int64 { period.maximumRequestSpan }
}

/// Shows a download's progress on standard error when it is a terminal.
struct ProgressLine: Sendable {
    let enabled: Bool
    let label: String

    init(_ label: String) {
        self.label = label
        enabled = isatty(STDERR_FILENO) == 1
    }

    func update(_ fraction: Double, _ detail: String) {
        guard enabled else { return }
        FileHandle.standardError.write(
            Data("\r\u{1B}[2K\(label) \(Terminal.current.progressBar(fraction)) \(detail)".utf8)
        )
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// `ctrader bars SYMBOL --period P`
struct BarsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bars",
        abstract: "Download historical trendbars (OHLCV), reading the history store first.",
        discussion: """
            Bars come from the history store (--db, as `ctrader history` uses); only the spans it does not \
            cover are fetched, in requests within the server's span per period, paced within the historical \
            limit, and stored. The bar still forming is fetched each time and never stored. --no-store \
            bypasses the store (and creates no file); against the embedded simulator the store is used only \
            with --db. Example: ctrader bars EURUSD --period H1 --from 2026-11-01 --to 2026-11-20 --csv > eurusd.csv
            """
    )
    @Argument(help: "The symbol's name, e.g. EURUSD.") var symbol: String
    @Option(help: "M1, M2, M3, M4, M5, M10, M15, M30, H1, H4, H12, D1, W1 or MN1 (with --live, default M1).")
    var period: PeriodArgument?
    @Option(help: "ISO 8601 start, e.g. 2026-11-20 or 2026-11-20T00:00:00Z.") var from: DateArgument?
    @Option(help: "ISO 8601 end; default now.") var to: DateArgument?
    @Option(help: "The latest N bars (default 100 without --from).") var count: Int?
    @Flag(help: "CSV output: time,open,high,low,close,volume.") var csv = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Live bars built from spots as they form, until Ctrl-C (--count: how many shown).") var live = false
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if period == nil && !live { throw ValidationError("missing --period") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if from != nil && count != nil { throw ValidationError("use --from/--to or --count, not both") }
        if let from, let to, from.date > to.date { throw ValidationError("--from must not be after --to") }
    }

    func run() async throws {
        if live {
            try await runLiveBars(
                symbol: symbol, period: period ?? PeriodArgument(argument: "M1")!, count: count, options: options)
            return
        }
        let name = symbol
        guard let period else { throw ValidationError("missing --period") }
        let csv = csv
        let storeOptions = store
        let now = CTraderUnits.milliseconds(Date())
        let to = to?.milliseconds ?? now
        let count = from == nil ? (count ?? 100) : nil
        // With --count: far enough back for N bars, weekends and holidays included.
        let from = from?.milliseconds ?? (to - Int64(count ?? 0) * period.seconds * 1000 * 3 / 2 - 4 * 86_400_000)
        try await Session.run(options) { session in
            guard let symbol = try await session.resolve([name]).first else { return }
            let progress = ProgressLine("\(symbol.name) \(period.name)")
            let store = try storeOptions.open(embeddedSimulator: session.simulator != nil)
            let fetcher = HistoryFetcher(session: session, store: store)
            var bars = try await fetcher.bars(
                symbol: symbol, period: period, in: HistoryInterval(start: from, end: to), now: now, progress: progress)
            progress.finish()
            if let count, bars.count > count { bars.removeFirst(bars.count - count) }
            let rows: [[String: Any]] = bars.map { bar in
                [
                    "time": Format.date(milliseconds: bar.time),
                    "open": Format.priceNumber(relative: bar.open, digits: symbol.digits),
                    "high": Format.priceNumber(relative: bar.high, digits: symbol.digits),
                    "low": Format.priceNumber(relative: bar.low, digits: symbol.digits),
                    "close": Format.priceNumber(relative: bar.close, digits: symbol.digits),
                    "volume": bar.volume,
                ]
            }
            let columns = ["time", "open", "high", "low", "close", "volume"]
            if session.output.json {
                session.output.emit(["symbol": symbol.name, "period": period.name, "bars": rows] as [String: Any])
            } else if csv {
                session.output.terminal.line(columns.joined(separator: ","))
                for row in rows {
                    session.output.terminal.line(columns.map { Describe.cell(row[$0]) }.joined(separator: ","))
                }
            } else {
                session.output.table(Describe.table(rows, columns: columns, right: Set(columns.dropFirst())))
            }
        }
    }
}

/// `ctrader ticks SYMBOL --from --to`
struct TicksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticks",
        abstract: "Download historical bid and ask ticks, reading the history store first.",
        discussion: """
            Ticks come from the history store (--db); only the spans it does not cover are fetched (in \
            requests of at most a week, paced within the historical limit) and stored. --no-store bypasses \
            the store. Example: ctrader ticks EURUSD --from 2026-11-20T10:00:00Z --to 2026-11-20T11:00:00Z --csv
            """
    )
    @Argument(help: "The symbol's name, e.g. EURUSD.") var symbol: String
    @Option(help: "ISO 8601 start.") var from: DateArgument
    @Option(help: "ISO 8601 end; default now.") var to: DateArgument?
    @Flag(help: "CSV output: time,side,price.") var csv = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if let to, from.date > to.date { throw ValidationError("--from must not be after --to") }
    }

    func run() async throws {
        let name = symbol
        let csv = csv
        let storeOptions = store
        let now = CTraderUnits.milliseconds(Date())
        let from = from.milliseconds
        let to = to?.milliseconds ?? now
        try await Session.run(options) { session in
            guard let symbol = try await session.resolve([name]).first else { return }
            let progress = ProgressLine("\(symbol.name) ticks")
            let store = try storeOptions.open(embeddedSimulator: session.simulator != nil)
            let fetcher = HistoryFetcher(session: session, store: store)
            var all: [(time: Int64, side: String, price: Int64)] = []
            for side in [HistoryTickSide.bid, .ask] {
                let ticks = try await fetcher.ticks(
                    symbol: symbol, side: side, in: HistoryInterval(start: from, end: to), now: now,
                    progress: progress)
                all += ticks.map { ($0.time, side.name, $0.price) }
            }
            progress.finish()
            all.sort { ($0.time, $0.side) < ($1.time, $1.side) }
            let rows: [[String: Any]] = all.map {
                [
                    "time": Format.date(milliseconds: $0.time), "side": $0.side,
                    "price": Format.priceNumber(relative: $0.price, digits: symbol.digits),
                ]
            }
            if session.output.json {
                session.output.emit(["symbol": symbol.name, "ticks": rows] as [String: Any])
            } else if csv {
                session.output.terminal.line("time,side,price")
                for row in rows {
                    session.output.terminal.line(
                        ["time", "side", "price"].map { Describe.cell(row[$0]) }.joined(separator: ",")
                    )
                }
            } else {
                session.output.table(Describe.table(rows, columns: ["time", "side", "price"], right: ["price"]))
            }
        }
    }
}
