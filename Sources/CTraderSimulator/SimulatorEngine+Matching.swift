// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
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
                if order.timeInForce == .goodTillDate && order.hasExpirationTimestamp
                    && now >= order.expirationTimestamp
                {
                    var expired = order
                    expired.orderStatus = .orderStatusExpired
                    expired.utcLastUpdateTimestamp = now
                    accounts[accountId]?.pendingOrders[orderId] = nil
                    accounts[accountId]?.orders[orderId] = expired
                    broadcast(
                        execution(.orderExpired, account: accountId, order: expired, serverEvent: true),
                        account: accountId, request: nil, out: &out)
                    continue
                }
                guard isTrading(symbol, now: now) else { continue }  // nothing fills while the market is closed
                let (bid, ask) = quote(symbol, now: now)
                let buy = order.tradeData.tradeSide == .buy
                let market = TradingArithmetic.price(buy ? ask : bid, digits: symbol.digits)
                let point = TradingArithmetic.price(symbol.pointRelative, digits: symbol.digits)
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
                    let symbol = configuration.catalogue.symbol(position.tradeData.symbolID),
                    isTrading(symbol, now: now)
                else { continue }
                let (bid, ask) = quote(symbol, now: now)
                let buy = position.tradeData.tradeSide == .buy
                let market = TradingArithmetic.price(buy ? bid : ask, digits: symbol.digits)
                let stopHit = position.hasStopLoss && (buy ? market <= position.stopLoss : market >= position.stopLoss)
                let takeHit =
                    position.hasTakeProfit && (buy ? market >= position.takeProfit : market <= position.takeProfit)
                if stopHit || takeHit {
                    closeAtMarket(
                        position: position, volume: position.tradeData.volume, symbol: symbol, account: accountId,
                        request: nil,
                        type: .stopLossTakeProfit, now: now, out: &out)
                }
            }
        }
    }
}
