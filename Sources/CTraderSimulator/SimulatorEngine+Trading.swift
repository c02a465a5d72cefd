// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    // MARK: - Money

    /// The value of one unit of `assetId` in USD at `now`, through the symbols' mid prices.
    func usdRate(of assetId: Int64, now: Int64, depth: Int = 0) -> Double {
        let usd = SymbolCatalogue.usd
        if assetId == usd { return 1 }
        let symbols = configuration.catalogue.symbols
        func mid(_ symbol: SymbolCatalogue.Symbol) -> Double {
            let q = quote(symbol, now: now)
            return Double(q.bid + q.ask) / 2 / 100_000
        }
        if let direct = symbols.first(where: { $0.baseAssetId == assetId && $0.quoteAssetId == usd }) { return mid(direct) }
        if let inverse = symbols.first(where: { $0.baseAssetId == usd && $0.quoteAssetId == assetId }) { return 1 / mid(inverse) }
        guard depth < 2 else { return 1 }
        if let cross = symbols.first(where: { $0.baseAssetId == assetId }) {
            return mid(cross) * usdRate(of: cross.quoteAssetId, now: now, depth: depth + 1)
        }
        if let cross = symbols.first(where: { $0.quoteAssetId == assetId }) {
            return usdRate(of: cross.baseAssetId, now: now, depth: depth + 1) / mid(cross)
        }
        return 1
    }

    /// The value of one unit of `assetId` in the account's deposit asset.
    func depositRate(of assetId: Int64, account: AccountState, now: Int64) -> Double {
        usdRate(of: assetId, now: now) / usdRate(of: account.account.depositAssetId, now: now)
    }

    func money(_ amount: Double, _ account: AccountState) -> Int64 {
        Int64((amount * account.moneyScale).rounded())
    }

    func margin(volume: Int64, symbol: SymbolCatalogue.Symbol, account: AccountState, now: Int64) -> Int64 {
        let units = Double(volume) / 100
        return money(units * depositRate(of: symbol.baseAssetId, account: account, now: now) / account.leverage, account)
    }

    /// Commission for one side of `volume`, negative (a charge).
    func commission(volume: Int64, symbol: SymbolCatalogue.Symbol, account: AccountState, now: Int64) -> Int64 {
        let notionalUSD = Double(volume) / 100 * usdRate(of: symbol.baseAssetId, now: now)
        let usd = notionalUSD * Double(symbol.commissionPerMillion) / 1_000_000
        return -money(usd / usdRate(of: account.account.depositAssetId, now: now), account)
    }

    func grossProfit(
        side: ProtoOATradeSide, entry: Double, exit: Double, volume: Int64, symbol: SymbolCatalogue.Symbol,
        account: AccountState, now: Int64
    ) -> Int64 {
        let units = Double(volume) / 100
        let difference = side == .buy ? exit - entry : entry - exit
        return money(difference * units * depositRate(of: symbol.quoteAssetId, account: account, now: now), account)
    }

    static func price(_ relative: Int64, digits: Int32) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (Double(relative) / 100_000 * scale).rounded() / scale
    }

    static func round(_ value: Double, digits: Int32) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }

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
        guard req.volume >= symbol.minVolume, req.volume <= symbol.maxVolume, req.volume % symbol.stepVolume == 0 else {
            orderError(
                .tradingBadVolume,
                "Order volume \(req.volume) is outside [\(symbol.minVolume), \(symbol.maxVolume)] or not a multiple of \(symbol.stepVolume)",
                request, out: &out)
            return
        }
        let (bid, ask) = quote(symbol, now: now)
        let marketPrice = Self.price(req.tradeSide == .buy ? ask : bid, digits: symbol.digits)
        var reference = marketPrice
        switch req.orderType {
        case .market, .marketRange:
            if req.hasStopLoss || req.hasTakeProfit {
                out.send(
                    request.connection,
                    errorRes(
                        .invalidRequest, "SL/TP in absolute values are allowed only for order types: [LIMIT, STOP, STOP_LIMIT]",
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
                orderError(.tradingBadPrices, "A STOP or STOP_LIMIT order needs a positive stopPrice", request, out: &out)
                return
            }
            reference = req.stopPrice
        case .stopLossTakeProfit:
            out.send(
                request.connection,
                errorRes(.invalidRequest, "Order type STOP_LOSS_TAKE_PROFIT cannot be sent", msgId: request.clientMsgId, account: request.accountId))
            return
        }
        // Stops on the right side of the reference price.
        let buy = req.tradeSide == .buy
        if req.hasStopLoss && (buy ? req.stopLoss >= reference : req.stopLoss <= reference) {
            orderError(.tradingBadStops, "Stop loss \(req.stopLoss) is on the wrong side of \(reference)", request, out: &out)
            return
        }
        if req.hasTakeProfit && (buy ? req.takeProfit <= reference : req.takeProfit >= reference) {
            orderError(.tradingBadStops, "Take profit \(req.takeProfit) is on the wrong side of \(reference)", request, out: &out)
            return
        }
        if (req.hasRelativeStopLoss && req.relativeStopLoss <= 0) || (req.hasRelativeTakeProfit && req.relativeTakeProfit <= 0) {
            orderError(.tradingBadStops, "Relative stop loss and take profit must be positive", request, out: &out)
            return
        }
        // Margin: opening exposure must fit in the free margin.
        let netting = state.account.isNetted ? state.positions.values.first { $0.tradeData.symbolID == symbol.id } : nil
        let reduces = netting.map { $0.tradeData.tradeSide != req.tradeSide && $0.tradeData.volume >= req.volume } ?? false
        if !reduces {
            let required = margin(volume: req.volume, symbol: symbol, account: state, now: now)
            let equity = state.balance + unrealized(state, now: now)
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
        if req.hasStopPrice && (req.orderType == .stop || req.orderType == .stopLimit) { order.stopPrice = req.stopPrice }
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
            broadcast(execution(.orderAccepted, account: request.accountId, order: order, position: created), account: request.accountId, request: request, out: &out)
            fill(orderId: order.orderID, account: request.accountId, price: marketPrice, request: request, out: &out)
        } else {
            state.pendingOrders[order.orderID] = order
            accounts[request.accountId] = state
            broadcast(execution(.orderAccepted, account: request.accountId, order: order), account: request.accountId, request: request, out: &out)
        }
    }

    func unrealized(_ state: AccountState, now: Int64) -> Int64 {
        state.positions.values.reduce(0) { total, position in
            guard let symbol = configuration.catalogue.symbol(position.tradeData.symbolID) else { return total }
            let (bid, ask) = quote(symbol, now: now)
            let exit = Self.price(position.tradeData.tradeSide == .buy ? bid : ask, digits: symbol.digits)
            return total
                + grossProfit(
                    side: position.tradeData.tradeSide, entry: position.price, exit: exit, volume: position.tradeData.volume,
                    symbol: symbol, account: state, now: now)
        }
    }

    /// Fills an accepted order at `price`: opens, grows, reduces, closes or (netted) reverses a
    /// position. Each position touched gets its ORDER_FILLED event, then a margin-changed event.
    mutating func fill(orderId: Int64, account accountId: Int64, price: Double, request: Request?, out: inout Outbox) {
        guard var state = accounts[accountId], var order = state.orders[orderId],
            let symbol = configuration.catalogue.symbol(order.tradeData.symbolID)
        else { return }
        let now = request?.now ?? order.utcLastUpdateTimestamp
        state.pendingOrders[orderId] = nil
        order.orderStatus = .orderStatusFilled
        order.executionPrice = price
        order.executedVolume = order.tradeData.volume
        order.utcLastUpdateTimestamp = now
        var fills: [(ProtoOAPosition, ProtoOADeal)] = []
        var remaining = order.tradeData.volume
        if var existing = state.positions[order.positionID] {
            var deal = makeDeal(order: order, volume: remaining, price: price, symbol: symbol, state: state, now: now)
            if existing.tradeData.tradeSide == order.tradeData.tradeSide {
                // Netting, same side: the position grows at the average price.
                let v0 = Double(existing.tradeData.volume)
                let v1 = Double(remaining)
                existing.price = Self.round((existing.price * v0 + price * v1) / (v0 + v1), digits: symbol.digits)
                existing.tradeData.volume += remaining
                let fee = commission(volume: remaining, symbol: symbol, account: state, now: now)
                existing.commission += fee
                deal.commission = fee
                remaining = 0
            } else {
                // Netting, opposite side: the position shrinks or closes; any rest opens a new one.
                let closing = min(existing.tradeData.volume, remaining)
                let detail = closeDetail(&state, position: &existing, volume: closing, exit: price, symbol: symbol, now: now)
                deal.closePositionDetail = detail
                deal.commission = detail.commission
                deal.volume = closing
                deal.filledVolume = closing
                remaining -= closing
            }
            fills.append((existing, deal))
            if remaining > 0 { order.positionID = makeId() }
        }
        if remaining > 0 {
            var position = ProtoOAPosition()
            position.positionID = order.positionID
            position.tradeData = order.tradeData
            position.tradeData.volume = remaining
            position.tradeData.openTimestamp = now
            position.positionStatus = .positionStatusOpen
            position.swap = 0
            position.price = price
            var deal = makeDeal(order: order, volume: remaining, price: price, symbol: symbol, state: state, now: now)
            let fee = commission(volume: remaining, symbol: symbol, account: state, now: now)
            position.commission = fee
            deal.commission = fee
            position.moneyDigits = state.account.moneyDigits
            position.marginRate = deal.marginRate
            let buy = order.tradeData.tradeSide == .buy
            if order.hasStopLoss { position.stopLoss = order.stopLoss }
            if order.hasTakeProfit { position.takeProfit = order.takeProfit }
            if order.hasRelativeStopLoss {
                let distance = Double(order.relativeStopLoss) / 100_000
                position.stopLoss = Self.round(buy ? price - distance : price + distance, digits: symbol.digits)
            }
            if order.hasRelativeTakeProfit {
                let distance = Double(order.relativeTakeProfit) / 100_000
                position.takeProfit = Self.round(buy ? price + distance : price - distance, digits: symbol.digits)
            }
            if order.hasTrailingStopLoss { position.trailingStopLoss = order.trailingStopLoss }
            fills.append((position, deal))
        }
        state.orders[orderId] = order
        var events: [(ProtoOAPosition, ProtoOADeal)] = []
        for (position, deal) in fills {
            var position = position
            position.utcLastUpdateTimestamp = now
            if position.positionStatus == .positionStatusOpen {
                position.usedMargin = UInt64(max(0, margin(volume: position.tradeData.volume, symbol: symbol, account: state, now: now)))
                state.positions[position.positionID] = position
            } else {
                state.positions[position.positionID] = nil
            }
            state.deals.append(deal)
            events.append((position, deal))
        }
        accounts[accountId] = state
        for (position, deal) in events {
            broadcast(
                execution(.orderFilled, account: accountId, order: order, position: position, deal: deal, serverEvent: request == nil),
                account: accountId, request: request, out: &out)
            marginChanged(position, account: state, request: request, out: &out)
        }
    }

    mutating func makeDeal(order: ProtoOAOrder, volume: Int64, price: Double, symbol: SymbolCatalogue.Symbol, state: AccountState, now: Int64) -> ProtoOADeal {
        var deal = ProtoOADeal()
        deal.dealID = makeId()
        deal.orderID = order.orderID
        deal.positionID = order.positionID
        deal.volume = volume
        deal.filledVolume = volume
        deal.symbolID = symbol.id
        deal.createTimestamp = order.tradeData.openTimestamp
        deal.executionTimestamp = now
        deal.utcLastUpdateTimestamp = now
        deal.executionPrice = price
        deal.tradeSide = order.tradeData.tradeSide
        deal.dealStatus = .filled
        deal.marginRate = depositRate(of: symbol.baseAssetId, account: state, now: now)
        deal.baseToUsdConversionRate = usdRate(of: symbol.baseAssetId, now: now)
        deal.moneyDigits = state.account.moneyDigits
        return deal
    }

    /// Closes `volume` of a position at `exit`: books the profit and both sides' commission on the
    /// balance, and returns the deal's close detail. The position is left CLOSED when nothing remains.
    func closeDetail(
        _ state: inout AccountState, position: inout ProtoOAPosition, volume: Int64, exit: Double,
        symbol: SymbolCatalogue.Symbol, now: Int64
    ) -> ProtoOAClosePositionDetail {
        let gross = grossProfit(
            side: position.tradeData.tradeSide, entry: position.price, exit: exit, volume: volume, symbol: symbol,
            account: state, now: now)
        // The open commission already charged on this share, plus the closing side.
        let share = position.tradeData.volume > 0 ? Double(volume) / Double(position.tradeData.volume) : 1
        let openShare = Int64((Double(position.commission) * share).rounded())
        let closeFee = commission(volume: volume, symbol: symbol, account: state, now: now)
        let totalCommission = openShare + closeFee
        state.balance += gross + totalCommission
        state.balanceVersion += 1
        position.commission -= openShare
        position.tradeData.volume -= volume
        if position.tradeData.volume == 0 {
            position.positionStatus = .positionStatusClosed
            position.tradeData.closeTimestamp = UInt64(now)
            position.usedMargin = 0
        }
        var detail = ProtoOAClosePositionDetail()
        detail.entryPrice = position.price
        detail.grossProfit = gross
        detail.swap = 0
        detail.commission = totalCommission
        detail.balance = state.balance
        detail.quoteToDepositConversionRate = depositRate(of: symbol.quoteAssetId, account: state, now: now)
        detail.closedVolume = volume
        detail.balanceVersion = state.balanceVersion
        detail.moneyDigits = state.account.moneyDigits
        detail.pnlConversionFee = 0
        return detail
    }

    // MARK: - Closing, cancelling, amending

    mutating func closePosition(_ req: ProtoOAClosePositionReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        guard let position = state.positions[req.positionID], let symbol = configuration.catalogue.symbol(position.tradeData.symbolID) else {
            orderError(.positionNotFound, "Position \(req.positionID) is not found", request, positionId: req.positionID, out: &out)
            return
        }
        guard req.volume > 0, req.volume % symbol.stepVolume == 0 else {
            orderError(.tradingBadVolume, "Close volume \(req.volume) is not a positive multiple of \(symbol.stepVolume)", request, positionId: req.positionID, out: &out)
            return
        }
        let volume = min(req.volume, position.tradeData.volume)
        closeAtMarket(position: position, volume: volume, symbol: symbol, account: request.accountId, request: request, type: .market, now: request.now, out: &out)
    }

    /// Sends a closing order for `volume` of `position` and fills it at the market.
    mutating func closeAtMarket(
        position: ProtoOAPosition, volume: Int64, symbol: SymbolCatalogue.Symbol, account accountId: Int64, request: Request?,
        type: ProtoOAOrderType, now: Int64, out: inout Outbox
    ) {
        guard var state = accounts[accountId] else { return }
        let (bid, ask) = quote(symbol, now: now)
        let side: ProtoOATradeSide = position.tradeData.tradeSide == .buy ? .sell : .buy
        let exit = Self.price(side == .buy ? ask : bid, digits: symbol.digits)
        var order = ProtoOAOrder()
        order.orderID = makeId()
        var trade = ProtoOATradeData()
        trade.symbolID = symbol.id
        trade.volume = volume
        trade.tradeSide = side
        trade.openTimestamp = now
        order.tradeData = trade
        order.orderType = type
        order.orderStatus = .orderStatusAccepted
        order.positionID = position.positionID
        order.closingOrder = true
        order.timeInForce = .immediateOrCancel
        order.executedVolume = 0
        order.utcLastUpdateTimestamp = now
        broadcast(execution(.orderAccepted, account: accountId, order: order, position: position, serverEvent: request == nil), account: accountId, request: request, out: &out)

        var closed = position
        let detail = closeDetail(&state, position: &closed, volume: volume, exit: exit, symbol: symbol, now: now)
        closed.utcLastUpdateTimestamp = now
        order.orderStatus = .orderStatusFilled
        order.executionPrice = exit
        order.executedVolume = volume
        var deal = ProtoOADeal()
        deal.dealID = makeId()
        deal.orderID = order.orderID
        deal.positionID = position.positionID
        deal.volume = volume
        deal.filledVolume = volume
        deal.symbolID = symbol.id
        deal.createTimestamp = now
        deal.executionTimestamp = now
        deal.utcLastUpdateTimestamp = now
        deal.executionPrice = exit
        deal.tradeSide = side
        deal.dealStatus = .filled
        deal.marginRate = depositRate(of: symbol.baseAssetId, account: state, now: now)
        deal.commission = detail.commission
        deal.baseToUsdConversionRate = usdRate(of: symbol.baseAssetId, now: now)
        deal.closePositionDetail = detail
        deal.moneyDigits = state.account.moneyDigits
        if closed.positionStatus == .positionStatusOpen {
            closed.usedMargin = UInt64(max(0, margin(volume: closed.tradeData.volume, symbol: symbol, account: state, now: now)))
            state.positions[closed.positionID] = closed
        } else {
            state.positions[closed.positionID] = nil
        }
        state.orders[order.orderID] = order
        state.deals.append(deal)
        accounts[accountId] = state
        broadcast(
            execution(.orderFilled, account: accountId, order: order, position: closed, deal: deal, serverEvent: request == nil),
            account: accountId, request: request, out: &out)
        marginChanged(closed, account: state, request: request, out: &out)
    }

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
        broadcast(execution(.orderCancelled, account: request.accountId, order: order), account: request.accountId, request: request, out: &out)
    }

    mutating func amendOrder(_ req: ProtoOAAmendOrderReq, _ request: Request, out: inout Outbox) {
        guard var state = accounts[request.accountId] else { return }
        guard var order = state.pendingOrders[req.orderID], let symbol = configuration.catalogue.symbol(order.tradeData.symbolID) else {
            orderError(.orderNotFound, "Order \(req.orderID) is not found", request, orderId: req.orderID, out: &out)
            return
        }
        if req.hasVolume {
            guard req.volume >= symbol.minVolume, req.volume <= symbol.maxVolume, req.volume % symbol.stepVolume == 0 else {
                orderError(.tradingBadVolume, "Order volume \(req.volume) is not allowed", request, orderId: req.orderID, out: &out)
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
                orderError(.tradingBadStops, "Stop loss \(req.stopLoss) is on the wrong side of \(reference)", request, orderId: req.orderID, out: &out)
                return
            }
            order.stopLoss = req.stopLoss
        }
        if req.hasTakeProfit {
            guard buy ? req.takeProfit > reference : req.takeProfit < reference else {
                orderError(.tradingBadStops, "Take profit \(req.takeProfit) is on the wrong side of \(reference)", request, orderId: req.orderID, out: &out)
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
        broadcast(execution(.orderReplaced, account: request.accountId, order: order), account: request.accountId, request: request, out: &out)
    }

    mutating func amendPosition(_ req: ProtoOAAmendPositionSLTPReq, _ request: Request, out: inout Outbox) {
        guard var state = accounts[request.accountId] else { return }
        guard var position = state.positions[req.positionID], let symbol = configuration.catalogue.symbol(position.tradeData.symbolID) else {
            orderError(.positionNotFound, "Position \(req.positionID) is not found", request, positionId: req.positionID, out: &out)
            return
        }
        let (bid, ask) = quote(symbol, now: request.now)
        let buy = position.tradeData.tradeSide == .buy
        // A long position closes at the bid, a short one at the ask.
        let market = Self.price(buy ? bid : ask, digits: symbol.digits)
        if req.hasStopLoss && (buy ? req.stopLoss >= market : req.stopLoss <= market) {
            orderError(.tradingBadStops, "Stop loss \(req.stopLoss) is on the wrong side of the market price \(market)", request, positionId: req.positionID, out: &out)
            return
        }
        if req.hasTakeProfit && (buy ? req.takeProfit <= market : req.takeProfit >= market) {
            orderError(.tradingBadStops, "Take profit \(req.takeProfit) is on the wrong side of the market price \(market)", request, positionId: req.positionID, out: &out)
            return
        }
        if req.hasStopLoss { position.stopLoss = req.stopLoss } else { position.clearStopLoss() }
        if req.hasTakeProfit { position.takeProfit = req.takeProfit } else { position.clearTakeProfit() }
        if req.hasTrailingStopLoss { position.trailingStopLoss = req.trailingStopLoss }
        if req.hasGuaranteedStopLoss { position.guaranteedStopLoss = req.guaranteedStopLoss }
        position.utcLastUpdateTimestamp = request.now
        state.positions[req.positionID] = position
        accounts[request.accountId] = state
        broadcast(execution(.orderReplaced, account: request.accountId, position: position), account: request.accountId, request: request, out: &out)
    }

    // MARK: - Matching

    /// Fills pending orders the price crossed, expires good-till-date ones, and closes positions
    /// whose stop loss or take profit was hit.
    mutating func matchOrders(now: Int64, out: inout Outbox) {
        for accountId in accounts.keys.sorted() {
            guard let state = accounts[accountId] else { continue }
            for orderId in state.pendingOrders.keys.sorted() {
                guard let order = accounts[accountId]?.pendingOrders[orderId],
                    let symbol = configuration.catalogue.symbol(order.tradeData.symbolID)
                else { continue }
                if order.timeInForce == .goodTillDate && order.hasExpirationTimestamp && now >= order.expirationTimestamp {
                    var expired = order
                    expired.orderStatus = .orderStatusExpired
                    expired.utcLastUpdateTimestamp = now
                    accounts[accountId]?.pendingOrders[orderId] = nil
                    accounts[accountId]?.orders[orderId] = expired
                    broadcast(execution(.orderExpired, account: accountId, order: expired, serverEvent: true), account: accountId, request: nil, out: &out)
                    continue
                }
                let (bid, ask) = quote(symbol, now: now)
                let buy = order.tradeData.tradeSide == .buy
                let market = Self.price(buy ? ask : bid, digits: symbol.digits)
                let point = Self.price(symbol.pointRelative, digits: symbol.digits)
                var triggered = false
                switch order.orderType {
                case .limit:
                    triggered = buy ? market <= order.limitPrice : market >= order.limitPrice
                case .stop:
                    triggered = buy ? market >= order.stopPrice : market <= order.stopPrice
                case .stopLimit:
                    let slip = Double(order.slippageInPoints) * point
                    triggered =
                        buy
                        ? market >= order.stopPrice && market <= order.stopPrice + slip
                        : market <= order.stopPrice && market >= order.stopPrice - slip
                default:
                    triggered = false
                }
                if triggered {
                    accounts[accountId]?.orders[orderId]?.utcLastUpdateTimestamp = now
                    fill(orderId: orderId, account: accountId, price: market, request: nil, out: &out)
                }
            }
            for positionId in (accounts[accountId]?.positions.keys.sorted() ?? []) {
                guard let position = accounts[accountId]?.positions[positionId],
                    position.hasStopLoss || position.hasTakeProfit,
                    let symbol = configuration.catalogue.symbol(position.tradeData.symbolID)
                else { continue }
                let (bid, ask) = quote(symbol, now: now)
                let buy = position.tradeData.tradeSide == .buy
                let market = Self.price(buy ? bid : ask, digits: symbol.digits)
                let stopHit = position.hasStopLoss && (buy ? market <= position.stopLoss : market >= position.stopLoss)
                let takeHit = position.hasTakeProfit && (buy ? market >= position.takeProfit : market <= position.takeProfit)
                if stopHit || takeHit {
                    closeAtMarket(
                        position: position, volume: position.tradeData.volume, symbol: symbol, account: accountId, request: nil,
                        type: .stopLossTakeProfit, now: now, out: &out)
                }
            }
        }
    }

    // MARK: - Queries

    mutating func reconcile(_ req: ProtoOAReconcileReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        var res = ProtoOAReconcileRes()
        res.ctidTraderAccountID = request.accountId
        res.position = state.positions.keys.sorted().compactMap { state.positions[$0] }
        res.order = state.pendingOrders.keys.sorted().compactMap { state.pendingOrders[$0] }
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func dealList(_ req: ProtoOADealListReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        let from = req.hasFromTimestamp ? req.fromTimestamp : 0
        let to = req.hasToTimestamp ? req.toTimestamp : 2_147_483_646_000
        guard from >= 0, to <= 2_147_483_646_000, from <= to else {
            out.send(request.connection, errorRes(.incorrectBoundaries, "fromTimestamp and toTimestamp must satisfy 0 <= from <= to <= 2147483646000", msgId: request.clientMsgId, account: request.accountId))
            return
        }
        var deals = state.deals.filter { $0.executionTimestamp >= from && $0.executionTimestamp <= to }
        var limit = configuration.maximumRowsPerResponse
        if req.hasMaxRows && req.maxRows > 0 { limit = min(limit, Int(req.maxRows)) }
        let hasMore = deals.count > limit
        if hasMore { deals = Array(deals.prefix(limit)) }
        var res = ProtoOADealListRes()
        res.ctidTraderAccountID = request.accountId
        res.deal = deals
        res.hasMore_p = hasMore
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func orderList(_ req: ProtoOAOrderListReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        let from = req.hasFromTimestamp ? req.fromTimestamp : 0
        let to = req.hasToTimestamp ? req.toTimestamp : 2_147_483_646_000
        var orders = state.orders.keys.sorted().compactMap { state.orders[$0] }
            .filter { $0.utcLastUpdateTimestamp >= from && $0.utcLastUpdateTimestamp <= to }
        let hasMore = orders.count > configuration.maximumRowsPerResponse
        if hasMore { orders = Array(orders.prefix(configuration.maximumRowsPerResponse)) }
        var res = ProtoOAOrderListRes()
        res.ctidTraderAccountID = request.accountId
        res.order = orders
        res.hasMore_p = hasMore
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func dealsByPosition(_ req: ProtoOADealListByPositionIdReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        let from = req.hasFromTimestamp ? req.fromTimestamp : 0
        let to = req.hasToTimestamp ? req.toTimestamp : 2_147_483_646_000
        var res = ProtoOADealListByPositionIdRes()
        res.ctidTraderAccountID = request.accountId
        res.deal = state.deals.filter {
            $0.positionID == req.positionID && $0.executionTimestamp >= from && $0.executionTimestamp <= to
        }
        res.hasMore_p = false
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func ordersByPosition(_ req: ProtoOAOrderListByPositionIdReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        var res = ProtoOAOrderListByPositionIdRes()
        res.ctidTraderAccountID = request.accountId
        res.order = state.orders.keys.sorted().compactMap { state.orders[$0] }.filter { $0.positionID == req.positionID }
        res.hasMore_p = false
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func expectedMargin(_ req: ProtoOAExpectedMarginReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        guard let symbol = configuration.catalogue.symbol(req.symbolID) else {
            out.send(request.connection, errorRes(.symbolNotFound, "Symbol \(req.symbolID) is not found", msgId: request.clientMsgId, account: request.accountId))
            return
        }
        var res = ProtoOAExpectedMarginRes()
        res.ctidTraderAccountID = request.accountId
        res.moneyDigits = state.account.moneyDigits
        res.margin = req.volume.map { volume in
            var margin = ProtoOAExpectedMargin()
            margin.volume = volume
            let value = self.margin(volume: volume, symbol: symbol, account: state, now: request.now)
            margin.buyMargin = value
            margin.sellMargin = value
            return margin
        }
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func unrealizedPnL(_ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        var res = ProtoOAGetPositionUnrealizedPnLRes()
        res.ctidTraderAccountID = request.accountId
        res.moneyDigits = state.account.moneyDigits
        for positionId in state.positions.keys.sorted() {
            guard let position = state.positions[positionId], let symbol = configuration.catalogue.symbol(position.tradeData.symbolID) else { continue }
            let (bid, ask) = quote(symbol, now: request.now)
            let exit = Self.price(position.tradeData.tradeSide == .buy ? bid : ask, digits: symbol.digits)
            let gross = grossProfit(
                side: position.tradeData.tradeSide, entry: position.price, exit: exit, volume: position.tradeData.volume,
                symbol: symbol, account: state, now: request.now)
            var pnl = ProtoOAPositionUnrealizedPnL()
            pnl.positionID = positionId
            pnl.grossUnrealizedPnL = gross
            pnl.netUnrealizedPnL = gross + 2 * position.commission + position.swap
            res.positionUnrealizedPnL.append(pnl)
        }
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }
}
