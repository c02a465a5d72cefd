// swift-ctrader: simulator tests.

import CTraderMessaging
import Foundation
import Testing

@testable import CTraderSimulator

/// The trading arithmetic on a small hand-made market whose mid prices are exact binary
/// fractions, so every expectation below is worked out by hand from the formulas.
///
/// Assets: EUR 1, GBP 2, USD 3 (``SymbolCatalogue/usd``), JPY 4, and 99 with no symbol.
/// - EURUSD (id 1): bid 1.24990, ask 1.25010, mid 1.25 - USD per EUR, direct.
/// - USDJPY (id 2): bid 159.990, ask 160.010, mid 160 - JPY per USD, inverse.
/// - EURGBP (id 3): bid 0.62490, ask 0.62510, mid 0.625 - GBP only through a cross:
///   1 GBP = 1.25 / 0.625 = 2 USD.
@Suite struct TradingArithmeticTests {
    static let eur: Int64 = 1
    static let gbp: Int64 = 2
    static let usd = SymbolCatalogue.usd
    static let jpy: Int64 = 4

    static func symbol(_ id: Int64, _ name: String, base: Int64, quote: Int64, digits: Int32) -> SymbolCatalogue.Symbol
    {
        SymbolCatalogue.Symbol(
            id: id,
            name: name,
            description: name,
            baseAssetId: base,
            quoteAssetId: quote,
            categoryId: 1,
            digits: digits,
            pipPosition: digits - 1,
            basePrice: 1,
            spreadPoints: 20,
            lotSize: 10_000_000,
            minVolume: 1_000,
            maxVolume: 1_000_000_000,
            stepVolume: 1_000,
            commissionPerMillion: 30
        )
    }

    static let eurusd = symbol(1, "EURUSD", base: eur, quote: usd, digits: 5)
    static let usdjpy = symbol(2, "USDJPY", base: usd, quote: jpy, digits: 3)
    static let eurgbp = symbol(3, "EURGBP", base: eur, quote: gbp, digits: 5)

    static let arithmetic = TradingArithmetic(
        catalogue: SymbolCatalogue(assets: [], assetClasses: [], categories: [], symbols: [eurusd, usdjpy, eurgbp]),
        quotes: [1: (124_990, 125_010), 2: (15_999_000, 16_001_000), 3: (62_490, 62_510)]
    )

    /// An account in `deposit` with 2 money digits and 1:100 leverage.
    static func account(deposit: Int64 = usd, moneyDigits: UInt32 = 2) -> AccountState {
        AccountState(
            account: SimulatorIdentity.Account(
                ctidTraderAccountId: 7,
                traderLogin: 7,
                moneyDigits: moneyDigits,
                depositAssetId: deposit,
                leverageInCents: 10_000
            )
        )
    }

    static func position(
        _ id: Int64,
        symbol: Int64,
        side: ProtoOATradeSide,
        volume: Int64,
        price: Double
    ) -> ProtoOAPosition {
        var position = ProtoOAPosition()
        position.positionID = id
        position.tradeData.symbolID = symbol
        position.tradeData.tradeSide = side
        position.tradeData.volume = volume
        position.price = price
        return position
    }

    // MARK: - Conversion rates

    @Test func usdRateIsOneForUSD() {
        #expect(Self.arithmetic.usdRate(of: Self.usd) == 1)
    }

    @Test func usdRateOfABaseAssetIsTheDirectSymbolsMid() {
        // (1.24990 + 1.25010) / 2
        #expect(Self.arithmetic.usdRate(of: Self.eur) == 1.25)
    }

    @Test func usdRateOfAQuoteAssetIsOneOverTheInverseSymbolsMid() {
        // 1 / ((159.990 + 160.010) / 2)
        #expect(Self.arithmetic.usdRate(of: Self.jpy) == 1.0 / 160)
    }

    @Test func usdRateGoesThroughACrossWhenThereIsNoUSDSymbol() {
        // GBP is only EURGBP's quote: EUR's USD rate over EURGBP's mid, 1.25 / 0.625.
        #expect(Self.arithmetic.usdRate(of: Self.gbp) == 2)
    }

    @Test func usdRateOfAnAssetWithoutSymbolsIsOne() {
        #expect(Self.arithmetic.usdRate(of: 99) == 1)
    }

    @Test func depositRateDividesByTheDepositAssetsUSDRate() {
        #expect(Self.arithmetic.depositRate(of: Self.eur, account: Self.account()) == 1.25)
        // 1.25 USD per EUR, 2 USD per GBP: 0.625 GBP per EUR.
        #expect(Self.arithmetic.depositRate(of: Self.eur, account: Self.account(deposit: Self.gbp)) == 0.625)
        #expect(Self.arithmetic.depositRate(of: Self.gbp, account: Self.account(deposit: Self.gbp)) == 1)
    }

    @Test func quotesComeFromTheQuoteFunctionForEverySymbol() {
        let catalogue = SymbolCatalogue(
            assets: [],
            assetClasses: [],
            categories: [],
            symbols: [Self.eurusd, Self.usdjpy]
        )
        let arithmetic = TradingArithmetic(catalogue: catalogue) { symbol in (symbol.id * 100, symbol.id * 100 + 10) }
        #expect(arithmetic.quotes.count == 2)
        #expect(arithmetic.quote(Self.eurusd).bid == 100)
        #expect(arithmetic.quote(Self.eurusd).ask == 110)
        #expect(arithmetic.quote(Self.usdjpy).bid == 200)
        #expect(arithmetic.quote(Self.usdjpy).ask == 210)
    }

    // MARK: - Money

    @Test func moneyScalesToTheMoneyDigitsAndRoundsHalfAwayFromZero() {
        #expect(TradingArithmetic.money(12.5, Self.account()) == 1_250)
        #expect(TradingArithmetic.money(0.125, Self.account()) == 13)
        #expect(TradingArithmetic.money(-0.125, Self.account()) == -13)
        #expect(TradingArithmetic.money(2.5, Self.account(moneyDigits: 0)) == 3)
        #expect(TradingArithmetic.money(0.000_000_01, Self.account(moneyDigits: 8)) == 1)
    }

    @Test func marginIsTheNotionalInTheDepositAssetOverTheLeverage() {
        // 100 000 cents of units = 1 000 EUR; 1 000 * 1.25 USD / 100 = 12.50 USD.
        #expect(Self.arithmetic.margin(volume: 100_000, symbol: Self.eurusd, account: Self.account()) == 1_250)
        // In EUR: 1 000 / 100 = 10.00 EUR.
        #expect(
            Self.arithmetic.margin(volume: 100_000, symbol: Self.eurusd, account: Self.account(deposit: Self.eur))
                == 1_000
        )
        // In GBP: 1 000 * 0.625 / 100 = 6.25 GBP.
        #expect(
            Self.arithmetic.margin(volume: 100_000, symbol: Self.eurusd, account: Self.account(deposit: Self.gbp))
                == 625
        )
        // USDJPY's base is USD: 1 000 USD / 100 = 10.00 USD.
        #expect(Self.arithmetic.margin(volume: 100_000, symbol: Self.usdjpy, account: Self.account()) == 1_000)
    }

    @Test func commissionIsANegativeChargePerMillionUSDOfNotional() {
        // 100 000 EUR = 125 000 USD; 125 000 * 30 / 1 000 000 = 3.75 USD.
        #expect(Self.arithmetic.commission(volume: 10_000_000, symbol: Self.eurusd, account: Self.account()) == -375)
        // In GBP: 3.75 / 2 = 1.875 GBP = 187.5 pence, rounded away from zero.
        #expect(
            Self.arithmetic.commission(
                volume: 10_000_000,
                symbol: Self.eurusd,
                account: Self.account(deposit: Self.gbp)
            ) == -188
        )
    }

    @Test func grossProfitIsThePriceMoveTimesUnitsInTheDepositAsset() {
        let account = Self.account()
        // Buy 100 000 EUR from 1.2 to 1.25: 0.05 * 100 000 = 5 000.00 USD.
        #expect(
            Self.arithmetic.grossProfit(
                side: .buy,
                entry: 1.2,
                exit: 1.25,
                volume: 10_000_000,
                symbol: Self.eurusd,
                account: account
            ) == 500_000
        )
        // The same move sold is the same loss.
        #expect(
            Self.arithmetic.grossProfit(
                side: .sell,
                entry: 1.2,
                exit: 1.25,
                volume: 10_000_000,
                symbol: Self.eurusd,
                account: account
            ) == -500_000
        )
        // Buy 1 000 USD from 159 to 160 JPY: 1 000 JPY = 1 000 / 160 = 6.25 USD.
        #expect(
            Self.arithmetic.grossProfit(
                side: .buy,
                entry: 159,
                exit: 160,
                volume: 100_000,
                symbol: Self.usdjpy,
                account: account
            ) == 625
        )
    }

    @Test func unrealizedSumsTheOpenPositionsClosedAtTheMarket() {
        var state = Self.account()
        // Long 100 000 EUR at 1.2, closes at the bid 1.2499: 0.0499 * 100 000 = 4 990.00 USD.
        state.positions[1] = Self.position(1, symbol: 1, side: .buy, volume: 10_000_000, price: 1.2)
        // Short 1 000 USD at 161, closes at the ask 160.01: 0.99 * 1 000 / 160 = 6.1875 USD, 6.19.
        state.positions[2] = Self.position(2, symbol: 2, side: .sell, volume: 100_000, price: 161)
        // A symbol the catalogue does not have counts nothing.
        state.positions[3] = Self.position(3, symbol: 77, side: .buy, volume: 100_000, price: 1)
        #expect(Self.arithmetic.unrealized(state) == 499_000 + 619)
        #expect(Self.arithmetic.unrealized(Self.account()) == 0)
    }

    // MARK: - Prices

    @Test func priceConvertsRelativeUnitsAndRoundsToTheDigits() {
        #expect(TradingArithmetic.price(125_010, digits: 5) == 1.2501)
        #expect(TradingArithmetic.price(123_456, digits: 3) == 1.235)
        #expect(TradingArithmetic.price(15_999_000, digits: 3) == 159.99)
        #expect(TradingArithmetic.price(150_000, digits: 0) == 2)
    }

    @Test func roundRoundsToTheDigitsHalfAwayFromZero() {
        #expect(TradingArithmetic.round(1.23456, digits: 2) == 1.23)
        #expect(TradingArithmetic.round(2.5, digits: 0) == 3)
        #expect(TradingArithmetic.round(-2.5, digits: 0) == -3)
        #expect(TradingArithmetic.round(1.0625, digits: 3) == 1.063)
    }

    // MARK: - The engine's snapshot

    @Test func theEnginesArithmeticUsesItsQuotesAtThatTime() {
        var engine = SimulatorEngine(configuration: .init(seed: 42))
        let eurusd = engine.configuration.catalogue.symbols.first { $0.name == "EURUSD" }
        #expect(eurusd != nil)
        guard let eurusd else { return }
        engine.setQuote(symbolId: eurusd.id, bid: 109_990, ask: 110_010)
        let arithmetic = engine.arithmetic(at: 1_750_000_000_000)
        #expect(arithmetic.quotes.count == engine.configuration.catalogue.symbols.count)
        #expect(arithmetic.quote(eurusd).bid == 109_990)
        #expect(arithmetic.quote(eurusd).ask == 110_010)
        #expect(arithmetic.usdRate(of: eurusd.baseAssetId) == 1.1)
    }
}
