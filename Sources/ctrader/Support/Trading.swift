import CTraderMessaging
import CTraderSession
import Foundation

extension Session {
    /// Sends a trading request and, when its first event only accepts the order, waits on
    /// ``CTraderClient/executions(bufferSize:)`` for the order's fill (or its rejection), at most
    /// the request timeout (`--timeout`).
    ///
    /// Interrupted (SIGINT, SIGTERM: the task is cancelled) or failed, it never reports less than
    /// it knows: a request not sent yet fails with ``ExitStatus/interrupted`` (nothing was
    /// executed); a request whose outcome is unknown is reconciled
    /// (``reconcileAfterUnknownOutcome(_:)``); an accepted order whose fill was not seen (Ctrl-C,
    /// the timeout, a drop) is reconciled too (``reconcileAfterUnseenFill(_:why:)``). Both exit
    /// with ``ExitStatus/outcomeUnknown``.
    func execute(
        waitForFill: Bool,
        _ request: @escaping @Sendable (CTraderClient) async throws -> ProtoOAExecutionEvent
    ) async throws -> ProtoOAExecutionEvent {
        let executions = client.executions()
        let first: ProtoOAExecutionEvent
        do {
            first = try await request(client)
        } catch let error as CTraderError where error.code == .outcomeUnknown {
            throw await reconcileAfterUnknownOutcome(error)
        } catch let error as CTraderError where error.code == .cancelled && Task.isCancelled {
            throw CLIError(
                message: "interrupted before the trading request was sent: it was not executed",
                exitCode: ExitStatus.interrupted
            )
        }
        guard waitForFill, first.executionType == .orderAccepted else { return first }
        let orderId = first.order.orderID
        let timeout = client.configuration.requestTimeout.components
        let seconds = Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18
        if output.verbose {
            output.terminal.error("ctrader: order \(orderId) accepted; waiting for its fill (at most \(seconds) s)")
        }
        let event: ProtoOAExecutionEvent
        do {
            event = try await withTimeout(seconds, "fill of order \(orderId)") {
                for try await element in executions {
                    guard let event = element.message, event.order.orderID == orderId else { continue }
                    switch event.executionType {
                    case .orderFilled, .orderPartialFill, .orderRejected, .orderCancelled, .orderExpired:
                        return event
                    default:
                        continue
                    }
                }
                throw CTraderError(
                    code: .connectionLost,
                    reason: "the connection closed before order \(orderId) was filled"
                )
            }
        } catch {
            let why: String
            if Task.isCancelled {
                why = "then the command was interrupted"
            } else if let error = error as? CTraderError, error.code == .timeout {
                why = "but no fill came within \(seconds) s"
            } else {
                why = "then the wait failed (\(ExitStatus.describe(error).message))"
            }
            throw await reconcileAfterUnseenFill(first, why: why)
        }
        if event.executionType == .orderRejected {
            throw CTraderError(
                code: .orderError,
                reason: "order \(orderId) rejected",
                errorCode: event.hasErrorCode ? ErrorCode(rawValue: event.errorCode) : nil
            )
        }
        return event
    }

    /// The symbol's current bid and ask (relative units), from its first spot events: subscribes
    /// to its spots until both sides arrived (at most the request timeout), then unsubscribes.
    func currentQuote(_ symbol: SymbolInfo) async throws -> (bid: Int64, ask: Int64) {
        let spots = client.spots()
        let account = account
        try await client.subscribeSpots(account: account, symbols: [symbol.id])
        let timeout = client.configuration.requestTimeout.components
        let seconds = Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18
        let quote = try await withTimeout(seconds, "quote of \(symbol.name)") {
            var bid: Int64?
            var ask: Int64?
            for try await element in spots {
                guard let spot = element.message, spot.ctidTraderAccountID == account, spot.symbolID == symbol.id
                else { continue }
                if spot.hasBid { bid = Int64(clamping: spot.bid) }
                if spot.hasAsk { ask = Int64(clamping: spot.ask) }
                if let bid, let ask { return (bid: bid, ask: ask) }
            }
            throw CTraderError(code: .connectionLost, reason: "the connection closed before a quote of \(symbol.name)")
        }
        try? await client.unsubscribeSpots(account: account, symbols: [symbol.id])
        return quote
    }

    /// The unrealized PnL of the open positions (2187 → 2188), by position id, in the deposit currency.
    func unrealizedPnL() async throws -> (pnl: [Int64: ProtoOAPositionUnrealizedPnL], moneyDigits: UInt32) {
        var request = ProtoOAGetPositionUnrealizedPnLReq()
        request.ctidTraderAccountID = account
        let res = try await client.send(request, expecting: ProtoOAGetPositionUnrealizedPnLRes.self)
        return (
            Dictionary(res.positionUnrealizedPnL.map { ($0.positionID, $0) }, uniquingKeysWith: { a, _ in a }),
            res.moneyDigits
        )
    }

    /// The trader (balance, money digits).
    func trader() async throws -> ProtoOATrader {
        var request = ProtoOATraderReq()
        request.ctidTraderAccountID = account
        return try await client.send(request, expecting: ProtoOATraderRes.self).trader
    }
}

/// Dictionaries for `--json` and rows for tables.
enum Describe {
    static func side(_ side: ProtoOATradeSide) -> String { side == .buy ? "buy" : "sell" }

    static func name(_ value: Any) -> String {
        // `.orderFilled` → ORDER_FILLED
        var out = ""
        for ch in String(describing: value) {
            if ch.isUppercase, !out.isEmpty { out += "_" }
            out += ch.uppercased()
        }
        return out.replacingOccurrences(of: "ORDER_STATUS_", with: "")
    }

    static func position(
        _ p: ProtoOAPosition,
        symbol: SymbolInfo?,
        name: String?,
        pnl: ProtoOAPositionUnrealizedPnL?,
        pnlDigits: UInt32?
    )
        -> [String: Any]
    {
        var object: [String: Any] = [
            "positionId": p.positionID,
            "symbolId": p.tradeData.symbolID,
            "symbol": name ?? "\(p.tradeData.symbolID)",
            "side": side(p.tradeData.tradeSide),
            "volume": p.tradeData.volume,
            "openTime": Format.date(milliseconds: p.tradeData.openTimestamp),
            "price": p.price,
            "swap": Format.moneyNumber(p.swap, moneyDigits: p.moneyDigits),
            "commission": Format.moneyNumber(p.commission, moneyDigits: p.moneyDigits),
        ]
        if let symbol { object["lots"] = NSDecimalNumber(decimal: symbol.lots(volume: p.tradeData.volume)) }
        if p.hasStopLoss { object["stopLoss"] = p.stopLoss }
        if p.hasTakeProfit { object["takeProfit"] = p.takeProfit }
        if let pnl, let pnlDigits {
            object["grossUnrealizedPnL"] = Format.moneyNumber(pnl.grossUnrealizedPnL, moneyDigits: pnlDigits)
            object["netUnrealizedPnL"] = Format.moneyNumber(pnl.netUnrealizedPnL, moneyDigits: pnlDigits)
        }
        return object
    }

    static func order(_ o: ProtoOAOrder, symbol: SymbolInfo?, name: String?) -> [String: Any] {
        var object: [String: Any] = [
            "orderId": o.orderID,
            "symbolId": o.tradeData.symbolID,
            "symbol": name ?? "\(o.tradeData.symbolID)",
            "side": side(o.tradeData.tradeSide),
            "type": Self.name(o.orderType),
            "status": Self.name(o.orderStatus),
            "volume": o.tradeData.volume,
        ]
        if let symbol { object["lots"] = NSDecimalNumber(decimal: symbol.lots(volume: o.tradeData.volume)) }
        if o.hasLimitPrice { object["limitPrice"] = o.limitPrice }
        if o.hasStopPrice { object["stopPrice"] = o.stopPrice }
        if o.hasStopLoss { object["stopLoss"] = o.stopLoss }
        if o.hasTakeProfit { object["takeProfit"] = o.takeProfit }
        if o.hasExecutionPrice { object["executionPrice"] = o.executionPrice }
        if o.hasPositionID { object["positionId"] = o.positionID }
        return object
    }

    static func deal(_ d: ProtoOADeal, symbol: SymbolInfo?, name: String?) -> [String: Any] {
        var object: [String: Any] = [
            "dealId": d.dealID,
            "orderId": d.orderID,
            "positionId": d.positionID,
            "symbolId": d.symbolID,
            "symbol": name ?? "\(d.symbolID)",
            "side": side(d.tradeSide),
            "volume": d.volume,
            "filledVolume": d.filledVolume,
            "executionPrice": d.executionPrice,
            "executionTime": Format.date(milliseconds: d.executionTimestamp),
            "status": Self.name(d.dealStatus),
            "commission": Format.moneyNumber(d.commission, moneyDigits: d.moneyDigits),
        ]
        if let symbol { object["lots"] = NSDecimalNumber(decimal: symbol.lots(volume: d.filledVolume)) }
        if d.hasClosePositionDetail {
            let c = d.closePositionDetail
            let digits = c.hasMoneyDigits ? c.moneyDigits : d.moneyDigits
            object["closePositionDetail"] =
                [
                    "entryPrice": c.entryPrice,
                    "grossProfit": Format.moneyNumber(c.grossProfit, moneyDigits: digits),
                    "swap": Format.moneyNumber(c.swap, moneyDigits: digits),
                    "commission": Format.moneyNumber(c.commission, moneyDigits: digits),
                    "balance": Format.moneyNumber(c.balance, moneyDigits: digits),
                    "closedVolume": c.closedVolume,
                ] as [String: Any]
        }
        return object
    }

    /// A value of a dictionary as a table cell.
    static func cell(_ value: Any?) -> String {
        switch value {
        case nil: return ""
        case let number as NSDecimalNumber: return number.stringValue
        case let double as Double:
            return String(format: "%.5f", double).replacingOccurrences(
                of: #"0+$"#,
                with: "",
                options: .regularExpression
            ).replacingOccurrences(of: #"\.$"#, with: "", options: .regularExpression)
        case let value?: return "\(value)"
        }
    }

    /// A table of dictionaries with the given columns.
    static func table(_ objects: [[String: Any]], columns: [String], right: Set<String> = []) -> TextTable {
        var table = TextTable(headers: columns)
        table.rows = objects.map { object in columns.map { cell(object[$0]) } }
        table.rightAligned = Set(columns.enumerated().filter { right.contains($0.element) }.map(\.offset))
        return table
    }
}

/// A market order's protection from absolute `sl` and `tp` prices: their distances from the price
/// the order fills at now (the ask for a buy, the bid for a sell), in relative units. A level on
/// the wrong side of that price is a usage error, before anything is sent.
func marketProtection(
    side: ProtoOATradeSide,
    quote: (bid: Int64, ask: Int64),
    sl: Double?,
    tp: Double?,
    digits: Int
) throws -> CTraderOrderProtection {
    let buy = side == .buy
    let reference = buy ? quote.ask : quote.bid
    let scale = Double(CTraderUnits.relativePriceScale)
    let name = buy ? "ask" : "bid"
    let referenceText = Format.price(relative: reference, digits: digits)
    var protection = CTraderOrderProtection.none
    if let sl {
        let level = Int64((sl * scale).rounded())
        let distance = buy ? reference - level : level - reference
        guard distance > 0 else {
            throw CLIError.usage("--sl \(sl) must be \(buy ? "below" : "above") the \(name) (\(referenceText))")
        }
        protection.relativeStopLoss = distance
    }
    if let tp {
        let level = Int64((tp * scale).rounded())
        let distance = buy ? level - reference : reference - level
        guard distance > 0 else {
            throw CLIError.usage("--tp \(tp) must be \(buy ? "above" : "below") the \(name) (\(referenceText))")
        }
        protection.relativeTakeProfit = distance
    }
    return protection
}
