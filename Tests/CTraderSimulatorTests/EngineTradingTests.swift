// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import Testing

@Suite("Engine: trading", .timeLimit(.minutes(5)))
struct EngineTradingTests {
    @Test func marketOrderIsAcceptedThenFilled() {
        var h = EngineHarness.ready()
        let (_, ask) = h.bidAsk(1)
        let replies = h.order(.market, .buy) {
            $0.relativeStopLoss = 500
            $0.relativeTakeProfit = 1_000
            $0.label = "t1"
        }
        #expect(
            replies.map(\.payloadType) == [.protoOaExecutionEvent, .protoOaExecutionEvent, .protoOaMarginChangedEvent])
        #expect(replies[0].clientMsgId == replies[1].clientMsgId)
        let accepted = replies[0].execution
        #expect(accepted?.executionType == .orderAccepted)
        #expect(accepted?.order.orderStatus == .orderStatusAccepted)
        #expect(accepted?.position.positionStatus == .positionStatusCreated)
        let filled = replies[1].execution
        #expect(filled?.executionType == .orderFilled)
        #expect(filled?.order.orderStatus == .orderStatusFilled)
        #expect(filled?.position.positionStatus == .positionStatusOpen)
        #expect(filled?.position.tradeData.volume == 100_000)
        #expect(filled?.position.tradeData.label == "t1")
        #expect(filled?.deal.dealStatus == .filled)
        #expect(filled?.deal.executionPrice == Double(ask) / 100_000)
        let price = filled?.position.price ?? 0
        #expect(abs((filled?.position.stopLoss ?? 0) - (price - 0.005)) < 1e-9)
        #expect(abs((filled?.position.takeProfit ?? 0) - (price + 0.01)) < 1e-9)
        #expect((filled?.position.usedMargin ?? 0) > 0)
        #expect(filled?.isServerEvent == false)
        #expect(replies.allSatisfy { h.json($0) != "<unencodable>" })
    }

    @Test func absoluteStopsOnAMarketOrderAreRefused() {
        var h = EngineHarness.ready()
        let reply = h.order(.market, .buy) { $0.stopLoss = 1.0 }.first
        #expect(reply?.error?.errorCode == "INVALID_REQUEST")
    }

    @Test func orderErrors() {
        var h = EngineHarness.ready()
        #expect(h.order(.market, .buy, volume: 1_234).first?.orderError?.errorCode == "TRADING_BAD_VOLUME")
        #expect(
            h.order(.limit, .buy) {
                $0.limitPrice = 1.0
                $0.stopLoss = 1.1
            }.first?.orderError?.errorCode == "TRADING_BAD_STOPS")
        #expect(
            h.order(.limit, .sell) {
                $0.limitPrice = 1.5
                $0.takeProfit = 1.6
            }.first?.orderError?.errorCode == "TRADING_BAD_STOPS")
        #expect(h.order(.market, .buy, volume: 1_000_000_000).first?.orderError?.errorCode == "NOT_ENOUGH_MONEY")
        #expect(h.order(.market, .buy, symbol: 999).first?.orderError?.errorCode == "SYMBOL_NOT_FOUND")
        var close = ProtoOAClosePositionReq()
        close.ctidTraderAccountID = EngineHarness.hedged
        close.positionID = 424_242
        close.volume = 100_000
        let notFound = h.request(close).first?.orderError
        #expect(notFound?.errorCode == "POSITION_NOT_FOUND")
        #expect(notFound?.positionID == 424_242)
        var cancel = ProtoOACancelOrderReq()
        cancel.ctidTraderAccountID = EngineHarness.hedged
        cancel.orderID = 777
        #expect(h.request(cancel).first?.orderError?.errorCode == "ORDER_NOT_FOUND")
        var amend = ProtoOAAmendPositionSLTPReq()
        amend.ctidTraderAccountID = EngineHarness.hedged
        amend.positionID = 5
        #expect(h.request(amend).first?.orderError?.errorCode == "POSITION_NOT_FOUND")
    }

    @Test func faultInjectionRejectsOrders() {
        var h = EngineHarness.ready()
        h.engine.faults.rejectOrdersWithErrorCode = "MARKET_CLOSED"
        #expect(h.order(.market, .buy).first?.orderError?.errorCode == "MARKET_CLOSED")
        h.engine.faults = .init(withheldRequestTypes: [.protoOaReconcileReq])
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(reconcile).isEmpty)
    }

    @Test func limitOrderFillsWhenThePriceCrosses() {
        var h = EngineHarness.ready()
        let (bid, ask) = h.bidAsk(1)
        let limit = Double(ask - 1_000) / 100_000
        let accepted = h.order(.limit, .buy) {
            $0.limitPrice = limit
            $0.stopLoss = limit - 0.01
            $0.takeProfit = limit + 0.02
        }
        #expect(accepted.map(\.payloadType) == [.protoOaExecutionEvent])
        #expect(accepted.first?.execution?.executionType == .orderAccepted)
        #expect(accepted.first?.execution?.hasPosition == false)
        let orderId = accepted.first?.execution?.order.orderID ?? 0
        h.engine.setQuote(symbolId: 1, bid: bid - 2_000, ask: ask - 2_000)
        let events = EngineHarness.envelopes(h.tick())
        let fill = events.first?.execution
        #expect(fill?.executionType == .orderFilled)
        #expect(fill?.order.orderID == orderId)
        #expect(fill?.isServerEvent == true)
        #expect(events.first?.clientMsgId == nil)
        #expect(fill?.position.stopLoss == limit - 0.01)
        #expect(fill?.position.takeProfit == limit + 0.02)
        #expect(fill?.deal.executionPrice == Double(ask - 2_000) / 100_000)
    }

    @Test func stopAndStopLimitOrders() {
        var h = EngineHarness.ready()
        let (bid, ask) = h.bidAsk(1)
        let stop = Double(bid - 1_000) / 100_000
        let stopOrder = h.order(.stop, .sell) { $0.stopPrice = stop }.first?.execution?.order.orderID
        let stopLimit = h.order(.stopLimit, .buy) {
            $0.stopPrice = Double(ask + 1_000) / 100_000
            $0.slippageInPoints = 100
        }.first?.execution?.order.orderID
        #expect(stopOrder != nil && stopLimit != nil)
        #expect(EngineHarness.envelopes(h.tick()).allSatisfy { $0.execution == nil })
        h.engine.setQuote(symbolId: 1, bid: bid - 1_500, ask: ask - 1_500)
        let first = EngineHarness.envelopes(h.tick()).compactMap(\.execution)
        #expect(first.map(\.order.orderID) == [stopOrder])
        // The stop-limit triggers within its slippage.
        h.engine.setQuote(symbolId: 1, bid: bid + 1_050, ask: ask + 1_050)
        let second = EngineHarness.envelopes(h.tick()).compactMap(\.execution)
        #expect(second.map(\.order.orderID) == [stopLimit])
        #expect(second.first?.order.orderType == .stopLimit)
    }

    @Test func cancelAndAmendPendingOrders() {
        var h = EngineHarness.ready()
        let orderId = h.order(.limit, .buy) { $0.limitPrice = 1.0 }.first?.execution?.order.orderID ?? 0
        var amend = ProtoOAAmendOrderReq()
        amend.ctidTraderAccountID = EngineHarness.hedged
        amend.orderID = orderId
        amend.limitPrice = 0.99
        amend.volume = 200_000
        let replaced = h.request(amend).first?.execution
        #expect(replaced?.executionType == .orderReplaced)
        #expect(replaced?.order.limitPrice == 0.99)
        #expect(replaced?.order.tradeData.volume == 200_000)
        var cancel = ProtoOACancelOrderReq()
        cancel.ctidTraderAccountID = EngineHarness.hedged
        cancel.orderID = orderId
        let cancelled = h.request(cancel).first?.execution
        #expect(cancelled?.executionType == .orderCancelled)
        #expect(cancelled?.order.orderStatus == .orderStatusCancelled)
    }

    @Test func amendPositionAndStopLossHit() {
        var h = EngineHarness.ready()
        let position = h.order(.market, .buy)[1].execution?.position
        let (bid, ask) = h.bidAsk(1)
        var amend = ProtoOAAmendPositionSLTPReq()
        amend.ctidTraderAccountID = EngineHarness.hedged
        amend.positionID = position?.positionID ?? 0
        amend.stopLoss = Double(bid + 100) / 100_000
        #expect(h.request(amend).first?.orderError?.errorCode == "TRADING_BAD_STOPS")
        amend.stopLoss = Double(bid - 500) / 100_000
        let replaced = h.request(amend).first?.execution
        #expect(replaced?.executionType == .orderReplaced)
        #expect(replaced?.position.stopLoss == amend.stopLoss)
        h.engine.setQuote(symbolId: 1, bid: bid - 600, ask: ask - 600)
        let events = EngineHarness.envelopes(h.tick()).compactMap(\.execution)
        #expect(events.map(\.executionType) == [.orderAccepted, .orderFilled])
        #expect(events.last?.order.orderType == .stopLossTakeProfit)
        #expect(events.last?.position.positionStatus == .positionStatusClosed)
        #expect((events.last?.deal.closePositionDetail.grossProfit ?? 0) < 0)
    }

    @Test func partialCloseThenFullClose() {
        var h = EngineHarness.ready()
        let position = h.order(.market, .sell, volume: 300_000)[1].execution?.position
        var close = ProtoOAClosePositionReq()
        close.ctidTraderAccountID = EngineHarness.hedged
        close.positionID = position?.positionID ?? 0
        close.volume = 100_000
        let partial = h.request(close)
        #expect(
            partial.map(\.payloadType) == [.protoOaExecutionEvent, .protoOaExecutionEvent, .protoOaMarginChangedEvent])
        #expect(partial[0].execution?.order.closingOrder == true)
        let filled = partial[1].execution
        #expect(filled?.position.positionStatus == .positionStatusOpen)
        #expect(filled?.position.tradeData.volume == 200_000)
        #expect(filled?.deal.closePositionDetail.closedVolume == 100_000)
        #expect(filled?.deal.tradeSide == .buy)
        let balance = filled?.deal.closePositionDetail.balance ?? 0
        #expect(balance != 1_000_000)  // commission at least

        close.volume = 200_000
        let full = h.request(close)[1].execution
        #expect(full?.position.positionStatus == .positionStatusClosed)
        #expect(full?.position.tradeData.volume == 0)

        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.hedged
        #expect(
            h.request(trader).first?.message(as: ProtoOATraderRes.self)?.trader.balance
                == full?.deal.closePositionDetail.balance)
    }

    @Test func nettedAccountKeepsOnePositionPerSymbol() {
        var h = EngineHarness.ready()
        let first = h.order(.market, .buy, account: EngineHarness.netted)[1].execution?.position
        let second = h.order(.market, .buy, account: EngineHarness.netted)[1].execution?.position
        #expect(first?.positionID == second?.positionID)
        #expect(second?.tradeData.volume == 200_000)
        let reduced = h.order(.market, .sell, volume: 200_000, account: EngineHarness.netted)[1].execution
        #expect(reduced?.position.positionStatus == .positionStatusClosed)
        #expect(reduced?.deal.closePositionDetail.closedVolume == 200_000)
        // The hedged account opens a second position instead.
        let a = h.order(.market, .buy)[1].execution?.position.positionID
        let b = h.order(.market, .buy)[1].execution?.position.positionID
        #expect(a != b)
    }

    @Test func reconcileDealsOrdersMarginAndPnL() {
        var h = EngineHarness.ready()
        let position = h.order(.market, .buy)[1].execution?.position
        _ = h.order(.limit, .buy, volume: 100, symbol: 16) { $0.limitPrice = 1_000 }
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = EngineHarness.hedged
        let rec = h.request(reconcile).first?.message(as: ProtoOAReconcileRes.self)
        #expect(rec?.position.map(\.positionID) == [position?.positionID ?? 0])
        #expect(rec?.order.count == 1)
        #expect(rec?.order.first?.orderType == .limit)

        var close = ProtoOAClosePositionReq()
        close.ctidTraderAccountID = EngineHarness.hedged
        close.positionID = position?.positionID ?? 0
        close.volume = 100_000
        h.now += 1_000
        _ = h.request(close)

        var deals = ProtoOADealListReq()
        deals.ctidTraderAccountID = EngineHarness.hedged
        deals.fromTimestamp = h.now - 60_000
        deals.toTimestamp = h.now
        let list = h.request(deals).first?.message(as: ProtoOADealListRes.self)
        #expect(list?.deal.count == 2)
        #expect(list?.hasMore_p == false)
        deals.maxRows = 1
        let page = h.request(deals).first?.message(as: ProtoOADealListRes.self)
        #expect(page?.deal.count == 1)
        #expect(page?.hasMore_p == true)

        var byPosition = ProtoOADealListByPositionIdReq()
        byPosition.ctidTraderAccountID = EngineHarness.hedged
        byPosition.positionID = position?.positionID ?? 0
        #expect(h.request(byPosition).first?.message(as: ProtoOADealListByPositionIdRes.self)?.deal.count == 2)

        var orders = ProtoOAOrderListReq()
        orders.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(orders).first?.message(as: ProtoOAOrderListRes.self)?.order.count == 3)

        var margin = ProtoOAExpectedMarginReq()
        margin.ctidTraderAccountID = EngineHarness.hedged
        margin.symbolID = 1
        margin.volume = [100_000, 200_000]
        let expected = h.request(margin).first?.message(as: ProtoOAExpectedMarginRes.self)
        #expect(expected?.margin.count == 2)
        #expect((expected?.margin.last?.buyMargin ?? 0) > (expected?.margin.first?.buyMargin ?? 0))

        _ = h.order(.market, .sell)
        var pnl = ProtoOAGetPositionUnrealizedPnLReq()
        pnl.ctidTraderAccountID = EngineHarness.hedged
        let unrealized = h.request(pnl).first?.message(as: ProtoOAGetPositionUnrealizedPnLRes.self)
        #expect(unrealized?.positionUnrealizedPnL.count == 1)
        #expect(unrealized?.moneyDigits == 2)
    }

    @Test func eventsReachEveryConnectionOfTheAccount() {
        var h = EngineHarness.ready()
        h.engine.connect(2, now: h.now)
        h.authorizeApplication(on: 2)
        h.authorize(account: EngineHarness.hedged, on: 2)
        var req = ProtoOANewOrderReq()
        req.ctidTraderAccountID = EngineHarness.hedged
        req.symbolID = 1
        req.orderType = .market
        req.tradeSide = .buy
        req.volume = 100_000
        let outputs = h.send(req)
        let mine = EngineHarness.envelopes(outputs, to: 1)
        let theirs = EngineHarness.envelopes(outputs, to: 2)
        #expect(mine.count == 3 && theirs.count == 3)
        #expect(mine[0].clientMsgId != nil)
        #expect(theirs.allSatisfy { $0.clientMsgId == nil })
    }
}

@Suite("Engine: other requests", .timeLimit(.minutes(5)))
struct EngineOtherRequestTests {
    @Test func conversionChainsOrderDetailsCashFlowProfile() {
        var h = EngineHarness.ready()
        var conversion = ProtoOASymbolsForConversionReq()
        conversion.ctidTraderAccountID = EngineHarness.hedged
        conversion.firstAssetID = 1  // EUR
        conversion.lastAssetID = 3  // USD
        #expect(
            h.request(conversion).first?.message(as: ProtoOASymbolsForConversionRes.self)?.symbol.map(\.symbolName) == [
                "EURUSD"
            ])
        conversion.lastAssetID = 8  // NZD, through USD
        #expect(
            h.request(conversion).first?.message(as: ProtoOASymbolsForConversionRes.self)?.symbol.map(\.symbolName) == [
                "EURUSD", "NZDUSD",
            ])

        let orderId = h.order(.market, .buy)[1].execution?.order.orderID ?? 0
        var details = ProtoOAOrderDetailsReq()
        details.ctidTraderAccountID = EngineHarness.hedged
        details.orderID = orderId
        let res = h.request(details).first?.message(as: ProtoOAOrderDetailsRes.self)
        #expect(res?.order.orderStatus == .orderStatusFilled)
        #expect(res?.deal.count == 1)

        var cash = ProtoOACashFlowHistoryListReq()
        cash.ctidTraderAccountID = EngineHarness.hedged
        cash.fromTimestamp = h.now - 86_400_000
        cash.toTimestamp = h.now
        #expect(h.request(cash).first?.payloadType == .protoOaCashFlowHistoryListRes)
        cash.fromTimestamp = h.now - 8 * 86_400_000
        #expect(h.request(cash).first?.error?.errorCode == "INCORRECT_BOUNDARIES")

        var profile = ProtoOAGetCtidProfileByTokenReq()
        profile.accessToken = SimulatorIdentity.demoAccessToken
        #expect(
            h.request(profile).first?.message(as: ProtoOAGetCtidProfileByTokenRes.self)?.profile.userID == 7_000_000)
    }
}

@Suite("Engine: netting", .timeLimit(.minutes(5)))
struct EngineNettingTests {
    @Test func nettedReversalClosesThenOpensTheRest() {
        var h = EngineHarness.ready()
        let first = h.order(.market, .buy, account: EngineHarness.netted)[1].execution?.position
        let replies = h.order(.market, .sell, volume: 300_000, account: EngineHarness.netted)
        let fills = replies.compactMap(\.execution).filter { $0.executionType == .orderFilled }
        #expect(fills.count == 2)
        #expect(fills.first?.position.positionID == first?.positionID)
        #expect(fills.first?.position.positionStatus == .positionStatusClosed)
        #expect(fills.first?.deal.closePositionDetail.closedVolume == 100_000)
        #expect(fills.last?.position.positionStatus == .positionStatusOpen)
        #expect(fills.last?.position.tradeData.tradeSide == .sell)
        #expect(fills.last?.position.tradeData.volume == 200_000)
        #expect(fills.last?.position.positionID != first?.positionID)
        #expect(fills.first?.deal.dealID != fills.last?.deal.dealID)
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = EngineHarness.netted
        #expect(h.request(reconcile).first?.message(as: ProtoOAReconcileRes.self)?.position.count == 1)
    }
}

@Suite("Engine: wire validity", .timeLimit(.minutes(5)))
struct EngineWireValidityTests {
    /// Every message the engine produces has its required fields: both codecs encode it.
    @Test func everyOutputEncodesInBothFormats() throws {
        var h = EngineHarness.ready()
        var outputs: [SimulatorEngine.Output] = []
        var sub = ProtoOASubscribeSpotsReq()
        sub.ctidTraderAccountID = EngineHarness.hedged
        sub.symbolID = [1, 3, 16, 19, 21]
        outputs += h.send(sub)
        var depth = ProtoOASubscribeDepthQuotesReq()
        depth.ctidTraderAccountID = EngineHarness.hedged
        depth.symbolID = [1]
        outputs += h.send(depth)
        var live = ProtoOASubscribeLiveTrendbarReq()
        live.ctidTraderAccountID = EngineHarness.hedged
        live.symbolID = 1
        live.period = .m5
        outputs += h.send(live)
        let (bid, ask) = h.bidAsk(1)
        for account in [EngineHarness.hedged, EngineHarness.netted] {
            var req = ProtoOANewOrderReq()
            req.ctidTraderAccountID = account
            req.symbolID = 1
            req.orderType = .market
            req.tradeSide = .sell
            req.volume = 200_000
            req.relativeStopLoss = 2_000
            outputs += h.send(req)
            req.tradeSide = .buy
            req.volume = 300_000
            outputs += h.send(req)
            req.orderType = .limit
            req.limitPrice = Double(ask - 500) / 100_000
            outputs += h.send(req)
        }
        h.engine.setQuote(symbolId: 1, bid: bid - 3_000, ask: ask - 3_000)
        for _ in 0..<5 { outputs += h.tick() }
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = EngineHarness.hedged
        outputs += h.send(reconcile)
        var deals = ProtoOADealListReq()
        deals.ctidTraderAccountID = EngineHarness.hedged
        outputs += h.send(deals)
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.netted
        outputs += h.send(trader)
        var byId = ProtoOASymbolByIdReq()
        byId.ctidTraderAccountID = EngineHarness.hedged
        byId.symbolID = (1...23).map { Int64($0) }
        outputs += h.send(byId)

        let envelopes = EngineHarness.envelopes(outputs)
        #expect(envelopes.count > 30)
        #expect(Set(envelopes.map(\.payloadType)).count >= 10)
        let json = JSONEnvelopeCodec(omitsEmptyPayload: true)
        let binary = BinaryEnvelopeCodec()
        for envelope in envelopes {
            let text = try json.encode(envelope)
            let decoded = try json.decode(text)
            #expect(decoded.payloadType == envelope.payloadType)
            _ = try binary.decode(try binary.encode(envelope))
        }
    }
}
