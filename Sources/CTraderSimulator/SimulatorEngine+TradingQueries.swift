// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
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
            out.send(
                request.connection,
                errorRes(
                    .incorrectBoundaries, "fromTimestamp and toTimestamp must satisfy 0 <= from <= to <= 2147483646000",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        let deals = state.deals.filter { $0.executionTimestamp >= from && $0.executionTimestamp <= to }
        var limit = configuration.maximumRowsPerResponse
        if req.hasMaxRows && req.maxRows > 0 { limit = min(limit, Int(req.maxRows)) }
        let page = firstPage(of: deals, limit: limit)
        var res = ProtoOADealListRes()
        res.ctidTraderAccountID = request.accountId
        res.deal = page.rows
        res.hasMore_p = page.hasMore
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func orderList(_ req: ProtoOAOrderListReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        let from = req.hasFromTimestamp ? req.fromTimestamp : 0
        let to = req.hasToTimestamp ? req.toTimestamp : 2_147_483_646_000
        let orders = state.orders.keys.sorted().compactMap { state.orders[$0] }
            .filter { $0.utcLastUpdateTimestamp >= from && $0.utcLastUpdateTimestamp <= to }
        let page = firstPage(of: orders, limit: configuration.maximumRowsPerResponse)
        var res = ProtoOAOrderListRes()
        res.ctidTraderAccountID = request.accountId
        res.order = page.rows
        res.hasMore_p = page.hasMore
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
        res.order = state.orders.keys.sorted().compactMap { state.orders[$0] }.filter {
            $0.positionID == req.positionID
        }
        res.hasMore_p = false
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func expectedMargin(_ req: ProtoOAExpectedMarginReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        guard let symbol = configuration.catalogue.symbol(req.symbolID) else {
            out.send(
                request.connection,
                errorRes(
                    .symbolNotFound, "Symbol \(req.symbolID) is not found", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        var res = ProtoOAExpectedMarginRes()
        res.ctidTraderAccountID = request.accountId
        res.moneyDigits = state.account.moneyDigits
        let arithmetic = self.arithmetic(at: request.now)
        res.margin = req.volume.map { volume in
            var margin = ProtoOAExpectedMargin()
            margin.volume = volume
            let value = arithmetic.margin(volume: volume, symbol: symbol, account: state)
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
        let arithmetic = self.arithmetic(at: request.now)
        for positionId in state.positions.keys.sorted() {
            guard let position = state.positions[positionId],
                let symbol = configuration.catalogue.symbol(position.tradeData.symbolID)
            else { continue }
            let gross = arithmetic.unrealizedGross(position, symbol: symbol, account: state)
            var pnl = ProtoOAPositionUnrealizedPnL()
            pnl.positionID = positionId
            pnl.grossUnrealizedPnL = gross
            // Net: with the open side's commission and the swap charged so far; without the closing
            // commission, like the server ("It does not include potential closing commission").
            pnl.netUnrealizedPnL = gross + position.commission + position.swap
            res.positionUnrealizedPnL.append(pnl)
        }
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }
}

/// The first `limit` of `rows`, and whether any rows were left out: one page of a list response.
private func firstPage<Row>(of rows: [Row], limit: Int) -> (rows: [Row], hasMore: Bool) {
    rows.count > limit ? (Array(rows.prefix(limit)), true) : (rows, false)
}
