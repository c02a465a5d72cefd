// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import Testing

/// The simulator's money on hand-computed vectors: every expected amount below is worked out in
/// the comments from the published terms (30 USD per million USD per side; EURUSD swaps −0.6 pips
/// long and +0.15 pips short, 22:00 UTC, tripled on Wednesdays) and quotes the test sets, rounded
/// half away from zero to cents, never read back from the code.
///
/// Symbols of ``SymbolCatalogue/standard`` used: EURUSD 1, USDJPY 3, USDCAD 6, EURJPY 9.
/// Assets: EUR 1, USD 3, JPY 4, CAD 7.
@Suite("Simulator: money", .timeLimit(.minutes(5)))
struct SimulatorMoneyTests {
    static let usdAccount = SimulatorIdentity.demoHedgedAccountId
    static let eurAccount = SimulatorIdentity.demoEURAccountId

    /// The harness with the USD accounts and the EUR account authorized, and EURUSD at
    /// 1.24995 / 1.25005 (mid 1.25).
    static func ready() -> EngineHarness {
        var h = EngineHarness.ready()
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = eurAccount
        auth.accessToken = SimulatorIdentity.demoEURAccessToken
        _ = h.send(auth)
        h.engine.setQuote(symbolId: 1, bid: 124_995, ask: 125_005)
        return h
    }

    static func balance(_ h: inout EngineHarness, account: Int64) -> Int64? {
        var req = ProtoOATraderReq()
        req.ctidTraderAccountID = account
        return h.request(req).first?.message(as: ProtoOATraderRes.self)?.trader.balance
    }

    static func close(_ h: inout EngineHarness, _ position: Int64, volume: Int64, account: Int64) -> ProtoOADeal? {
        var close = ProtoOAClosePositionReq()
        close.ctidTraderAccountID = account
        close.positionID = position
        close.volume = volume
        return h.request(close).compactMap(\.execution).last?.deal
    }

    static func unrealized(_ h: inout EngineHarness, account: Int64) -> ProtoOAGetPositionUnrealizedPnLRes? {
        var req = ProtoOAGetPositionUnrealizedPnLReq()
        req.ctidTraderAccountID = account
        return h.request(req).first?.message(as: ProtoOAGetPositionUnrealizedPnLRes.self)
    }

    // MARK: - A USD account

    @Test func eurusdBuyThenSellOnAUSDAccount() throws {
        var h = Self.ready()
        // Buy 10 000 EUR (volume 1 000 000) at the ask 1.25005.
        let opened = try #require(h.order(.market, .buy, volume: 1_000_000)[1].execution)
        // Commission: 10 000 × 1.25 (EUR→USD at the mid) × 30 / 1 000 000 = 0.375 USD → 0.38.
        #expect(opened.deal.commission == -38)
        #expect(opened.deal.moneyDigits == 2)
        #expect(opened.position.commission == -38)
        #expect(opened.position.swap == 0)
        // Margin: 10 000 × 1.25 / 100 = 125.00 USD.
        #expect(opened.position.usedMargin == 12_500)
        #expect(opened.position.price == 1.25005)

        h.engine.setQuote(symbolId: 1, bid: 126_000, ask: 126_010)
        // Unrealized, closed at the bid: (1.26000 − 1.25005) × 10 000 = 99.50 USD; net with the
        // open commission: 99.50 − 0.38 = 99.12 (no closing commission, like the server).
        let pnl = try #require(Self.unrealized(&h, account: Self.usdAccount))
        #expect(pnl.moneyDigits == 2)
        #expect(pnl.positionUnrealizedPnL.map(\.grossUnrealizedPnL) == [9_950])
        #expect(pnl.positionUnrealizedPnL.map(\.netUnrealizedPnL) == [9_912])

        let closed = try #require(
            Self.close(&h, opened.position.positionID, volume: 1_000_000, account: Self.usdAccount))
        // Closing side: 10 000 × 1.26005 × 30 / 1 000 000 = 0.378015 → 0.38; both sides 0.76.
        #expect(closed.closePositionDetail.grossProfit == 9_950)
        #expect(closed.closePositionDetail.commission == -76)
        #expect(closed.commission == -76)
        #expect(closed.closePositionDetail.swap == 0)
        // 10 000.00 + 99.50 − 0.76 = 10 098.74.
        #expect(closed.closePositionDetail.balance == 1_009_874)
        #expect(closed.closePositionDetail.balanceVersion == 1)
        #expect(closed.closePositionDetail.moneyDigits == 2)

        // Sell 10 000 EUR at the bid 1.24995 (commission 0.38 as above), buy back at the ask 1.24010.
        h.engine.setQuote(symbolId: 1, bid: 124_995, ask: 125_005)
        let sold = try #require(h.order(.market, .sell, volume: 1_000_000)[1].execution)
        #expect(sold.deal.commission == -38)
        h.engine.setQuote(symbolId: 1, bid: 124_000, ask: 124_010)
        let bought = try #require(Self.close(&h, sold.position.positionID, volume: 1_000_000, account: Self.usdAccount))
        // (1.24995 − 1.24010) × 10 000 = 98.50 USD; closing side 10 000 × 1.24005 × 0.00003 =
        // 0.372015 → 0.37; 10 098.74 + 98.50 − 0.75 = 10 196.49.
        #expect(bought.closePositionDetail.grossProfit == 9_850)
        #expect(bought.closePositionDetail.commission == -75)
        #expect(bought.closePositionDetail.balance == 1_019_649)
        #expect(bought.closePositionDetail.balanceVersion == 2)
        #expect(Self.balance(&h, account: Self.usdAccount) == 1_019_649)
    }

    @Test func theTradersBalanceIsTheSumOfTheDealsBalanceChanges() throws {
        var h = Self.ready()
        let a = try #require(h.order(.market, .buy, volume: 1_000_000)[1].execution?.position.positionID)
        let b = try #require(h.order(.market, .sell, volume: 3_000_000)[1].execution?.position.positionID)
        h.engine.setQuote(symbolId: 1, bid: 125_321, ask: 125_333)
        _ = Self.close(&h, a, volume: 1_000_000, account: Self.usdAccount)
        _ = Self.close(&h, b, volume: 1_000_000, account: Self.usdAccount)
        h.engine.setQuote(symbolId: 1, bid: 124_777, ask: 124_791)
        _ = Self.close(&h, b, volume: 2_000_000, account: Self.usdAccount)
        var list = ProtoOADealListReq()
        list.ctidTraderAccountID = Self.usdAccount
        list.fromTimestamp = 0
        list.toTimestamp = h.now
        let deals = try #require(h.request(list).first?.message(as: ProtoOADealListRes.self)?.deal)
        let changes = deals.filter(\.hasClosePositionDetail).map {
            $0.closePositionDetail.grossProfit + $0.closePositionDetail.swap + $0.closePositionDetail.commission
        }
        #expect(changes.count == 3)
        let last = try #require(deals.last { $0.hasClosePositionDetail })
        #expect(Self.balance(&h, account: Self.usdAccount) == 1_000_000 + changes.reduce(0, +))
        #expect(last.closePositionDetail.balance == 1_000_000 + changes.reduce(0, +))
    }

    @Test func aPartialCloseTakesItsShareOfTheOpenCommission() throws {
        var h = Self.ready()
        // Buy 30 000 EUR: 30 000 × 1.25 × 0.00003 = 1.125 → 1.13 USD.
        let opened = try #require(h.order(.market, .buy, volume: 3_000_000)[1].execution)
        #expect(opened.position.commission == -113)
        // Close 10 000 at the bid 1.24995: gross (1.24995 − 1.25005) × 10 000 = −1.00; open
        // share −1.13 × 1/3 = −0.3766… → −0.38; closing side 10 000 × 1.25 × 0.00003 = 0.375 → 0.38.
        let deal = try #require(Self.close(&h, opened.position.positionID, volume: 1_000_000, account: Self.usdAccount))
        #expect(deal.closePositionDetail.grossProfit == -100)
        #expect(deal.closePositionDetail.commission == -76)
        #expect(deal.closePositionDetail.balance == 1_000_000 - 176)
        // The position keeps −1.13 + 0.38 = −0.75.
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = Self.usdAccount
        let positions = h.request(reconcile).first?.message(as: ProtoOAReconcileRes.self)?.position
        #expect(positions?.map(\.commission) == [-75])
        #expect(positions?.map(\.tradeData.volume) == [2_000_000])
    }

    // MARK: - The EUR account and conversion chains

    @Test func conversionChainsAreTheServersAnswer() {
        var h = Self.ready()
        func chain(_ first: Int64, _ last: Int64) -> [String]? {
            var req = ProtoOASymbolsForConversionReq()
            req.ctidTraderAccountID = Self.eurAccount
            req.firstAssetID = first
            req.lastAssetID = last
            return h.request(req).first?.message(as: ProtoOASymbolsForConversionRes.self)?.symbol.map(\.symbolName)
        }
        #expect(chain(4, 1) == ["EURJPY"])  // JPY → EUR: one symbol joins them
        #expect(chain(7, 1) == ["USDCAD", "EURUSD"])  // CAD → EUR: through USD
        #expect(chain(3, 1) == ["EURUSD"])
        #expect(chain(14, 3) == ["JP225", "USDJPY"])  // JP225 → USD: through JPY
    }

    @Test func usdjpyOnTheEURAccountConvertsThroughTheChain() throws {
        var h = Self.ready()
        h.engine.setQuote(symbolId: 3, bid: 15_000_000, ask: 15_001_000)  // USDJPY 150.000 / 150.010
        h.engine.setQuote(symbolId: 9, bid: 16_249_500, ask: 16_250_500)  // EURJPY mid 162.5
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = Self.eurAccount
        let account = h.request(trader).first?.message(as: ProtoOATraderRes.self)?.trader
        #expect(account?.depositAssetID == 1)
        #expect(account?.balance == 1_000_000)

        // Buy 100 000 USD at 150.010.
        let opened = try #require(
            h.order(.market, .buy, volume: 10_000_000, symbol: 3, account: Self.eurAccount)[1].execution)
        // Commission: 100 000 USD × 30 / 1 000 000 = 3 USD; USD → EUR through EURUSD: 3 / 1.25 = 2.40 EUR.
        #expect(opened.deal.commission == -240)
        // Margin: 100 000 USD / 1.25 = 80 000 EUR, / 100 = 800.00 EUR.
        #expect(opened.position.usedMargin == 80_000)

        h.engine.setQuote(symbolId: 3, bid: 15_100_000, ask: 15_101_000)  // USDJPY 151.000 / 151.010
        // (151.000 − 150.010) × 100 000 = 99 000 JPY; JPY → EUR through EURJPY: 99 000 / 162.5 =
        // 609.2307… → 609.23 EUR; net 609.23 − 2.40 = 606.83.
        let pnl = try #require(Self.unrealized(&h, account: Self.eurAccount))
        #expect(pnl.positionUnrealizedPnL.map(\.grossUnrealizedPnL) == [60_923])
        #expect(pnl.positionUnrealizedPnL.map(\.netUnrealizedPnL) == [60_683])

        let closed = try #require(
            Self.close(&h, opened.position.positionID, volume: 10_000_000, account: Self.eurAccount))
        #expect(closed.closePositionDetail.grossProfit == 60_923)
        #expect(closed.closePositionDetail.commission == -480)
        // 10 000.00 + 609.23 − 4.80 = 10 604.43 EUR.
        #expect(closed.closePositionDetail.balance == 1_060_443)
        #expect(abs(closed.closePositionDetail.quoteToDepositConversionRate - 1 / 162.5) < 1e-15)
        #expect(Self.balance(&h, account: Self.eurAccount) == 1_060_443)
        // The USD accounts are untouched.
        #expect(Self.balance(&h, account: Self.usdAccount) == 1_000_000)
    }

    @Test func usdcadOnTheEURAccountConvertsThroughTwoSymbols() throws {
        var h = Self.ready()
        h.engine.setQuote(symbolId: 6, bid: 124_995, ask: 125_005)  // USDCAD mid 1.25
        // Sell 100 000 USD at the bid 1.24995; commission 3 USD / 1.25 = 2.40 EUR.
        let opened = try #require(
            h.order(.market, .sell, volume: 10_000_000, symbol: 6, account: Self.eurAccount)[1].execution)
        #expect(opened.deal.commission == -240)
        h.engine.setQuote(symbolId: 6, bid: 123_990, ask: 124_000)  // mid 1.23995
        // Buy back at 1.24000: (1.24995 − 1.24000) × 100 000 = 995 CAD; CAD → USD → EUR through
        // USDCAD and EURUSD: 995 / 1.23995 / 1.25 = 641.9613… → 641.96 EUR.
        let closed = try #require(
            Self.close(&h, opened.position.positionID, volume: 10_000_000, account: Self.eurAccount))
        #expect(closed.closePositionDetail.grossProfit == 64_196)
        #expect(closed.closePositionDetail.commission == -480)
        // 10 000.00 + 641.96 − 4.80 = 10 637.16 EUR.
        #expect(closed.closePositionDetail.balance == 1_063_716)
    }

    // MARK: - Swaps

    /// Sunday 15 June 2025 15:06:40 UTC is the harness's start; Monday 16 June 22:00 UTC is the
    /// first rollover that charges (Sunday's is a weekend one), Wednesday 18 June's charges three.
    static let monday2200: Int64 = 1_750_111_200_000
    static let wednesday2200: Int64 = 1_750_284_000_000

    @Test func swapsAccrueAtRolloverTripleOnWednesdayAndAreRealizedOnClose() throws {
        var h = Self.ready()
        let long = try #require(h.order(.market, .buy, volume: 10_000_000)[1].execution?.position.positionID)
        let short = try #require(h.order(.market, .sell, volume: 10_000_000)[1].execution?.position.positionID)
        // Sunday 22:00 passes: a weekend rollover, nothing charged.
        _ = h.tick(advancing: Self.monday2200 - 1 - h.now)
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = Self.usdAccount
        #expect(h.request(reconcile).first?.message(as: ProtoOAReconcileRes.self)?.position.map(\.swap) == [0, 0])

        // Monday 22:00: long 100 000 × −0.6 pips × 0.0001 = −6.00 USD; short 100 000 × 0.15 ×
        // 0.0001 = +1.50 USD. One SWAP event per position.
        let monday = EngineHarness.envelopes(h.tick(advancing: 1)).compactMap(\.execution)
        #expect(monday.map(\.executionType) == [.swap, .swap])
        #expect(monday.map(\.position.swap) == [-600, 150])
        #expect(monday.allSatisfy { $0.isServerEvent })

        // Tuesday ×1 and Wednesday ×3: −6.00 × 5 = −30.00 and +1.50 × 5 = +7.50 in all.
        _ = h.tick(advancing: Self.wednesday2200 - h.now)
        let positions = h.request(reconcile).first?.message(as: ProtoOAReconcileRes.self)?.position
        #expect(positions?.map(\.swap) == [-3_000, 750])

        // Close both at 1.24995 / 1.25005: long −0.0001 × 100 000 = −10.00, short the same;
        // each 3.75 + 3.75 commission (100 000 × 1.25 × 0.00003 per side).
        let closedLong = try #require(Self.close(&h, long, volume: 10_000_000, account: Self.usdAccount))
        #expect(closedLong.closePositionDetail.swap == -3_000)
        #expect(closedLong.closePositionDetail.grossProfit == -1_000)
        #expect(closedLong.closePositionDetail.commission == -750)
        // 10 000.00 − 10.00 − 30.00 − 7.50 = 9 952.50.
        #expect(closedLong.closePositionDetail.balance == 995_250)
        let closedShort = try #require(Self.close(&h, short, volume: 10_000_000, account: Self.usdAccount))
        #expect(closedShort.closePositionDetail.swap == 750)
        // 9 952.50 − 10.00 + 7.50 − 7.50 = 9 942.50.
        #expect(closedShort.closePositionDetail.balance == 994_250)
        #expect(Self.balance(&h, account: Self.usdAccount) == 994_250)
    }

    @Test func netUnrealizedPnLIncludesTheSwap() throws {
        var h = Self.ready()
        _ = h.order(.market, .buy, volume: 10_000_000)
        _ = h.tick(advancing: Self.monday2200 - h.now)
        // Gross at the bid: −10.00; commission −3.75; swap −6.00: net −19.75.
        let pnl = try #require(Self.unrealized(&h, account: Self.usdAccount))
        #expect(pnl.positionUnrealizedPnL.map(\.grossUnrealizedPnL) == [-1_000])
        #expect(pnl.positionUnrealizedPnL.map(\.netUnrealizedPnL) == [-1_975])
    }

    @Test func symbolDetailsPublishTheTermsCharged() throws {
        var h = Self.ready()
        var req = ProtoOASymbolByIdReq()
        req.ctidTraderAccountID = Self.usdAccount
        req.symbolID = [1]
        let symbol = try #require(h.request(req).first?.message(as: ProtoOASymbolByIdRes.self)?.symbol.first)
        #expect(symbol.commissionType == .usdPerMillionUsd)
        #expect(symbol.preciseTradingCommissionRate == 3_000_000_000)  // 30 USD × 10^8
        #expect(symbol.preciseMinCommission == 0)
        #expect(symbol.swapLong == -0.6)
        #expect(symbol.swapShort == 0.15)
        #expect(symbol.swapCalculationType == .pips)
        #expect(symbol.swapRollover3Days == .wednesday)
        #expect(symbol.swapTime == 1_320)
        #expect(symbol.swapPeriod == 24)
        #expect(symbol.chargeSwapAtWeekends == false)
    }

    // MARK: - Stop loss and take profit

    @Test func aMarketOrderWithRelativeStopsIsProtectedAtFillAndAStopLossHitClosesWithADeal() throws {
        var h = Self.ready()
        // Buy 10 000 EUR at 1.25005 with the stop 100 / 100 000 below and the target 200 above.
        let opened = try #require(
            h.order(.market, .buy, volume: 1_000_000) {
                $0.relativeStopLoss = 100
                $0.relativeTakeProfit = 200
            }[1].execution)
        #expect(opened.position.stopLoss == 1.24905)
        #expect(opened.position.takeProfit == 1.25205)

        h.engine.setQuote(symbolId: 1, bid: 124_900, ask: 124_910)
        let events = EngineHarness.envelopes(h.tick()).compactMap(\.execution)
        #expect(events.map(\.executionType) == [.orderAccepted, .orderFilled])
        let deal = try #require(events.last?.deal)
        #expect(events.last?.order.orderType == .stopLossTakeProfit)
        #expect(events.last?.position.positionStatus == .positionStatusClosed)
        #expect(deal.executionPrice == 1.249)
        // (1.24900 − 1.25005) × 10 000 = −10.50 USD; commission 0.375 → 0.38 open, 10 000 ×
        // 1.24905 × 0.00003 = 0.374715 → 0.37 close; 10 000.00 − 10.50 − 0.75 = 9 988.75.
        #expect(deal.closePositionDetail.grossProfit == -1_050)
        #expect(deal.closePositionDetail.commission == -75)
        #expect(deal.closePositionDetail.balance == 998_875)
        #expect(Self.balance(&h, account: Self.usdAccount) == 998_875)
    }

    @Test func amendingStopLossAndTakeProfitClearsTheLevelLeftOut() throws {
        var h = Self.ready()
        let opened = try #require(
            h.order(.market, .buy, volume: 1_000_000) {
                $0.relativeStopLoss = 100
                $0.relativeTakeProfit = 200
            }[1].execution?.position)
        var amend = ProtoOAAmendPositionSLTPReq()
        amend.ctidTraderAccountID = Self.usdAccount
        amend.positionID = opened.positionID
        amend.stopLoss = 1.248
        let onlyStop = try #require(h.request(amend).first?.execution?.position)
        #expect(onlyStop.stopLoss == 1.248)
        #expect(onlyStop.hasTakeProfit == false)

        var target = ProtoOAAmendPositionSLTPReq()
        target.ctidTraderAccountID = Self.usdAccount
        target.positionID = opened.positionID
        target.takeProfit = 1.26
        let onlyTarget = try #require(h.request(target).first?.execution?.position)
        #expect(onlyTarget.hasStopLoss == false)
        #expect(onlyTarget.takeProfit == 1.26)

        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = Self.usdAccount
        let position = h.request(reconcile).first?.message(as: ProtoOAReconcileRes.self)?.position.first
        #expect(position?.hasStopLoss == false)
        #expect(position?.takeProfit == 1.26)
    }
}
