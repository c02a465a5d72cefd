// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

/// The chain JPY → EUR through USD, as `ProtoOASymbolsForConversionRes` would give it: USDJPY
/// (JPY is its quote: divide), then EURUSD (USD is its quote: divide).
func ledgerJPYToEURChain() -> ProtoOASymbolsForConversionRes {
    var answer = ProtoOASymbolsForConversionRes()
    answer.ctidTraderAccountID = 7
    answer.symbol = [ledgerUSDJPY, ledgerEURUSD]
    return answer
}

/// A EUR account (asset 1) of 10 000.00 holding a buy of 100 000 CADJPY at 110.000.
func ledgerEURAccountWithCADJPY(configuration: PositionLedger.Configuration = .init()) throws -> PositionLedger {
    var ledger = PositionLedger(configuration: configuration)
    ledger.apply(ledgerTrader(balance: 1_000_000, depositAssetId: 1))
    ledger.register([ledgerCADJPY])
    ledger.apply(
        ledgerExecution(
            .orderFilled,
            position: ledgerPosition(70, symbol: 15, side: .buy, volume: 10_000_000, price: 110, updated: 1_000)))
    return ledger
}

/// CADJPY bid 110.500 ask 110.520; USDJPY 149.990/150.010 (mid 150); EURUSD 1.24990/1.25010
/// (mid 1.25).
func ledgerJPYBoard() -> QuoteBoard {
    var board = QuoteBoard()
    board.apply(ledgerSpot(15, bid: 11_050_000, ask: 11_052_000), now: 1_000)
    board.apply(ledgerSpot(3, bid: 14_999_000, ask: 15_001_000), now: 1_000)
    board.apply(ledgerSpot(1, bid: 124_990, ask: 125_010), now: 1_000)
    return board
}

@Suite(.timeLimit(.minutes(3))) struct PositionLedgerValuationTests {
    /// Gross in JPY: (110.500 − 110.000) × 100 000 = 50 000 JPY. At mid prices, one JPY is
    /// 1 / 150 / 1.25 = 1 / 187.5 EUR, so 50 000 JPY = 266.666… EUR: 26 667 cents.
    @Test func aJPYQuotedPositionOnAEURAccountThroughTwoHops() throws {
        var ledger = try ledgerEURAccountWithCADJPY()
        #expect(ledger.missingConversions == [4])
        #expect(ledger.quotedSymbols == [15])
        #expect(ledger.valuation(quotes: ledgerJPYBoard()).problems[70] == .noConversionChain(from: 4, to: 1))

        try ledger.registerConversion(ledgerJPYToEURChain(), from: 4, to: 1)
        #expect(ledger.missingConversions.isEmpty)
        #expect(ledger.quotedSymbols == [1, 3, 15])
        let value = try ledger.valuation(of: #require(ledger.positions[70]), quotes: ledgerJPYBoard())
        #expect(value.grossInQuoteAsset == 50_000)
        #expect(
            Money(value.conversionRate).rounded(digits: 30)
                == Money(Decimal(1) / Decimal(string: "187.5")!).rounded(digits: 30))
        #expect(value.grossProfit.scaled(moneyDigits: 2) == 26_667)
        #expect(value.grossProfit.rounded(digits: 6) == Money(Decimal(string: "266.666667")!))

        // The server's answer agrees to the cent; one 2 cents away does not.
        var answer = ProtoOAGetPositionUnrealizedPnLRes()
        answer.ctidTraderAccountID = 7
        answer.moneyDigits = 2
        var pnl = ProtoOAPositionUnrealizedPnL()
        pnl.positionID = 70
        pnl.grossUnrealizedPnL = 26_667
        pnl.netUnrealizedPnL = 26_667
        answer.positionUnrealizedPnL = [pnl]
        #expect(ledger.discrepancies(with: answer, quotes: ledgerJPYBoard()).isEmpty)
        answer.positionUnrealizedPnL[0].grossUnrealizedPnL = 26_666  // one cent: within tolerance
        #expect(ledger.discrepancies(with: answer, quotes: ledgerJPYBoard()).isEmpty)
        answer.positionUnrealizedPnL[0].grossUnrealizedPnL = 26_669
        #expect(
            ledger.discrepancies(with: answer, quotes: ledgerJPYBoard()) == [
                PnLDiscrepancy(
                    positionId: 70,
                    kind: .grossDiffers(
                        ledger: Money(Decimal(string: "266.67")!), server: Money(Decimal(string: "266.69")!)))
            ])
        // In 8 digits, 266.66666667 is within one unit; 266.6666 is not.
        answer.moneyDigits = 8
        answer.positionUnrealizedPnL[0].grossUnrealizedPnL = 26_666_666_667
        #expect(ledger.discrepancies(with: answer, quotes: ledgerJPYBoard()).isEmpty)
        answer.positionUnrealizedPnL[0].grossUnrealizedPnL = 26_666_660_000
        #expect(ledger.discrepancies(with: answer, quotes: ledgerJPYBoard()).count == 1)
    }

    /// At the bids: 50 000 / 149.990 / 1.24990 = 266.70578… EUR (26 671 cents).
    @Test func theConversionPriceIsConfigurable() throws {
        var ledger = try ledgerEURAccountWithCADJPY(configuration: .init(conversionPrice: .bid))
        try ledger.registerConversion(ledgerJPYToEURChain(), from: 4, to: 1)
        let value = try ledger.valuation(of: #require(ledger.positions[70]), quotes: ledgerJPYBoard())
        #expect(value.grossProfit.scaled(moneyDigits: 2) == 26_671)
    }

    /// A sell of 1 000 000 USDJPY (10 000 units) at 150.000 on a USD account closes at the ask
    /// 150.010: −0.010 × 10 000 = −100 JPY; USDJPY is a one-hop chain JPY → USD (divide by the mid
    /// 150.000): −0.666… USD, −67 cents.
    @Test func aSellOfTheDepositCurrencyIsConvertedByItsOwnSymbol() throws {
        var ledger = PositionLedger()
        ledger.apply(ledgerTrader(balance: 1_000_000, depositAssetId: 3))
        ledger.register([ledgerUSDJPY])
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(71, symbol: 3, side: .sell, volume: 1_000_000, price: 150, updated: 1_000)))
        var chain = ProtoOASymbolsForConversionRes()
        chain.symbol = [ledgerUSDJPY]
        try ledger.registerConversion(chain, from: 4, to: 3)
        let value = try ledger.valuation(of: #require(ledger.positions[71]), quotes: ledgerJPYBoard())
        #expect(value.closingPrice == Decimal(string: "150.01"))
        #expect(value.grossProfit.scaled(moneyDigits: 2) == -67)
    }

    @Test func aChainThatDoesNotLeadToTheDepositAssetIsRefused() throws {
        var ledger = try ledgerEURAccountWithCADJPY()
        var wrong = ProtoOASymbolsForConversionRes()
        wrong.symbol = [ledgerEURUSD, ledgerUSDJPY]  // EUR → USD → JPY, not JPY → EUR
        #expect(throws: PositionLedgerError.brokenConversionChain(from: 4, to: 1)) {
            try ledger.registerConversion(wrong, from: 4, to: 1)
        }
    }

    /// Without the position's quote, or with it stale after a disconnection, the position is not
    /// valued (and the cross-check says so); with ``acceptsStaleQuotes`` it is.
    @Test func missingOrStaleQuotesLeaveAPositionUnvalued() throws {
        var ledger = try ledgerEURAccountWithCADJPY()
        try ledger.registerConversion(ledgerJPYToEURChain(), from: 4, to: 1)
        var board = QuoteBoard()
        board.apply(ledgerSpot(3, bid: 14_999_000, ask: 15_001_000), now: 1_000)
        board.apply(ledgerSpot(1, bid: 124_990, ask: 125_010), now: 1_000)
        #expect(ledger.valuation(quotes: board).problems[70] == .noQuote(symbolId: 15))

        board = ledgerJPYBoard()
        board.connectionLost(at: 2_000)
        #expect(ledger.valuation(quotes: board).problems[70] == .noQuote(symbolId: 15))
        var answer = ProtoOAGetPositionUnrealizedPnLRes()
        answer.moneyDigits = 2
        #expect(
            ledger.discrepancies(with: answer, quotes: board) == [
                PnLDiscrepancy(positionId: 70, kind: .unknownToServer)
            ])

        let tolerant = try {
            var ledger = try ledgerEURAccountWithCADJPY(configuration: .init(acceptsStaleQuotes: true))
            try ledger.registerConversion(ledgerJPYToEURChain(), from: 4, to: 1)
            return ledger
        }()
        #expect(tolerant.valuation(quotes: board).grossUnrealized.scaled(moneyDigits: 2) == 26_667)
    }

    @Test func withoutTheTraderNothingIsValued() throws {
        var ledger = PositionLedger()
        ledger.register([ledgerEURUSD])
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(72, symbol: 1, side: .buy, volume: 100_000, price: 1.085, updated: 1_000)))
        #expect(ledger.valuation(quotes: ledgerJPYBoard()).problems[72] == .traderUnknown)
        #expect(ledger.missingConversions.isEmpty)
        #expect(ledger.missingSymbols.isEmpty)
        ledger.apply(
            ledgerExecution(
                .orderFilled,
                position: ledgerPosition(73, symbol: 9, side: .buy, volume: 100_000, price: 160, updated: 1_000)))
        #expect(ledger.missingSymbols == [9])
    }
}
