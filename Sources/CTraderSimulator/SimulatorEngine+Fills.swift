// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging
import Foundation

extension SimulatorEngine {
    // MARK: - Fills

    /// Fills an accepted order at `price`: opens, grows, reduces, closes or (netted) reverses a
    /// position. Each position touched gets its ORDER_FILLED event, then a margin-changed event.
    mutating func fill(orderId: Int64, account accountId: Int64, price: Double, request: Request?, out: inout Outbox) {
        guard var state = accounts[accountId], var order = state.orders[orderId],
            let symbol = configuration.catalogue.symbol(order.tradeData.symbolID)
        else { return }
        let now = request?.now ?? order.utcLastUpdateTimestamp
        let arithmetic = self.arithmetic(at: now)
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
                // Netting, same side: the position grows at the average price (rounded to the
                // symbol's digits, half away from zero).
                let v0 = Decimal(existing.tradeData.volume)
                let v1 = Decimal(remaining)
                let average =
                    (Money.price(existing.price, digits: symbol.digits) * v0 + Money.price(price, digits: symbol.digits)
                        * v1) / (v0 + v1)
                existing.price = Money.wire(average, digits: symbol.digits)
                existing.tradeData.volume += remaining
                let fee = arithmetic.commission(
                    volume: remaining, price: Money.price(price, digits: symbol.digits), symbol: symbol, account: state)
                existing.commission += fee
                deal.commission = fee
                remaining = 0
            } else {
                // Netting, opposite side: the position shrinks or closes; any rest opens a new one.
                let closing = min(existing.tradeData.volume, remaining)
                let detail = closeDetail(
                    &state, position: &existing, volume: closing, exit: price, symbol: symbol, now: now)
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
            let fee = arithmetic.commission(
                volume: remaining, price: Money.price(price, digits: symbol.digits), symbol: symbol, account: state)
            position.commission = fee
            deal.commission = fee
            position.moneyDigits = state.account.moneyDigits
            position.marginRate = deal.marginRate
            let buy = order.tradeData.tradeSide == .buy
            if order.hasStopLoss { position.stopLoss = order.stopLoss }
            if order.hasTakeProfit { position.takeProfit = order.takeProfit }
            // Relative protection is placed from the fill price, in 1/100000 units, rounded to
            // the symbol's digits half away from zero.
            let fillPrice = Money.price(price, digits: symbol.digits)
            if order.hasRelativeStopLoss {
                let distance = Money.price(relative: order.relativeStopLoss, digits: 5)
                position.stopLoss = Money.wire(buy ? fillPrice - distance : fillPrice + distance, digits: symbol.digits)
            }
            if order.hasRelativeTakeProfit {
                let distance = Money.price(relative: order.relativeTakeProfit, digits: 5)
                position.takeProfit = Money.wire(
                    buy ? fillPrice + distance : fillPrice - distance, digits: symbol.digits)
            }
            if order.hasTrailingStopLoss { position.trailingStopLoss = order.trailingStopLoss }
            fills.append((position, deal))
        }
        state.orders[orderId] = order
        var events: [(ProtoOAPosition, ProtoOADeal)] = []
        for (position, deal) in fills {
            var position = position
            position.utcLastUpdateTimestamp = now
            store(&position, in: &state, symbol: symbol, arithmetic: arithmetic)
            state.deals.append(deal)
            events.append((position, deal))
        }
        accounts[accountId] = state
        for (position, deal) in events {
            broadcast(
                execution(
                    .orderFilled, account: accountId, order: order, position: position, deal: deal,
                    serverEvent: request == nil),
                account: accountId, request: request, out: &out)
            marginChanged(position, account: state, request: request, out: &out)
        }
    }

    mutating func makeDeal(
        order: ProtoOAOrder, volume: Int64, price: Double, symbol: SymbolCatalogue.Symbol, state: AccountState,
        now: Int64
    ) -> ProtoOADeal {
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
        let arithmetic = self.arithmetic(at: now)
        deal.marginRate = Money.rateDouble(arithmetic.depositRate(of: symbol.baseAssetId, account: state))
        deal.baseToUsdConversionRate = Money.rateDouble(arithmetic.usdRate(of: symbol.baseAssetId))
        deal.moneyDigits = state.account.moneyDigits
        return deal
    }
}
