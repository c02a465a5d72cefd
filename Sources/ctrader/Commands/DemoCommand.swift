import ArgumentParser
import CTraderMessaging
import CTraderSession
import Foundation
import _CTraderLocking

/// `ctrader demo`: the tour of the README.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A guided tour against an embedded simulator: accounts, symbols, live quotes, a trade and its deal.",
        discussion: "Takes about 8 seconds. Example: swift run ctrader demo"
    )

    @Option(help: "Seconds of live quotes.") var quoteSeconds: Double = 4
    @Option(help: "The symbol to trade.") var symbol: String = "EURUSD"
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let started = Date()
        let terminal = Terminal.current
        let json = options.json
        let tradeName = symbol
        let quoteSeconds = quoteSeconds
        let steps = StepCounter(terminal: terminal, json: json)
        let isEmbedded = options.endpoint == nil
        if !json {
            terminal.line(
                terminal.paint("ctrader demo", .bold) + terminal.paint(" · the cTrader Open API from Swift", .dim)
            )
        }
        try await Session.run(
            options,
            announce: { url in
                steps.step("Started the embedded simulator", detail: url, ["url": url])
            }
        ) { session in
            let out = session.output
            steps.step(
                "Connected and authenticated the application",
                detail: (isEmbedded ? "" : "\(session.endpointDescription) · ")
                    + "account \(session.account) authorized",
                ["account": session.account]
            )

            // Accounts.
            let trader = try await session.trader()
            let accounts: [[String: Any]] = session.accounts.map { account in
                var object: [String: Any] = [
                    "ctidTraderAccountId": account.ctidTraderAccountID, "traderLogin": account.traderLogin,
                    "type": account.isLive ? "live" : "demo", "broker": account.brokerTitleShort,
                ]
                if Int64(clamping: account.ctidTraderAccountID) == session.account {
                    object["balance"] = Format.moneyNumber(trader.balance, moneyDigits: trader.moneyDigits)
                }
                return object
            }
            steps.step("Accounts of the access token", detail: "\(accounts.count)", ["accounts": accounts])
            if !json {
                out.table(
                    Describe.table(
                        accounts,
                        columns: ["ctidTraderAccountId", "traderLogin", "type", "broker", "balance"],
                        right: ["balance"]
                    )
                )
            }

            // Symbols.
            let all = try await session.lightSymbols()
            let wanted = [tradeName, "GBPUSD", "USDJPY", "XAUUSD", "BTCUSD"].reduce(into: [String]()) { list, name in
                if !list.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }),
                    all.contains(where: { $0.symbolName.caseInsensitiveCompare(name) == .orderedSame })
                {
                    list.append(name)
                }
            }
            let symbols = try await session.resolve(wanted.isEmpty ? [tradeName] : wanted)
            let symbolRows: [[String: Any]] = symbols.map {
                ["symbolId": $0.id, "name": $0.name, "description": $0.light.description_p, "digits": $0.digits]
            }
            steps.step("Symbols", detail: "\(all.count) available, showing \(symbols.count)", ["symbols": symbolRows])
            if !json {
                out.table(
                    Describe.table(
                        symbolRows,
                        columns: ["symbolId", "name", "description", "digits"],
                        right: ["symbolId", "digits"]
                    )
                )
            }

            // Quotes.
            steps.step(
                "Live quotes for \(Int(quoteSeconds)) seconds",
                detail: terminal.isInteractive ? "" : "one snapshot a second",
                [:]
            )
            try await streamQuotes(
                session: session,
                symbols: symbols,
                count: nil,
                duration: quoteSeconds,
                plainEvery: 1
            )

            // A market order.
            guard let trade = symbols.first(where: { $0.name.caseInsensitiveCompare(tradeName) == .orderedSame }) else {
                throw CLIError.runtime("unknown symbol '\(tradeName)' (see: ctrader symbols)")
            }
            let volume = try trade.volume(lots: 0.1)
            let account = session.account
            let filled = try await session.execute(waitForFill: true) { client in
                try await client.placeMarketOrder(
                    account: account,
                    symbol: trade.id,
                    side: .buy,
                    volume: volume,
                    label: "ctrader demo"
                )
            }
            let position = filled.position
            steps.step(
                "Bought 0.1 lots of \(trade.name) at market",
                detail: "position \(position.positionID) at \(trade.price(filled.deal.executionPrice))",
                ["position": Describe.position(position, symbol: trade, name: trade.name, pnl: nil, pnlDigits: nil)]
            )

            // PnL.
            steps.step("The position's unrealized PnL", detail: "", [:])
            var drawn = 0
            for update in 1...5 {
                try await Task.sleep(for: .milliseconds(500))
                let (pnl, digits) = try await session.unrealizedPnL()
                let state = try await session.client.reconcile(account: account)
                let value = pnl[position.positionID]
                let net = value.map { Format.money($0.netUnrealizedPnL, moneyDigits: digits) } ?? "-"
                let gross = value.map { Format.money($0.grossUnrealizedPnL, moneyDigits: digits) } ?? "-"
                let entry = state.position.first { $0.positionID == position.positionID }?.price ?? position.price
                if json {
                    out.emit(
                        [
                            "update": update, "positionId": position.positionID, "grossUnrealizedPnL": gross,
                            "netUnrealizedPnL": net,
                        ] as [String: Any]
                    )
                    continue
                }
                let style: Terminal.Style = (value?.netUnrealizedPnL ?? 0) >= 0 ? .green : .red
                let line =
                    "  #\(update)  position \(position.positionID)  \(trade.name) buy 0.1 @ \(trade.price(entry))  gross \(gross)  net \(terminal.paint(net, style))"
                if terminal.isInteractive {
                    terminal.redraw([line], previousLineCount: drawn)
                    drawn = 1
                } else {
                    terminal.line(line)
                }
            }

            // Close.
            let closed = try await session.execute(waitForFill: true) { client in
                try await client.closePosition(
                    account: account,
                    positionId: position.positionID,
                    volume: position.tradeData.volume
                )
            }
            let deal = Describe.deal(closed.deal, symbol: trade, name: trade.name)
            let detail = closed.deal.closePositionDetail
            let digits = detail.hasMoneyDigits ? detail.moneyDigits : closed.deal.moneyDigits
            steps.step("Closed the position", detail: "deal \(closed.deal.dealID)", ["deal": deal])
            if !json {
                let profit = Format.money(detail.grossProfit, moneyDigits: digits)
                terminal.line(
                    "  deal \(closed.deal.dealID)  sell 0.1 \(trade.name) at \(trade.price(closed.deal.executionPrice))"
                        + "  entry \(trade.price(detail.entryPrice))  gross profit "
                        + terminal.paint(profit, detail.grossProfit >= 0 ? .green : .red)
                        + "  balance \(Format.money(detail.balance, moneyDigits: digits))"
                )
            }
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        steps.step("Disconnected", detail: "WebSocket closed with 1000 · \(seconds) s", [:])
        if !json {
            terminal.line(
                terminal.paint("Next: ctrader --help, or ctrader simulator and point the other commands at it.", .dim)
            )
        }
    }
}

/// Numbered steps: `1. Title  detail`, or one JSON object per step.
final class StepCounter: Sendable {
    private let number = Locked(0)
    let terminal: Terminal
    let json: Bool

    init(terminal: Terminal, json: Bool) {
        self.terminal = terminal
        self.json = json
    }

    func step(_ title: String, detail: String, _ data: [String: Any]) {
        let n = number.withLock { value in
            value += 1
            return value
        }
        if json {
            var object = data
            object["step"] = n
            object["title"] = title
            terminal.line(Output.encode(object))
        } else {
            terminal.line("")
            let text = terminal.paint("\(n). \(title)", .bold)
            terminal.line(detail.isEmpty ? text : text + "  " + terminal.paint(detail, .cyan))
        }
    }
}
