// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    // MARK: - Events

    /// Sends an account event to every connection authorized for it; the requesting connection
    /// gets it with the request's clientMsgId.
    func broadcast(_ message: some CTraderMessage, account: Int64, request: Request?, out: inout Outbox) {
        for id in connections.keys.sorted() where connections[id]?.authorizedAccounts.contains(account) == true {
            let msgId = id == request?.connection ? request?.clientMsgId : nil
            out.send(id, Envelope(message, clientMsgId: msgId))
        }
    }

    func orderError(
        _ code: ErrorCode, _ description: String, _ request: Request, orderId: Int64? = nil, positionId: Int64? = nil,
        out: inout Outbox
    ) {
        var event = ProtoOAOrderErrorEvent()
        event.ctidTraderAccountID = request.accountId
        event.errorCode = code.rawValue
        event.description_p = description
        if let orderId { event.orderID = orderId }
        if let positionId { event.positionID = positionId }
        out.send(request.connection, Envelope(event, clientMsgId: request.clientMsgId))
    }

    func execution(
        _ type: ProtoOAExecutionType, account: Int64, order: ProtoOAOrder? = nil, position: ProtoOAPosition? = nil,
        deal: ProtoOADeal? = nil, serverEvent: Bool = false
    ) -> ProtoOAExecutionEvent {
        var event = ProtoOAExecutionEvent()
        event.ctidTraderAccountID = account
        event.executionType = type
        if let order { event.order = order }
        if let position { event.position = position }
        if let deal { event.deal = deal }
        if serverEvent { event.isServerEvent = true }
        return event
    }

    func marginChanged(_ position: ProtoOAPosition, account: AccountState, request: Request?, out: inout Outbox) {
        var event = ProtoOAMarginChangedEvent()
        event.ctidTraderAccountID = account.account.ctidTraderAccountId
        event.positionID = UInt64(position.positionID)
        event.usedMargin = position.usedMargin
        event.moneyDigits = account.account.moneyDigits
        broadcast(event, account: account.account.ctidTraderAccountId, request: nil, out: &out)
    }

    // MARK: - New orders

    mutating func newOrder(_ req: ProtoOANewOrderReq, _ request: Request, out: inout Outbox) {
        guard var state = accounts[request.accountId] else { return }
        let now = request.now
        if let code = faults.rejectOrdersWithErrorCode {
            orderError(ErrorCode(code), "Order rejected by the simulator's fault injection", request, out: &out)
            return
        }
        guard let symbol = configuration.catalogue.symbol(req.symbolID) else {
            orderError(.symbolNotFound, "Symbol \(req.symbolID) is not found", request, out: &out)
            return
        }
        if refuseWhenMarketClosed(symbol, request, out: &out) { return }
        guard req.volume >= symbol.minVolume, req.volume <= symbol.maxVolume, req.volume % symbol.stepVolume == 0 else {
            orderError(
                .tradingBadVolume,
                "Order volume \(req.volume) is outside [\(symbol.minVolume), \(symbol.maxVolume)] or not a multiple of \(symbol.stepVolume)",
                request, out: &out)
            return
        }
        let (bid, ask) = quote(symbol, now: now)
        let marketPrice = TradingArithmetic.price(req.tradeSide == .buy ? ask : bid, digits: symbol.digits)
        var reference = marketPrice
        switch req.orderType {
        case .market, .marketRange:
            if req.hasStopLoss || req.hasTakeProfit {
                out.send(
                    request.connection,
                    errorRes(
                        .invalidRequest,
                        "SL/TP in absolute values are allowed only for order types: [LIMIT, STOP, STOP_LIMIT]",
                        msgId: request.clientMsgId, account: request.accountId))
                return
            }
        case .limit:
            guard req.hasLimitPrice, req.limitPrice > 0 else {
                orderError(.tradingBadPrices, "A LIMIT order needs a positive limitPrice", request, out: &out)
                return
            }
            reference = req.limitPrice
        case .stop, .stopLimit:
            guard req.hasStopPrice, req.stopPrice > 0 else {
                orderError(
                    .tradingBadPrices, "A STOP or STOP_LIMIT order needs a positive stopPrice", request, out: &out)
                return
            }
            reference = req.stopPrice
        case .stopLossTakeProfit:
            out.send(
                request.connection,
                errorRes(
                    .invalidRequest, "Order type STOP_LOSS_TAKE_PROFIT cannot be sent", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        // Stops on the right side of the reference price.
        let buy = req.tradeSide == .buy
        if req.hasStopLoss && (buy ? req.stopLoss >= reference : req.stopLoss <= reference) {
            orderError(
                .tradingBadStops, "Stop loss \(req.stopLoss) is on the wrong side of \(reference)", request, out: &out)
            return
        }
        if req.hasTakeProfit && (buy ? req.takeProfit <= reference : req.takeProfit >= reference) {
            orderError(
                .tradingBadStops, "Take profit \(req.takeProfit) is on the wrong side of \(reference)", request,
                out: &out)
            return
        }
        if (req.hasRelativeStopLoss && req.relativeStopLoss <= 0)
            || (req.hasRelativeTakeProfit && req.relativeTakeProfit <= 0)
        {
            orderError(.tradingBadStops, "Relative stop loss and take profit must be positive", request, out: &out)
            return
        }
        // Margin: opening exposure must fit in the free margin.
        let netting = state.account.isNetted ? state.positions.values.first { $0.tradeData.symbolID == symbol.id } : nil
        let reduces =
            netting.map { $0.tradeData.tradeSide != req.tradeSide && $0.tradeData.volume >= req.volume } ?? false
        if !reduces {
            let arithmetic = self.arithmetic(at: now)
            let required = arithmetic.margin(volume: req.volume, symbol: symbol, account: state)
            let equity = state.balance + arithmetic.unrealized(state)
            if required > equity - state.usedMargin {
                orderError(.notEnoughMoney, "Not enough money: the order needs \(required) margin", request, out: &out)
                return
            }
        }
        var order = ProtoOAOrder()
        order.orderID = makeId()
        var trade = ProtoOATradeData()
        trade.symbolID = symbol.id
        trade.volume = req.volume
        trade.tradeSide = req.tradeSide
        trade.openTimestamp = now
        if req.hasLabel { trade.label = req.label }
        if req.hasComment { trade.comment = req.comment }
        order.tradeData = trade
        order.orderType = req.orderType
        order.orderStatus = .orderStatusAccepted
        order.utcLastUpdateTimestamp = now
        order.executedVolume = 0
        order.closingOrder = false
        if req.hasClientOrderID { order.clientOrderID = req.clientOrderID }
        if req.hasLimitPrice && req.orderType == .limit { order.limitPrice = req.limitPrice }
        if req.hasStopPrice && (req.orderType == .stop || req.orderType == .stopLimit) {
            order.stopPrice = req.stopPrice
        }
        if req.hasSlippageInPoints { order.slippageInPoints = Int64(req.slippageInPoints) }
        if req.hasBaseSlippagePrice { order.baseSlippagePrice = req.baseSlippagePrice }
        if req.hasStopLoss { order.stopLoss = req.stopLoss }
        if req.hasTakeProfit { order.takeProfit = req.takeProfit }
        if req.hasRelativeStopLoss { order.relativeStopLoss = req.relativeStopLoss }
        if req.hasRelativeTakeProfit { order.relativeTakeProfit = req.relativeTakeProfit }
        if req.hasTrailingStopLoss { order.trailingStopLoss = req.trailingStopLoss }
        if req.hasExpirationTimestamp { order.expirationTimestamp = req.expirationTimestamp }
        let isMarket = req.orderType == .market || req.orderType == .marketRange
        order.timeInForce = isMarket ? .immediateOrCancel : (req.hasTimeInForce ? req.timeInForce : .goodTillCancel)
        order.positionID = netting?.positionID ?? makeId()
        state.orders[order.orderID] = order

        if isMarket {
            var created = netting ?? ProtoOAPosition()
            if netting == nil {
                created.positionID = order.positionID
                var data = trade
                data.volume = 0
                created.tradeData = data
                created.positionStatus = .positionStatusCreated
                created.swap = 0
                created.commission = 0
                created.moneyDigits = state.account.moneyDigits
                created.utcLastUpdateTimestamp = now
            }
            accounts[request.accountId] = state
            broadcast(
                execution(.orderAccepted, account: request.accountId, order: order, position: created),
                account: request.accountId, request: request, out: &out)
            fill(orderId: order.orderID, account: request.accountId, price: marketPrice, request: request, out: &out)
        } else {
            state.pendingOrders[order.orderID] = order
            accounts[request.accountId] = state
            broadcast(
                execution(.orderAccepted, account: request.accountId, order: order), account: request.accountId,
                request: request, out: &out)
        }
    }

    // MARK: - Cancelling, amending

    mutating func cancelOrder(_ req: ProtoOACancelOrderReq, _ request: Request, out: inout Outbox) {
        guard var state = accounts[request.accountId] else { return }
        guard var order = state.pendingOrders[req.orderID] else {
            orderError(.orderNotFound, "Order \(req.orderID) is not found", request, orderId: req.orderID, out: &out)
            return
        }
        order.orderStatus = .orderStatusCancelled
        order.utcLastUpdateTimestamp = request.now
        state.pendingOrders[req.orderID] = nil
        state.orders[req.orderID] = order
        accounts[request.accountId] = state
        broadcast(
            execution(.orderCancelled, account: request.accountId, order: order), account: request.accountId,
            request: request, out: &out)
    }

    mutating func amendOrder(_ req: ProtoOAAmendOrderReq, _ request: Request, out: inout Outbox) {
        guard var state = accounts[request.accountId] else { return }
        guard var order = state.pendingOrders[req.orderID],
            let symbol = configuration.catalogue.symbol(order.tradeData.symbolID)
        else {
            orderError(.orderNotFound, "Order \(req.orderID) is not found", request, orderId: req.orderID, out: &out)
            return
        }
        if req.hasVolume {
            guard req.volume >= symbol.minVolume, req.volume <= symbol.maxVolume, req.volume % symbol.stepVolume == 0
            else {
                orderError(
                    .tradingBadVolume, "Order volume \(req.volume) is not allowed", request, orderId: req.orderID,
                    out: &out)
                return
            }
            order.tradeData.volume = req.volume
        }
        if req.hasLimitPrice { order.limitPrice = req.limitPrice }
        if req.hasStopPrice { order.stopPrice = req.stopPrice }
        if req.hasExpirationTimestamp { order.expirationTimestamp = req.expirationTimestamp }
        if req.hasSlippageInPoints { order.slippageInPoints = Int64(req.slippageInPoints) }
        if req.hasTrailingStopLoss { order.trailingStopLoss = req.trailingStopLoss }
        let reference = order.orderType == .limit ? order.limitPrice : order.stopPrice
        let buy = order.tradeData.tradeSide == .buy
        if req.hasStopLoss {
            guard buy ? req.stopLoss < reference : req.stopLoss > reference else {
                orderError(
                    .tradingBadStops, "Stop loss \(req.stopLoss) is on the wrong side of \(reference)", request,
                    orderId: req.orderID, out: &out)
                return
            }
            order.stopLoss = req.stopLoss
        }
        if req.hasTakeProfit {
            guard buy ? req.takeProfit > reference : req.takeProfit < reference else {
                orderError(
                    .tradingBadStops, "Take profit \(req.takeProfit) is on the wrong side of \(reference)", request,
                    orderId: req.orderID, out: &out)
                return
            }
            order.takeProfit = req.takeProfit
        }
        if req.hasRelativeStopLoss { order.relativeStopLoss = req.relativeStopLoss }
        if req.hasRelativeTakeProfit { order.relativeTakeProfit = req.relativeTakeProfit }
        order.utcLastUpdateTimestamp = request.now
        state.pendingOrders[req.orderID] = order
        state.orders[req.orderID] = order
        accounts[request.accountId] = state
        broadcast(
            execution(.orderReplaced, account: request.accountId, order: order), account: request.accountId,
            request: request, out: &out)
    }
}
