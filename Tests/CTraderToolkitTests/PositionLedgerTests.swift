// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

// Messages of account 7, built field by field (the vectors are hand-computed in the comments).

func ledgerTrader(
    balance: Int64, moneyDigits: UInt32 = 2, depositAssetId: Int64 = 3, balanceVersion: Int64? = nil
) -> ProtoOATrader {
    var trader = ProtoOATrader()
    trader.ctidTraderAccountID = 7
    trader.balance = balance
    trader.moneyDigits = moneyDigits
    trader.depositAssetID = depositAssetId
    if let balanceVersion { trader.balanceVersion = balanceVersion }
    return trader
}

func ledgerPosition(
    _ id: Int64, symbol: Int64, side: ProtoOATradeSide, volume: Int64, price: Double,
    status: ProtoOAPositionStatus = .positionStatusOpen, commission: Int64 = 0, swap: Int64 = 0,
    moneyDigits: UInt32? = 2, stopLoss: Double? = nil, updated: Int64
) -> ProtoOAPosition {
    var position = ProtoOAPosition()
    position.positionID = id
    var trade = ProtoOATradeData()
    trade.symbolID = symbol
    trade.volume = volume
    trade.tradeSide = side
    trade.openTimestamp = 1_000
    position.tradeData = trade
    position.positionStatus = status
    position.price = price
    position.commission = commission
    position.swap = swap
    if let moneyDigits { position.moneyDigits = moneyDigits }
    if let stopLoss { position.stopLoss = stopLoss }
    position.utcLastUpdateTimestamp = updated
    return position
}

func ledgerOrder(
    _ id: Int64, symbol: Int64, side: ProtoOATradeSide, volume: Int64, type: ProtoOAOrderType = .market,
    status: ProtoOAOrderStatus, positionId: Int64, updated: Int64
) -> ProtoOAOrder {
    var order = ProtoOAOrder()
    order.orderID = id
    var trade = ProtoOATradeData()
    trade.symbolID = symbol
    trade.volume = volume
    trade.tradeSide = side
    order.tradeData = trade
    order.orderType = type
    order.orderStatus = status
    order.positionID = positionId
    order.utcLastUpdateTimestamp = updated
    return order
}

struct LedgerCloseFigures {
    var gross: Int64
    var commission: Int64
    var swap: Int64 = 0
    var fee: Int64 = 0
    var balance: Int64
    var version: Int64?
    var moneyDigits: UInt32 = 2
    var closedVolume: Int64
}

func ledgerDeal(
    _ id: Int64, order: Int64, position: Int64, symbol: Int64, side: ProtoOATradeSide, volume: Int64,
    price: Double, commission: Int64, moneyDigits: UInt32 = 2, close: LedgerCloseFigures? = nil, at time: Int64
) -> ProtoOADeal {
    var deal = ProtoOADeal()
    deal.dealID = id
    deal.orderID = order
    deal.positionID = position
    deal.volume = volume
    deal.filledVolume = volume
    deal.symbolID = symbol
    deal.createTimestamp = time
    deal.executionTimestamp = time
    deal.executionPrice = price
    deal.tradeSide = side
    deal.dealStatus = .filled
    deal.commission = commission
    deal.moneyDigits = moneyDigits
    if let close {
        var detail = ProtoOAClosePositionDetail()
        detail.entryPrice = 0
        detail.grossProfit = close.gross
        detail.commission = close.commission
        detail.swap = close.swap
        detail.pnlConversionFee = close.fee
        detail.balance = close.balance
        if let version = close.version { detail.balanceVersion = version }
        detail.moneyDigits = close.moneyDigits
        detail.closedVolume = close.closedVolume
        deal.closePositionDetail = detail
    }
    return deal
}

func ledgerExecution(
    _ type: ProtoOAExecutionType, order: ProtoOAOrder? = nil, position: ProtoOAPosition? = nil,
    deal: ProtoOADeal? = nil
) -> ProtoOAExecutionEvent {
    var event = ProtoOAExecutionEvent()
    event.ctidTraderAccountID = 7
    event.executionType = type
    if let order { event.order = order }
    if let position { event.position = position }
    if let deal { event.deal = deal }
    return event
}

func ledgerSymbol(_ id: Int64, base: Int64, quote: Int64, name: String) -> ProtoOALightSymbol {
    var symbol = ProtoOALightSymbol()
    symbol.symbolID = id
    symbol.symbolName = name
    symbol.baseAssetID = base
    symbol.quoteAssetID = quote
    return symbol
}

func ledgerSpot(_ symbolId: Int64, bid: UInt64, ask: UInt64) -> ProtoOASpotEvent {
    var event = ProtoOASpotEvent()
    event.ctidTraderAccountID = 7
    event.symbolID = symbolId
    event.bid = bid
    event.ask = ask
    return event
}

/// Assets of the vectors: EUR 1, GBP 2, USD 3, JPY 4, CAD 7.
let ledgerEURUSD = ledgerSymbol(1, base: 1, quote: 3, name: "EURUSD")
let ledgerGBPUSD = ledgerSymbol(2, base: 2, quote: 3, name: "GBPUSD")
let ledgerUSDJPY = ledgerSymbol(3, base: 3, quote: 4, name: "USDJPY")
let ledgerCADJPY = ledgerSymbol(15, base: 7, quote: 4, name: "CADJPY")

@Suite(.timeLimit(.minutes(3))) struct PositionLedgerTests {
    /// Buy 100 000 EURUSD at 1.08500 on a USD account of 10 000.00 (1 000 000 cents), opening
    /// commission 3.25 (325 cents); then close 60 000 at 1.08620.
    @Test func aBuyAndAPartialClose() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 1_000_000, balanceVersion: 0))
        ledger.register([ledgerEURUSD])
        let open = ledgerPosition(
            10, symbol: 1, side: .buy, volume: 10_000_000, price: 1.085, commission: -325, updated: 1_000)
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                order: ledgerOrder(
                    50, symbol: 1, side: .buy, volume: 10_000_000, status: .orderStatusFilled,
                    positionId: 10, updated: 1_000),
                position: open,
                deal: ledgerDeal(
                    100, order: 50, position: 10, symbol: 1, side: .buy, volume: 10_000_000, price: 1.085,
                    commission: -325, at: 1_000)))
        #expect(ledger.positions[10]?.volume == 10_000_000)
        #expect(ledger.positions[10]?.commission == Money(Decimal(string: "-3.25")!))
        #expect(ledger.orders.isEmpty)

        // Bid 1.08620: (1.08620 − 1.08500) × 100 000 = 120.00 (12 000 cents); net 120.00 − 3.25.
        var board = QuoteBoard()
        board.apply(ledgerSpot(1, bid: 108_620, ask: 108_626), now: 1_500)
        let before = try ledger.valuation(of: #require(ledger.positions[10]), quotes: board)
        #expect(before.closingPrice == Decimal(string: "1.0862"))
        #expect(before.grossProfit.scaled(moneyDigits: 2) == 12_000)
        #expect(before.netProfit.scaled(moneyDigits: 2) == 11_675)

        // Close 60 000: gross 0.0012 × 60 000 = 72.00 (7 200 cents); commission 60 % of the
        // opening 325 (195) plus 195 for the closing side = −390; balance 1 000 000 + 7 200 − 390
        // = 1 006 810. The position keeps 40 000 with commission −130.
        let rest = ledgerPosition(
            10, symbol: 1, side: .buy, volume: 4_000_000, price: 1.085, commission: -130, updated: 2_000)
        let close = ledgerDeal(
            101, order: 51, position: 10, symbol: 1, side: .sell, volume: 6_000_000, price: 1.0862,
            commission: -390,
            close: LedgerCloseFigures(
                gross: 7_200, commission: -390, balance: 1_006_810, version: 1,
                closedVolume: 6_000_000),
            at: 2_000)
        ledger.apply(
            ledgerExecution(
                .orderAccepted,
                order: ledgerOrder(
                    51, symbol: 1, side: .sell, volume: 6_000_000, status: .orderStatusAccepted,
                    positionId: 10, updated: 2_000),
                position: open))
        #expect(ledger.orders[51] != nil)
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                order: ledgerOrder(
                    51, symbol: 1, side: .sell, volume: 6_000_000, status: .orderStatusFilled,
                    positionId: 10, updated: 2_000),
                position: rest, deal: close))
        #expect(ledger.orders.isEmpty)
        #expect(ledger.positions[10]?.volume == 4_000_000)
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_006_810)
        #expect(ledger.balanceVersion == 1)
        #expect(ledger.reportedBalance == ledger.balance)
        #expect(ledger.realizedPnL.scaled(moneyDigits: 2) == 6_810)
        #expect(ledger.deals[101]?.closing?.netProfit.scaled(moneyDigits: 2) == 6_810)

        // 40 000 left: 0.0012 × 40 000 = 48.00; equity 10 068.10 + 48.00 − 1.30.
        let after = ledger.valuation(quotes: board)
        #expect(after.isComplete)
        #expect(after.grossUnrealized.scaled(moneyDigits: 2) == 4_800)
        #expect(after.equity.scaled(moneyDigits: 2) == 1_011_480)  // 1 006 810 + 4 800 − 130
        #expect(ledger.balanceDifference(from: ledgerTrader(balance: 1_006_810, balanceVersion: 1)) == nil)
        #expect(
            ledger.balanceDifference(from: ledgerTrader(balance: 1_006_800, balanceVersion: 1))
                == Money(Decimal(string: "0.1")!))
    }

    /// Sell 20 000 GBPUSD at 1.27000 with a stop loss at 1.27300 on an account of 5 000.00; the ask
    /// reaches 1.27310 and the server closes it.
    @Test func aSellClosedByItsStopLoss() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 500_000, balanceVersion: 3))
        ledger.register([ledgerGBPUSD])
        let open = ledgerPosition(
            20, symbol: 2, side: .sell, volume: 2_000_000, price: 1.27, commission: -76, stopLoss: 1.273,
            updated: 1_000)
        var reconcile = ProtoOAReconcileRes()
        reconcile.ctidTraderAccountID = 7
        reconcile.position = [open]
        ledger.apply(reconcile)
        #expect(ledger.positions[20]?.stopLoss == Decimal(string: "1.273"))

        // A sell closes at the ask: (1.27000 − 1.27310) × 20 000 = −62.00 (−6 200 cents).
        var board = QuoteBoard()
        board.apply(ledgerSpot(2, bid: 127_300, ask: 127_310), now: 2_000)
        #expect(
            try ledger.valuation(of: #require(ledger.positions[20]), quotes: board).grossProfit.scaled(
                moneyDigits: 2) == -6_200)

        // The stop loss fills: gross −6 200, commission −152 (both sides), swap −35:
        // 500 000 − 6 200 − 152 − 35 = 493 613.
        let slOrder = ledgerOrder(
            60, symbol: 2, side: .buy, volume: 2_000_000, type: .stopLossTakeProfit, status: .orderStatusAccepted,
            positionId: 20, updated: 2_000)
        ledger.apply(ledgerExecution(.orderAccepted, order: slOrder, position: open))
        var filled = slOrder
        filled.orderStatus = .orderStatusFilled
        let closed = ledgerPosition(
            20, symbol: 2, side: .sell, volume: 0, price: 1.27, status: .positionStatusClosed, updated: 2_000)
        ledger.apply(
            ledgerExecution(
                .orderFilled, order: filled, position: closed,
                deal: ledgerDeal(
                    200, order: 60, position: 20, symbol: 2, side: .buy, volume: 2_000_000, price: 1.2731,
                    commission: -152,
                    close: LedgerCloseFigures(
                        gross: -6_200, commission: -152, swap: -35, balance: 493_613,
                        version: 4, closedVolume: 2_000_000),
                    at: 2_000)))
        #expect(ledger.positions.isEmpty)
        #expect(ledger.orders.isEmpty)
        #expect(ledger.balance.scaled(moneyDigits: 2) == 493_613)
        #expect(ledger.realizedPnL.scaled(moneyDigits: 2) == -6_387)
        #expect(ledger.valuation(quotes: board).equity.scaled(moneyDigits: 2) == 493_613)
    }

    /// A double that is a price's neighbour (1.25143 − 2⁻⁵²·…, printed 1.2514299999999998) is
    /// read as the price.
    @Test func pricesAreReadWithoutBinaryArtefacts() {
        var ledger = PositionLedger()
        ledger.apply(
            ledgerExecution(
                .orderReplaced,
                position: ledgerPosition(
                    35, symbol: 1, side: .sell, volume: 100_000, price: 1.25, stopLoss: 1.2514299999999998,
                    updated: 1_000)))
        #expect(ledger.positions[35]?.stopLoss == Decimal(string: "1.25143"))
        #expect(ledger.positions[35]?.entryPrice == Decimal(string: "1.25"))
    }

    /// A swap charged at a rollover (its snapshot timed at the rollover, 1 000) arriving after an
    /// amendment (timed 1 500) still counts: swap −1.20; the amended stop loss stays.
    @Test func aSwapSnapshotOlderThanAnAmendmentStillCharges() {
        var ledger = PositionLedger()
        ledger.apply(
            ledgerExecution(
                .orderReplaced,
                position: ledgerPosition(
                    36, symbol: 1, side: .buy, volume: 100_000, price: 1.25, stopLoss: 1.24, updated: 1_500)))
        ledger.apply(
            ledgerExecution(
                .swap,
                position: ledgerPosition(
                    36, symbol: 1, side: .buy, volume: 100_000, price: 1.25, swap: -120, updated: 1_000)))
        #expect(ledger.positions[36]?.swap == Money(Decimal(string: "-1.2")!))
        #expect(ledger.positions[36]?.stopLoss == Decimal(string: "1.24"))
    }

    /// Amounts in messages with 8 money digits on an account whose trader has 2.
    @Test func eachMessageIsReadWithItsOwnMoneyDigits() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 1_000_000, moneyDigits: 2, balanceVersion: 7))  // 10 000.00
        // Commission −325 000 000 / 10^8 = −3.25; swap −12 345 678 / 10^8 = −0.12345678.
        var position = ledgerPosition(
            30, symbol: 1, side: .buy, volume: 6_000_000, price: 1.085, commission: -325_000_000,
            swap: -12_345_678, moneyDigits: 8, updated: 1_000)
        position.usedMargin = 65_100_000_000  // 651.00
        ledger.apply(ledgerExecution(.swap, position: position))
        let held = try #require(ledger.positions[30])
        #expect(held.commission == Money(Decimal(string: "-3.25")!))
        #expect(held.swap == Money(Decimal(string: "-0.12345678")!))
        #expect(held.usedMargin == Money(Decimal(651)))

        // A position message without moneyDigits is read with the trader's 2.
        ledger.apply(
            ledgerExecution(
                .orderReplaced,
                position: ledgerPosition(
                    31, symbol: 1, side: .sell, volume: 100_000, price: 1.09, commission: -7, moneyDigits: nil,
                    updated: 1_100)))
        #expect(ledger.positions[31]?.commission == Money(Decimal(string: "-0.07")!))

        // A margin change with 8 digits: 32 550 000 000 / 10^8 = 325.50.
        var margin = ProtoOAMarginChangedEvent()
        margin.ctidTraderAccountID = 7
        margin.positionID = 30
        margin.usedMargin = 32_550_000_000
        margin.moneyDigits = 8
        ledger.apply(margin)
        #expect(ledger.positions[30]?.usedMargin == Money(Decimal(string: "325.5")!))

        // The close detail in 8 digits: gross 72.00, commission −3.90, swap −0.12345678:
        // 10 000 + 72 − 3.90 − 0.12345678 = 10 067.97654322.
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(
                    30, symbol: 1, side: .buy, volume: 0, price: 1.085, status: .positionStatusClosed, updated: 2_000),
                deal: ledgerDeal(
                    300, order: 70, position: 30, symbol: 1, side: .sell, volume: 6_000_000, price: 1.0862,
                    commission: -390_000_000, moneyDigits: 8,
                    close: LedgerCloseFigures(
                        gross: 7_200_000_000, commission: -390_000_000, swap: -12_345_678,
                        balance: 1_006_797_654_322, version: 8, moneyDigits: 8, closedVolume: 6_000_000),
                    at: 2_000)))
        #expect(ledger.balance == Money(Decimal(string: "10067.97654322")!))
        #expect(ledger.reportedBalance == Money(Decimal(string: "10067.97654322")!))
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_006_798)
        #expect(ledger.deals[300]?.commission == Money(Decimal(string: "-3.9")!))
        // The trader at the same version, in 2 digits, is the server's rounding of it.
        ledger.apply(ledgerTrader(balance: 1_006_798, moneyDigits: 2, balanceVersion: 8))
        #expect(ledger.balance == Money(Decimal(string: "10067.98")!))
    }

    /// The same fill twice, the same deal again in a deal list, an old acceptance and an old
    /// reconcile answer after the close: each counts once, and the closed position stays closed.
    @Test func replayedEventsCountOnce() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 1_000_000, balanceVersion: 0))
        let open = ledgerPosition(40, symbol: 1, side: .buy, volume: 1_000_000, price: 1.085, updated: 1_000)
        let opening = ledgerExecution(
            .orderFilled, position: open,
            deal: ledgerDeal(
                400, order: 80, position: 40, symbol: 1, side: .buy, volume: 1_000_000, price: 1.085, commission: -33,
                at: 1_000))
        let appliedOpening = ledger.apply(opening)
        #expect(appliedOpening)
        // Close it all: gross (1.08600 − 1.08500) × 10 000 = 10.00, commission −66: +934.
        let closing = ledgerExecution(
            .orderFilled,
            position: ledgerPosition(
                40, symbol: 1, side: .buy, volume: 0, price: 1.085, status: .positionStatusClosed, updated: 2_000),
            deal: ledgerDeal(
                401, order: 81, position: 40, symbol: 1, side: .sell, volume: 1_000_000, price: 1.086, commission: -66,
                close: LedgerCloseFigures(
                    gross: 1_000, commission: -66, balance: 1_000_934, version: 1,
                    closedVolume: 1_000_000),
                at: 2_000))
        let appliedClosing = ledger.apply(closing)
        #expect(appliedClosing)
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_000_934)

        let appliedClosingAgain = ledger.apply(closing)
        #expect(!appliedClosingAgain)
        let appliedOpeningAgain = ledger.apply(opening)
        #expect(!appliedOpeningAgain)
        var list = ProtoOADealListRes()
        list.ctidTraderAccountID = 7
        list.deal = [closing.deal, opening.deal]
        ledger.apply(list)
        ledger.apply(
            ledgerExecution(
                .orderAccepted,
                order: ledgerOrder(
                    81, symbol: 1, side: .sell, volume: 1_000_000, status: .orderStatusAccepted,
                    positionId: 40, updated: 2_000),
                position: open))
        var stale = ProtoOAReconcileRes()
        stale.ctidTraderAccountID = 7
        stale.position = [open]
        ledger.apply(stale)

        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_000_934)
        #expect(ledger.realizedPnL.scaled(moneyDigits: 2) == 934)
        #expect(ledger.deals.count == 2)
        #expect(ledger.positions.isEmpty)
        #expect(ledger.orders.isEmpty)

        // A deposit of 100.00 (balance after 10 109.34), twice.
        var deposit = ProtoOADepositWithdraw()
        deposit.operationType = .balanceDeposit
        deposit.balanceHistoryID = 9
        deposit.balance = 1_010_934
        deposit.delta = 10_000
        deposit.changeBalanceTimestamp = 3_000
        deposit.balanceVersion = 2
        deposit.moneyDigits = 2
        var event = ledgerExecution(.depositWithdraw)
        event.depositWithdraw = deposit
        let appliedEvent = ledger.apply(event)
        #expect(appliedEvent)
        let appliedEventAgain = ledger.apply(event)
        #expect(!appliedEventAgain)
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_010_934)
        #expect(ledger.balanceVersion == 2)
    }

    /// Balance versions order the trader against the deals: an older trader answer does not undo
    /// a deal, a deal the trader already includes is not added again, and a gap in the versions
    /// takes the server's balance.
    @Test func balanceVersionsOrderTheTraderAndTheDeals() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 1_000_000, balanceVersion: 5))
        let close = ledgerDeal(
            500, order: 90, position: 50, symbol: 1, side: .sell, volume: 1_000_000, price: 1.086, commission: -66,
            close: LedgerCloseFigures(
                gross: 1_000, commission: -66, balance: 1_000_934, version: 6,
                closedVolume: 1_000_000),
            at: 2_000)
        ledger.apply(ledgerExecution(.orderFilled, deal: close))
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_000_934)
        ledger.apply(ledgerTrader(balance: 1_000_000, balanceVersion: 5))  // answered before the deal
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_000_934)

        // Version 8 after 6: version 7 was missed, so the reported balance is taken.
        let later = ledgerDeal(
            501, order: 91, position: 51, symbol: 1, side: .sell, volume: 1_000_000, price: 1.086, commission: -66,
            close: LedgerCloseFigures(
                gross: 2_000, commission: -66, balance: 1_005_000, version: 8,
                closedVolume: 1_000_000),
            at: 3_000)
        ledger.apply(ledgerExecution(.orderFilled, deal: later))
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_005_000)

        // A history deal at a version the balance includes counts in the realized PnL only.
        var list = ProtoOADealListRes()
        list.deal = [
            ledgerDeal(
                499, order: 89, position: 49, symbol: 1, side: .sell, volume: 1_000_000, price: 1.084, commission: -66,
                close: LedgerCloseFigures(
                    gross: -1_000, commission: -66, balance: 999_000, version: 4,
                    closedVolume: 1_000_000),
                at: 500)
        ]
        ledger.apply(list)
        #expect(ledger.balance.scaled(moneyDigits: 2) == 1_005_000)
        #expect(ledger.realizedPnL.scaled(moneyDigits: 2) == 1_802)  // 934 + 1 934 − 1 066
    }

    /// While a reconcile request is in flight, a position opened by an event survives the answer
    /// (taken before it), a newer snapshot is not replaced by the answer's older one, and
    /// positions the ledger missed come from the answer.
    @Test func resynchronizationKeepsWhatChangedMeanwhile() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 1_000_000))
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(60, symbol: 1, side: .buy, volume: 2_000_000, price: 1.085, updated: 1_000)))
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(61, symbol: 1, side: .buy, volume: 2_000_000, price: 1.085, updated: 1_000)))
        ledger.beginResynchronization()
        #expect(ledger.isResynchronizing)
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(62, symbol: 2, side: .sell, volume: 100_000, price: 1.27, updated: 3_000)))
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(60, symbol: 1, side: .buy, volume: 1_000_000, price: 1.085, updated: 3_000)))
        var answer = ProtoOAReconcileRes()
        answer.ctidTraderAccountID = 7
        answer.position = [
            ledgerPosition(60, symbol: 1, side: .buy, volume: 2_000_000, price: 1.085, updated: 1_000),
            ledgerPosition(63, symbol: 3, side: .buy, volume: 100_000, price: 150, updated: 2_000),
        ]
        answer.order = [
            ledgerOrder(
                95, symbol: 1, side: .buy, volume: 100_000, type: .limit, status: .orderStatusAccepted, positionId: 64,
                updated: 2_000)
        ]
        ledger.apply(answer)
        #expect(!ledger.isResynchronizing)
        #expect(ledger.positions.keys.sorted() == [60, 62, 63])  // 61 closed while disconnected
        #expect(ledger.positions[60]?.volume == 1_000_000)
        #expect(ledger.orders.keys.sorted() == [95])
    }
}
