// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    func lightSymbol(_ symbol: SymbolCatalogue.Symbol) -> ProtoOALightSymbol {
        var light = ProtoOALightSymbol()
        light.symbolID = symbol.id
        light.symbolName = symbol.name
        light.enabled = true
        light.baseAssetID = symbol.baseAssetId
        light.quoteAssetID = symbol.quoteAssetId
        light.symbolCategoryID = symbol.categoryId
        light.description_p = symbol.description
        light.sortingNumber = Double(symbol.id)
        return light
    }

    /// The chain of symbols that converts `first` into `last` (ConversionChains.swift).
    mutating func symbolsForConversion(_ req: ProtoOASymbolsForConversionReq, _ request: Request, out: inout Outbox) {
        let chain = configuration.catalogue.conversionChain(from: req.firstAssetID, to: req.lastAssetID) ?? []
        guard !chain.isEmpty || req.firstAssetID == req.lastAssetID else {
            out.send(
                request.connection,
                errorRes(
                    .symbolNotFound, "No symbols convert asset \(req.firstAssetID) to asset \(req.lastAssetID)",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        var res = ProtoOASymbolsForConversionRes()
        res.ctidTraderAccountID = request.accountId
        res.symbol = chain.map(lightSymbol)
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    /// Deposits and withdrawals: the simulator has none; the span is limited to a week like the server's.
    mutating func cashFlowHistory(_ req: ProtoOACashFlowHistoryListReq, _ request: Request, out: inout Outbox) {
        guard req.fromTimestamp >= 0, req.fromTimestamp <= req.toTimestamp,
            req.toTimestamp - req.fromTimestamp <= 604_800_000
        else {
            out.send(
                request.connection,
                errorRes(
                    .incorrectBoundaries, "The period from fromTimestamp to toTimestamp must be at most one week",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        var res = ProtoOACashFlowHistoryListRes()
        res.ctidTraderAccountID = request.accountId
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func orderDetails(_ req: ProtoOAOrderDetailsReq, _ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId], let order = state.orders[req.orderID] else {
            out.send(
                request.connection,
                errorRes(
                    .orderNotFound, "Order \(req.orderID) is not found", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        var res = ProtoOAOrderDetailsRes()
        res.ctidTraderAccountID = request.accountId
        res.order = order
        res.deal = state.deals.filter { $0.orderID == req.orderID }
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func marginCallList(_ request: Request, out: inout Outbox) {
        out.send(request.connection, Envelope(ProtoOAMarginCallListRes(), clientMsgId: request.clientMsgId))
    }

    mutating func ctidProfile(
        _ req: ProtoOAGetCtidProfileByTokenReq, id: SimulatorConnectionID, msgId: String?, now: Int64, out: inout Outbox
    ) {
        switch validToken(req.accessToken, now: now) {
        case .failure(let error):
            out.send(id, errorRes(.chAccessTokenInvalid, error.description, msgId: msgId))
        case .success(let token):
            var res = ProtoOAGetCtidProfileByTokenRes()
            var profile = ProtoOACtidProfile()
            profile.userID = 7_000_000 + Int64(tokens.firstIndex(of: token) ?? 0)
            res.profile = profile
            out.send(id, Envelope(res, clientMsgId: msgId))
        }
    }
}
