import ArgumentParser
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader accounts`
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List the trading accounts of the access token."
    )
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        try await Session.run(options) { session in
            let trader = try await session.trader()
            let objects: [[String: Any]] = session.accounts.map { account in
                var object: [String: Any] = [
                    "ctidTraderAccountId": account.ctidTraderAccountID,
                    "traderLogin": account.traderLogin,
                    "isLive": account.isLive,
                    "broker": account.brokerTitleShort,
                ]
                if Int64(clamping: account.ctidTraderAccountID) == session.account {
                    object["balance"] = Format.moneyNumber(trader.balance, moneyDigits: trader.moneyDigits)
                    object["authorized"] = true
                }
                return object
            }
            if session.output.json {
                session.output.emit(objects)
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: ["ctidTraderAccountId", "traderLogin", "isLive", "broker", "balance"],
                        right: ["balance"]
                    )
                )
            }
        }
    }
}

/// `ctrader symbols [FILTER]`
struct SymbolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "symbols",
        abstract: "List the account's symbols, optionally those whose name or description contains FILTER."
    )
    @Argument(help: "Case-insensitive text to match in the name or description.") var filter: String?
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let filter = filter
        try await Session.run(options) { session in
            var list = try await session.lightSymbols()
            if let filter, !filter.isEmpty {
                list = list.filter {
                    $0.symbolName.localizedCaseInsensitiveContains(filter)
                        || $0.description_p.localizedCaseInsensitiveContains(filter)
                }
            }
            list.sort { $0.symbolName < $1.symbolName }
            let details = try await session.details(list.map(\.symbolID))
            let objects: [[String: Any]] = list.map { symbol in
                var object: [String: Any] = [
                    "symbolId": symbol.symbolID, "name": symbol.symbolName, "description": symbol.description_p,
                    "enabled": symbol.enabled,
                ]
                if let detail = details[symbol.symbolID] {
                    object["digits"] = detail.digits
                    object["lotSize"] = detail.lotSize
                }
                return object
            }
            if session.output.json {
                session.output.emit(objects)
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: ["symbolId", "name", "description", "digits", "lotSize"],
                        right: ["symbolId", "digits", "lotSize"]
                    )
                )
            }
        }
    }
}

/// `ctrader positions`
struct PositionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "positions",
        abstract: "List the open positions with their unrealized PnL."
    )
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        try await Session.run(options) { session in
            let state = try await session.client.reconcile(account: session.account)
            let names = try await session.symbolNames()
            let symbols = try await session.details(state.position.map(\.tradeData.symbolID))
            let pnl = state.position.isEmpty ? ([:], 2) : try await session.unrealizedPnL()
            let objects = state.position.map { p in
                Describe.position(
                    p,
                    symbol: symbols[p.tradeData.symbolID].map { SymbolInfo(light: ProtoOALightSymbol(), detail: $0) },
                    name: names[p.tradeData.symbolID],
                    pnl: pnl.0[p.positionID],
                    pnlDigits: pnl.1
                )
            }
            if session.output.json {
                session.output.emit(objects)
            } else if objects.isEmpty {
                session.output.terminal.line("No open positions.")
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: [
                            "positionId", "symbol", "side", "lots", "price", "stopLoss", "takeProfit",
                            "netUnrealizedPnL",
                        ],
                        right: ["lots", "price", "stopLoss", "takeProfit", "netUnrealizedPnL"]
                    )
                )
            }
        }
    }
}

/// `ctrader orders`
struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "orders", abstract: "List the pending orders.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        try await Session.run(options) { session in
            let state = try await session.client.reconcile(account: session.account)
            let names = try await session.symbolNames()
            let symbols = try await session.details(state.order.map(\.tradeData.symbolID))
            let objects = state.order.map { o in
                Describe.order(
                    o,
                    symbol: symbols[o.tradeData.symbolID].map { SymbolInfo(light: ProtoOALightSymbol(), detail: $0) },
                    name: names[o.tradeData.symbolID]
                )
            }
            if session.output.json {
                session.output.emit(objects)
            } else if objects.isEmpty {
                session.output.terminal.line("No pending orders.")
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: [
                            "orderId", "symbol", "side", "type", "lots", "limitPrice", "stopPrice", "stopLoss",
                            "takeProfit",
                        ],
                        right: ["lots", "limitPrice", "stopPrice", "stopLoss", "takeProfit"]
                    )
                )
            }
        }
    }
}

/// `ctrader deals [--from --to]`
struct DealsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deals",
        abstract: "List the deals (fills) between two dates; default: the last 7 days."
    )
    @Option(help: "ISO 8601 start, e.g. 2026-11-20 or 2026-11-20T00:00:00Z.") var from: DateArgument?
    @Option(help: "ISO 8601 end; default now.") var to: DateArgument?
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let to = to?.milliseconds ?? CTraderUnits.milliseconds(Date())
        let from = from?.milliseconds ?? (to - 7 * 86_400_000)
        guard from <= to else { throw CLIError.usage("--from must not be after --to") }
        try await Session.run(options) { session in
            var request = ProtoOADealListReq()
            request.ctidTraderAccountID = session.account
            request.fromTimestamp = from
            request.toTimestamp = to
            let deals = try await session.client.send(request, expecting: ProtoOADealListRes.self).deal
                .sorted { $0.executionTimestamp < $1.executionTimestamp }
            let names = try await session.symbolNames()
            let symbols = try await session.details(deals.map(\.symbolID))
            let objects = deals.map { d in
                Describe.deal(
                    d,
                    symbol: symbols[d.symbolID].map { SymbolInfo(light: ProtoOALightSymbol(), detail: $0) },
                    name: names[d.symbolID]
                )
            }
            if session.output.json {
                session.output.emit(objects)
            } else if objects.isEmpty {
                session.output.terminal.line("No deals.")
            } else {
                let rows = objects.map { object -> [String: Any] in
                    var row = object
                    row["grossProfit"] = (object["closePositionDetail"] as? [String: Any])?["grossProfit"]
                    return row
                }
                session.output.table(
                    Describe.table(
                        rows,
                        columns: [
                            "dealId", "positionId", "executionTime", "symbol", "side", "lots", "executionPrice",
                            "status", "grossProfit",
                        ],
                        right: ["lots", "executionPrice", "grossProfit"]
                    )
                )
            }
        }
    }
}

/// `ctrader order buy|sell SYMBOL LOTS`
struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order",
        abstract: "Place an order: market by default, or limit / stop.",
        discussion: "Example: ctrader order buy EURUSD 0.1 --sl 1.05 --tp 1.2"
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
        try await Session.run(options) { session in
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
            }
            let request = order
            var event = try await session.execute(waitForFill: isMarket) { client in
                try await client.placeOrder(request)
            }
            if isMarket, sl != nil || tp != nil, event.hasPosition {
                // A market order's protection is absolute only on the position: amend it once filled.
                var amend = ProtoOAAmendPositionSLTPReq()
                amend.ctidTraderAccountID = session.account
                amend.positionID = event.position.positionID
                if let sl { amend.stopLoss = sl }
                if let tp { amend.takeProfit = tp }
                let amendRequest = amend
                let amended = try await session.execute(waitForFill: false) { client in
                    try await client.send(amendRequest, expecting: ProtoOAExecutionEvent.self)
                }
                if amended.hasPosition { event.position = amended.position }
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
        try await Session.run(options) { session in
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
        try await Session.run(options) { session in
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

/// `ctrader send PAYLOADTYPE 'JSON'`
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a raw request and print every answer as a JSON envelope.",
        discussion: """
            ctidTraderAccountId is filled in with the session's account when the message has it and the JSON omits it. \
            Example: ctrader send PROTO_OA_TRADER_REQ '{}'
            """
    )
    @Argument(help: "The payloadType: a number, a proto name or a message name.") var payloadType: String
    @Argument(help: "The payload as a JSON object.") var payload: String = "{}"
    @Option(help: "Seconds to keep printing the order's further execution events (trading requests).") var wait:
        Double = 2
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let codec = JSONEnvelopeCodec(ignoreUnknownFields: false)
        guard let type = codec.registry.payloadType(named: payloadType) else {
            throw CLIError.usage("'\(payloadType)' is not a payload type")
        }
        let payload = payload
        let wait = wait
        do {
            _ = try codec.decodePayload(payload, payloadType: type)
        } catch {
            // Valid once the session's account is filled in?
            guard !payload.contains("ctidTraderAccountId"),
                let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
            else { throw CLIError.usage("the payload is not a valid \(payloadType): \(error)") }
            var withAccount = object
            withAccount["ctidTraderAccountId"] = 1
            do {
                _ = try codec.decodePayload(Output.encode(withAccount), payloadType: type)
            } catch {
                throw CLIError.usage("the payload is not a valid \(payloadType): \(error)")
            }
        }
        try await Session.run(options) { session in
            var text = payload
            if !payload.contains("ctidTraderAccountId"),
                let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
            {
                var withAccount = object
                withAccount["ctidTraderAccountId"] = session.account
                let candidate = Output.encode(withAccount)
                if (try? codec.decodePayload(candidate, payloadType: type)) != nil { text = candidate }
            }
            let message = try codec.decodePayload(text, payloadType: type)
            let executions = session.client.executions()
            let answer: Envelope
            do {
                answer = try await session.client.send(message)
            } catch let error as CTraderError where error.code == .serverError || error.code == .orderError {
                // The server's answer is still an answer: print it, then fail.
                var object: [String: Any] = ["errorCode": error.errorCode?.rawValue ?? "", "description": error.reason]
                if let account = error.ctidTraderAccountId { object["ctidTraderAccountId"] = account }
                let errorType =
                    error.code == .orderError ? PayloadType.protoOaOrderErrorEvent : PayloadType.protoOaErrorRes
                session.output.emit(["payloadType": errorType.rawValue, "payload": object] as [String: Any])
                throw error
            }
            session.output.terminal.line(try codec.encodeString(answer))
            if let event = answer.message(as: ProtoOAExecutionEvent.self), event.executionType == .orderAccepted,
                wait > 0
            {
                let orderId = event.order.orderID
                let lines = try? await withTimeout(wait, "further events") { () -> [String] in
                    var lines: [String] = []
                    for try await element in executions {
                        guard let next = element.message, next.order.orderID == orderId,
                            next.executionType != .orderAccepted
                        else { continue }
                        lines.append((try? codec.encodeString(Envelope(next))) ?? "")
                        if [.orderFilled, .orderRejected, .orderCancelled, .orderExpired].contains(next.executionType) {
                            break
                        }
                    }
                    return lines
                }
                for line in lines ?? [] { session.output.terminal.line(line) }
            }
        }
    }
}
