// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging
import Foundation

extension SimulatorEngine {
    // MARK: - Closing

    /// Closes `volume` of a position at `exit`: books the gross profit, the swap and the commission
    /// of the closed share on the balance, and returns the deal's close detail. The closed share's
    /// open commission and swap are the position's, times closed / open volume, rounded half away
    /// from zero; the closing side's commission is charged on the closed volume at `exit`. The
    /// position is left CLOSED when nothing remains.
    func closeDetail(
        _ state: inout AccountState, position: inout ProtoOAPosition, volume: Int64, exit: Double,
        symbol: SymbolCatalogue.Symbol, now: Int64
    ) -> ProtoOAClosePositionDetail {
        let arithmetic = self.arithmetic(at: now)
        let exitPrice = Money.price(exit, digits: symbol.digits)
        let gross = arithmetic.grossProfit(
            side: position.tradeData.tradeSide, entry: Money.price(position.price, digits: symbol.digits),
            exit: exitPrice, volume: volume, symbol: symbol, account: state)
        let open = position.tradeData.volume
        func share(_ amount: Int64) -> Int64 {
            guard open > 0, volume < open else { return amount }
            return Money.wholeInt64(Money.rounded(Decimal(amount) * Decimal(volume) / Decimal(open), digits: 0))
        }
        let openShare = share(position.commission)
        let swapShare = share(position.swap)
        let closeFee = arithmetic.commission(volume: volume, price: exitPrice, symbol: symbol, account: state)
        let totalCommission = openShare + closeFee
        state.balance += gross + swapShare + totalCommission
        state.balanceVersion += 1
        position.commission -= openShare
        position.swap -= swapShare
        position.tradeData.volume -= volume
        if position.tradeData.volume == 0 {
            position.positionStatus = .positionStatusClosed
            position.tradeData.closeTimestamp = UInt64(now)
            position.usedMargin = 0
        }
        var detail = ProtoOAClosePositionDetail()
        detail.entryPrice = position.price
        detail.grossProfit = gross
        detail.swap = swapShare
        detail.commission = totalCommission
        detail.balance = state.balance
        detail.quoteToDepositConversionRate = Money.rateDouble(
            arithmetic.depositRate(of: symbol.quoteAssetId, account: state))
        detail.closedVolume = volume
        detail.balanceVersion = state.balanceVersion
        detail.moneyDigits = state.account.moneyDigits
        detail.pnlConversionFee = 0
        return detail
    }

    /// The open position `id` and its symbol; `nil`, after answering POSITION_NOT_FOUND, when the
    /// account has no such position.
    func openPosition(
        _ id: Int64, of state: AccountState, _ request: Request, out: inout Outbox
    ) -> (ProtoOAPosition, SymbolCatalogue.Symbol)? {
        guard let position = state.positions[id],
            let symbol = configuration.catalogue.symbol(position.tradeData.symbolID)
        else {
            orderError(.positionNotFound, "Position \(id) is not found", request, positionId: id, out: &out)
            return nil
        }
        return (position, symbol)
    }

    mutating func closePosition(_ req: ProtoOAClosePositionReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId],
            let (position, symbol) = openPosition(req.positionID, of: state, request, out: &out)
        else { return }
        guard req.volume > 0, req.volume % symbol.stepVolume == 0 else {
            orderError(
                .tradingBadVolume, "Close volume \(req.volume) is not a positive multiple of \(symbol.stepVolume)",
                request, positionId: req.positionID, out: &out)
            return
        }
        let volume = min(req.volume, position.tradeData.volume)
        closeAtMarket(
            position: position, volume: volume, symbol: symbol, account: request.accountId, request: request,
            type: .market, now: request.now, out: &out)
    }

    /// Sends a closing order for `volume` of `position` and fills it at the market.
    mutating func closeAtMarket(
        position: ProtoOAPosition, volume: Int64, symbol: SymbolCatalogue.Symbol, account accountId: Int64,
        request: Request?,
        type: ProtoOAOrderType, now: Int64, out: inout Outbox
    ) {
        guard var state = accounts[accountId] else { return }
        let (bid, ask) = quote(symbol, now: now)
        let side: ProtoOATradeSide = position.tradeData.tradeSide == .buy ? .sell : .buy
        let exit = TradingArithmetic.price(side == .buy ? ask : bid, digits: symbol.digits)
        let arithmetic = self.arithmetic(at: now)
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
        broadcast(
            execution(
                .orderAccepted, account: accountId, order: order, position: position, serverEvent: request == nil),
            account: accountId, request: request, out: &out)

        var closed = position
        let detail = closeDetail(&state, position: &closed, volume: volume, exit: exit, symbol: symbol, now: now)
        closed.utcLastUpdateTimestamp = now
        order.orderStatus = .orderStatusFilled
        order.executionPrice = exit
        order.executedVolume = volume
        // The order's position, open time and side are this close's: the deal is the same as a fill's.
        var deal = makeDeal(order: order, volume: volume, price: exit, symbol: symbol, state: state, now: now)
        deal.commission = detail.commission
        deal.closePositionDetail = detail
        store(&closed, in: &state, symbol: symbol, arithmetic: arithmetic)
        state.orders[order.orderID] = order
        state.deals.append(deal)
        accounts[accountId] = state
        broadcast(
            execution(
                .orderFilled, account: accountId, order: order, position: closed, deal: deal,
                serverEvent: request == nil),
            account: accountId, request: request, out: &out)
        marginChanged(closed, account: state, request: request, out: &out)
    }

    /// Keeps `position` in `state` while it is open, its used margin brought up to date; removes
    /// it once closed.
    func store(
        _ position: inout ProtoOAPosition, in state: inout AccountState, symbol: SymbolCatalogue.Symbol,
        arithmetic: TradingArithmetic
    ) {
        if position.positionStatus == .positionStatusOpen {
            position.usedMargin = UInt64(
                max(0, arithmetic.margin(volume: position.tradeData.volume, symbol: symbol, account: state)))
            state.positions[position.positionID] = position
        } else {
            state.positions[position.positionID] = nil
        }
    }

    // MARK: - Amending

    mutating func amendPosition(_ req: ProtoOAAmendPositionSLTPReq, _ request: Request, out: inout Outbox) {
        guard var state = accounts[request.accountId],
            case (var position, let symbol)? = openPosition(req.positionID, of: state, request, out: &out)
        else { return }
        let (bid, ask) = quote(symbol, now: request.now)
        let buy = position.tradeData.tradeSide == .buy
        // A long position closes at the bid, a short one at the ask.
        let market = TradingArithmetic.price(buy ? bid : ask, digits: symbol.digits)
        if req.hasStopLoss && (buy ? req.stopLoss >= market : req.stopLoss <= market) {
            orderError(
                .tradingBadStops, "Stop loss \(req.stopLoss) is on the wrong side of the market price \(market)",
                request, positionId: req.positionID, out: &out)
            return
        }
        if req.hasTakeProfit && (buy ? req.takeProfit <= market : req.takeProfit >= market) {
            orderError(
                .tradingBadStops, "Take profit \(req.takeProfit) is on the wrong side of the market price \(market)",
                request, positionId: req.positionID, out: &out)
            return
        }
        if req.hasStopLoss { position.stopLoss = req.stopLoss } else { position.clearStopLoss() }
        if req.hasTakeProfit { position.takeProfit = req.takeProfit } else { position.clearTakeProfit() }
        if req.hasTrailingStopLoss { position.trailingStopLoss = req.trailingStopLoss }
        if req.hasGuaranteedStopLoss { position.guaranteedStopLoss = req.guaranteedStopLoss }
        position.utcLastUpdateTimestamp = request.now
        state.positions[req.positionID] = position
        accounts[request.accountId] = state
        broadcast(
            execution(.orderReplaced, account: request.accountId, position: position), account: request.accountId,
            request: request, out: &out)
    }
}
