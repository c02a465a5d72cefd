import ArgumentParser
import CTraderMessaging
import CTraderSession
import CTraderToolkit
import Foundation

/// `ctrader book SYMBOL [--levels N] [--count N]`
struct BookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book",
        abstract: "Stream a symbol's depth of market: a ladder updating in place on a terminal.",
        discussion: """
            Subscribes to the symbol's depth quotes and rebuilds its book from them. On a terminal the \
            ladder (asks above, bids below, best prices in the middle) is redrawn in place; piped, each \
            update prints the whole ladder followed by an empty line; with --json, each update is one \
            object on one line: {"symbol", "symbolId", "time", "bids": [{"price", "volume", "lots", \
            "quotes"}], "asks": [...]}, bids best (highest) first, asks best (lowest) first. Stops after \
            --count updates or on Ctrl-C (exit 0). Example: ctrader book EURUSD --levels 5
            """
    )

    @Argument(help: "The symbol's name, e.g. EURUSD.") var symbol: String
    @Option(help: "The price levels shown on each side.") var levels: Int = 10
    @Option(help: "Stop after this many updates.") var count: Int?
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if levels <= 0 { throw ValidationError("--levels must be positive") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
    }

    func run() async throws {
        let name = symbol
        let levels = levels
        let count = count
        try await Session.run(options) { session in
            guard let symbol = try await session.resolve([name]).first else { return }
            try await streamBook(session: session, symbol: symbol, levels: levels, count: count)
        }
    }
}

/// Rebuilds `symbol`'s book from depth events and shows it after each update, until `count`
/// updates or cancellation.
///
/// After a reconnect (the stream's marker) the session has renewed the subscription, and the
/// server sends the book whole again, as new quotes: the book is emptied and waits for that event
/// (the first one without deletions). An event that contradicts the book empties it and renews the
/// subscription (unsubscribe, subscribe), then waits the same way.
private func streamBook(session: Session, symbol: SymbolInfo, levels: Int, count: Int?) async throws {
    let client = session.client
    let account = session.account
    let depth = client.depth()
    try await client.subscribeDepth(account: account, symbols: [symbol.id])
    let output = session.output
    let terminal = output.terminal
    let live = terminal.isInteractive && !output.json
    if output.verbose { terminal.error("ctrader: following the depth of \(symbol.name); Ctrl-C to stop") }
    var book = OrderBook(symbolId: UInt64(clamping: symbol.id))
    var awaitingBook = false
    var seen = 0
    var drawn = 0
    for try await element in depth {
        let event: ProtoOADepthEvent
        switch element {
        case .reconnected:
            book.reset()
            awaitingBook = true
            continue
        case .message(let message):
            event = message
        }
        guard event.ctidTraderAccountID == account, event.symbolID == UInt64(clamping: symbol.id) else { continue }
        if awaitingBook {
            guard event.deletedQuotes.isEmpty else { continue }
            book.reset()
            awaitingBook = false
        }
        do {
            try book.apply(event)
        } catch {
            terminal.error("ctrader: a depth event contradicts the book (\(error)); subscribing again")
            book.reset()
            awaitingBook = true
            var unsubscribe = ProtoOAUnsubscribeDepthQuotesReq()
            unsubscribe.ctidTraderAccountID = account
            unsubscribe.symbolID = [symbol.id]
            _ = try await client.send(unsubscribe, expecting: ProtoOAUnsubscribeDepthQuotesRes.self)
            try await client.subscribeDepth(account: account, symbols: [symbol.id])
            continue
        }
        seen += 1
        let ladder = BookLadder(symbol: symbol, book: book, levels: levels)
        if output.json {
            output.emit(ladder.json(time: Date()))
        } else if live {
            let lines = ladder.lines(terminal, updates: seen)
            terminal.redraw(lines, previousLineCount: drawn)
            drawn = lines.count
        } else {
            for line in ladder.lines(terminal, updates: seen) { terminal.line(line) }
            terminal.line()
        }
        if let count, seen >= count { break }
    }
    var unsubscribe = ProtoOAUnsubscribeDepthQuotesReq()
    unsubscribe.ctidTraderAccountID = account
    unsubscribe.symbolID = [symbol.id]
    _ = try? await client.send(unsubscribe, expecting: ProtoOAUnsubscribeDepthQuotesRes.self)
}

/// The top levels of a book, as the CLI shows them.
struct BookLadder {
    let symbol: SymbolInfo
    let bids: [OrderBook.Level]
    let asks: [OrderBook.Level]

    init(symbol: SymbolInfo, book: OrderBook, levels: Int) {
        self.symbol = symbol
        bids = book.bids(top: levels)
        asks = book.asks(top: levels)
    }

    /// `{"symbol", "symbolId", "time", "bids", "asks"}`; prices exact, bids best first, asks best first.
    func json(time: Date) -> [String: Any] {
        [
            "symbol": symbol.name, "symbolId": symbol.id, "time": Format.iso.string(from: time),
            "bids": bids.map(level), "asks": asks.map(level),
        ]
    }

    private func level(_ level: OrderBook.Level) -> [String: Any] {
        let volume = Int64(clamping: level.size)
        return [
            "price": Format.priceNumber(relative: Int64(clamping: level.relativePrice), digits: symbol.digits),
            "volume": volume,
            "lots": NSDecimalNumber(decimal: symbol.lots(volume: volume)),
            "quotes": level.quoteCount,
        ]
    }

    /// The ladder: a title, then the asks (highest first), the spread, the bids (highest first).
    func lines(_ terminal: Terminal, updates: Int) -> [String] {
        var table = TextTable(headers: ["Bid lots", "Price", "Ask lots"])
        table.rightAligned = [0, 1, 2]
        for ask in asks.reversed() {
            table.rows.append(["", price(ask), "\(symbol.lots(volume: Int64(clamping: ask.size)))"])
        }
        let spreadRow = table.rows.count
        for bid in bids {
            table.rows.append(["\(symbol.lots(volume: Int64(clamping: bid.size)))", price(bid), ""])
        }
        var lines = table.render(terminal)
        var spread = "spread -"
        if let bid = bids.first, let ask = asks.first {
            spread =
                "spread "
                + Format.price(relative: Int64(ask.relativePrice) - Int64(bid.relativePrice), digits: symbol.digits)
        }
        lines.insert(terminal.paint(spread, .dim), at: spreadRow + 1)
        let title = terminal.paint("\(symbol.name) depth", .bold) + "  (update \(updates))"
        return [title] + lines
    }

    private func price(_ level: OrderBook.Level) -> String {
        symbol.price(relative: Int64(clamping: level.relativePrice))
    }
}
