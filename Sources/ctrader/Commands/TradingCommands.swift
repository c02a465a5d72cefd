import ArgumentParser
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader order buy|sell SYMBOL LOTS`
struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Place an order: market by default, or limit / stop.",
        discussion: """
            Example: ctrader order buy EURUSD 0.1 --sl 1.05 --tp 1.2

            A market order carries its stop loss and take profit on the order itself, as distances from its \
            fill price (the distances of --sl and --tp from the current ask for a buy, bid for a sell), so the \
            position is never unprotected: if the fill slips, both levels move with it.

            A market order waits for its fill (at most --timeout). When the outcome is unknown (the order was \
            sent and its answer was lost, or it was accepted and its fill was not seen, because of Ctrl-C, the \
            timeout or a drop), the account is reconciled, its positions and orders printed, and the exit code \
            is 5. Ctrl-C before the order was sent exits 130: nothing was executed.
            """
    )

    enum Side: String, ExpressibleByArgument, CaseIterable { case buy, sell }

    @Argument(help: "buy or sell.") var side: Side
    @Argument(help: "The symbol's name, e.g. EURUSD.") var symbol: String
    @Argument(help: "The volume in lots, e.g. 0.1.") var lots: Double
    @Option(help: "A limit order at this price.") var limit: Double?
    @Option(help: "A stop order at this price.") var stop: Double?
    @Option(help: "The stop loss price.") var sl: Double?
    @Option(help: "The take profit price.") var tp: Double?
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if limit != nil && stop != nil { throw ValidationError("--limit and --stop exclude each other") }
        if lots <= 0 { throw ValidationError("the volume must be a positive number of lots") }
    }

    func run() async throws {
        let side = side
        let name = symbol
        let lots = lots
        let limit = limit
        let stop = stop
        let sl = sl
        let tp = tp
        try await Session.run(options, interrupted: "interrupted before the order was sent: nothing was executed") {
            session in
            guard let symbol = try await session.resolve([name]).first else { return }
            var order = ProtoOANewOrderReq()
            order.ctidTraderAccountID = session.account
            order.symbolID = symbol.id
            order.tradeSide = side == .buy ? .buy : .sell
            order.volume = try symbol.volume(lots: lots)
            let isMarket = limit == nil && stop == nil
            if let limit {
                order.orderType = .limit
                order.limitPrice = limit
            } else if let stop {
                order.orderType = .stop
                order.stopPrice = stop
            } else {
                order.orderType = .market
            }
            if !isMarket {
                if let sl { order.stopLoss = sl }
                if let tp { order.takeProfit = tp }
            } else if sl != nil || tp != nil {
                // Relative levels on the order itself: no amendment after the fill.
                let quote = try await session.currentQuote(symbol)
                order.setProtection(
                    try marketProtection(side: order.tradeSide, quote: quote, sl: sl, tp: tp, digits: symbol.digits))
            }
            let request = order
            let event = try await session.execute(waitForFill: isMarket) { client in
                try await client.placeOrder(request)
            }
            report(event, symbol: symbol, session: session)
        }
    }
}

/// Prints an execution event: the order, the position and the deal.
func report(_ event: ProtoOAExecutionEvent, symbol: SymbolInfo?, session: Session) {
    var object: [String: Any] = ["executionType": Describe.name(event.executionType)]
    if event.hasOrder { object["order"] = Describe.order(event.order, symbol: symbol, name: symbol?.name) }
    if event.hasPosition {
        object["position"] = Describe.position(
            event.position,
            symbol: symbol,
            name: symbol?.name,
            pnl: nil,
            pnlDigits: nil
        )
    }
    if event.hasDeal { object["deal"] = Describe.deal(event.deal, symbol: symbol, name: symbol?.name) }
    if session.output.json {
        session.output.emit(object)
        return
    }
    let t = session.output.terminal
    t.line(t.paint(Describe.name(event.executionType), .green))
    if event.hasOrder {
        t.line(
            "order     \(event.order.orderID)  \(Describe.name(event.order.orderType)) \(Describe.name(event.order.orderStatus))"
        )
    }
    if event.hasPosition {
        let p = event.position
        var line =
            "position  \(p.positionID)  \(symbol?.name ?? "\(p.tradeData.symbolID)") \(Describe.side(p.tradeData.tradeSide))"
        if p.positionStatus == .positionStatusClosed {
            line += " closed"
        } else if let symbol {
            line += " \(symbol.lots(volume: p.tradeData.volume)) lots"
        }
        if p.hasPrice, p.price > 0 { line += " at \(symbol?.price(p.price) ?? "\(p.price)")" }
        if p.hasStopLoss { line += "  SL \(p.stopLoss)" }
        if p.hasTakeProfit { line += "  TP \(p.takeProfit)" }
        t.line(line)
    }
    if event.hasDeal {
        let d = event.deal
        var line = "deal      \(d.dealID)  \(Describe.side(d.tradeSide))"
        if let symbol { line += " \(symbol.lots(volume: d.filledVolume)) lots" }
        line += " at \(symbol?.price(d.executionPrice) ?? "\(d.executionPrice)")"
        if d.hasClosePositionDetail {
            let c = d.closePositionDetail
            let digits = c.hasMoneyDigits ? c.moneyDigits : d.moneyDigits
            line += "  gross profit \(Format.money(c.grossProfit, moneyDigits: digits))"
            line += "  balance \(Format.money(c.balance, moneyDigits: digits))"
        }
        t.line(line)
    }
}

/// `ctrader close POSITION_ID [--volume LOTS]`
struct CloseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close",
        abstract: "Close a position, entirely or in part."
    )
    @Argument(help: "The position id.") var positionId: Int64
    @Option(help: "The lots to close; default all.") var volume: Double?
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let positionId = positionId
        let lots = volume
        try await Session.run(options, interrupted: "interrupted before the close was sent: the position is unchanged")
        {
            session in
            let state = try await session.client.reconcile(account: session.account)
            guard let position = state.position.first(where: { $0.positionID == positionId }) else {
                throw CLIError.runtime("no open position \(positionId) (see: ctrader positions)")
            }
            let names = try await session.symbolNames()
            let details = try await session.details([position.tradeData.symbolID])
            var light = ProtoOALightSymbol()
            light.symbolID = position.tradeData.symbolID
            light.symbolName = names[position.tradeData.symbolID] ?? "\(position.tradeData.symbolID)"
            let symbol = SymbolInfo(light: light, detail: details[position.tradeData.symbolID])
            let volume = try lots.map { try symbol.volume(lots: $0) } ?? position.tradeData.volume
            let account = session.account
            let event = try await session.execute(waitForFill: true) { client in
                try await client.closePosition(account: account, positionId: positionId, volume: volume)
            }
            report(event, symbol: symbol, session: session)
        }
    }
}

/// `ctrader cancel ORDER_ID`
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a pending order.")
    @Argument(help: "The order id.") var orderId: Int64
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let orderId = orderId
        try await Session.run(options, interrupted: "interrupted before the cancel was sent: the order is unchanged") {
            session in
            var request = ProtoOACancelOrderReq()
            request.ctidTraderAccountID = session.account
            request.orderID = orderId
            let cancel = request
            let event = try await session.execute(waitForFill: false) { client in
                try await client.send(cancel, expecting: ProtoOAExecutionEvent.self)
            }
            report(event, symbol: nil, session: session)
        }
    }
}
