import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

/// Conversions and rules of `SymbolSpecification`, on worked examples.
struct SymbolSpecificationTests {
    /// EURUSD as brokers publish it: 5 digits, pip at the 4th, 1 lot = 100 000 units =
    /// 10 000 000 cents; orders from 0.01 lots (100 000) to 100 lots (1 000 000 000), in steps
    /// of 0.01 lots.
    static func eurusd() -> SymbolSpecification {
        var symbol = ProtoOASymbol()
        symbol.symbolID = 1
        symbol.digits = 5
        symbol.pipPosition = 4
        symbol.lotSize = 10_000_000
        symbol.minVolume = 100_000
        symbol.maxVolume = 1_000_000_000
        symbol.stepVolume = 100_000
        symbol.swapLong = -0.37
        symbol.swapShort = 0.12
        symbol.commissionType = .usdPerMillionUsd
        symbol.preciseTradingCommissionRate = 3_000_000_000  // 30 USD per million × 10^8
        symbol.preciseMinCommission = 50_000_000  // 0.5 × 10^8
        symbol.pnlConversionFeeRate = 5  // 0.05%
        var light = ProtoOALightSymbol()
        light.symbolID = 1
        light.symbolName = "EURUSD"
        return SymbolSpecification(symbol, light: light)
    }

    static func decimal(_ text: String) -> Decimal {
        Decimal(string: text)!
    }

    @Test func readsTheSymbol() {
        let eurusd = Self.eurusd()
        #expect(eurusd.name == "EURUSD")
        #expect(eurusd.digits == 5)
        #expect(eurusd.pipSize == Self.decimal("0.0001"))
        #expect(eurusd.priceStep == Self.decimal("0.00001"))
        #expect(eurusd.lotSize == 10_000_000)
        #expect(eurusd.swap.long == Self.decimal("-0.37"))
        #expect(eurusd.swap.short == Self.decimal("0.12"))
        #expect(eurusd.commission.rate == Self.decimal("30"))
        #expect(eurusd.commission.minimum == Self.decimal("0.5"))
        #expect(eurusd.commission.pnlConversionFee == Self.decimal("0.0005"))
    }

    @Test func percentageCommissionIsScaledBy10To5() {
        var symbol = ProtoOASymbol()
        symbol.commissionType = .percentageOfValue
        symbol.preciseTradingCommissionRate = 500  // 0.005% × 100 000 (the proto's example)
        #expect(CommissionTerms(symbol).rate == Self.decimal("0.005"))
    }

    @Test func convertsPrices() throws {
        let eurusd = Self.eurusd()
        #expect(try eurusd.relativePrice(Self.decimal("1.08345")) == 108_345)
        #expect(eurusd.price(relative: 108_345) == Self.decimal("1.08345"))
        #expect(try eurusd.relativePrice(Self.decimal("1.1")) == 110_000)
        // USDJPY: 3 digits, 151.234 is 15 123 400.
        var symbol = ProtoOASymbol()
        symbol.digits = 3
        symbol.pipPosition = 2
        let usdjpy = SymbolSpecification(symbol)
        #expect(try usdjpy.relativePrice(Self.decimal("151.234")) == 15_123_400)
        #expect(usdjpy.price(relative: 15_123_400) == Self.decimal("151.234"))
        #expect(usdjpy.rounded(Self.decimal("151.2345")) == Self.decimal("151.235"))
    }

    @Test func refusesAPriceWithMoreDigitsThanTheSymbol() {
        let eurusd = Self.eurusd()
        #expect(throws: SymbolRuleError.tooManyDigits(price: Self.decimal("1.083451"), digits: 5)) {
            try eurusd.relativePrice(Self.decimal("1.083451"))
        }
        var symbol = ProtoOASymbol()
        symbol.digits = 3
        #expect(throws: SymbolRuleError.tooManyDigits(price: Self.decimal("151.2345"), digits: 3)) {
            try SymbolSpecification(symbol).relativePrice(Self.decimal("151.2345"))
        }
    }

    @Test func refusesAPriceOutOfRange() {
        let huge = Self.decimal("100000000000000000")  // × 100 000 is 10^22 > Int64.max
        #expect(throws: SymbolRuleError.outOfRange(value: huge * 100_000)) {
            try Self.eurusd().relativePrice(huge)
        }
    }

    @Test func convertsPips() throws {
        let eurusd = Self.eurusd()
        #expect(eurusd.pips(priceDistance: Self.decimal("0.0012")) == 12)
        // 12 pips = 0.0012 = 120 in 1/100 000; 1.5 pips = 0.00015 = 15.
        #expect(try eurusd.relativeDistance(pips: 12) == 120)
        #expect(try eurusd.relativeDistance(pips: Self.decimal("1.5")) == 15)
        #expect(throws: SymbolRuleError.tooManyDigits(price: Self.decimal("0.000015"), digits: 5)) {
            try eurusd.relativeDistance(pips: Self.decimal("0.15"))
        }
    }

    @Test func convertsLotsAndVolume() throws {
        let eurusd = Self.eurusd()
        // 1 lot = 10 000 000 cents (100 000 units); 0.01 lots = 100 000; 2.5 lots = 25 000 000.
        #expect(try eurusd.volume(lots: 1) == 10_000_000)
        #expect(try eurusd.volume(lots: Self.decimal("0.01")) == 100_000)
        #expect(try eurusd.volume(lots: Self.decimal("2.5")) == 25_000_000)
        #expect(try eurusd.lots(volume: 100_000) == Self.decimal("0.01"))
        #expect(try eurusd.lots(volume: 25_000_000) == Self.decimal("2.5"))
    }

    @Test func refusesAVolumeBelowTheMinimum() {
        // 0.001 lots = 10 000 cents < 100 000.
        #expect(throws: SymbolRuleError.volumeBelowMinimum(volume: 10_000, minimum: 100_000)) {
            try Self.eurusd().volume(lots: Self.decimal("0.001"))
        }
    }

    @Test func refusesAVolumeAboveTheMaximum() {
        // 101 lots = 1 010 000 000 cents > 1 000 000 000.
        #expect(throws: SymbolRuleError.volumeAboveMaximum(volume: 1_010_000_000, maximum: 1_000_000_000)) {
            try Self.eurusd().volume(lots: 101)
        }
    }

    @Test func refusesAVolumeOffTheStep() {
        // 0.015 lots = 150 000 cents, not a multiple of 100 000.
        #expect(throws: SymbolRuleError.volumeNotMultipleOfStep(volume: 150_000, step: 100_000)) {
            try Self.eurusd().volume(lots: Self.decimal("0.015"))
        }
    }

    @Test func refusesFractionsOfACentAndNonPositiveVolumes() {
        let eurusd = Self.eurusd()
        // 0.000000001 lots × 10 000 000 = 0.01 cent.
        #expect(
            throws: SymbolRuleError.volumeNotWholeCents(lots: Self.decimal("0.000000001"), lotSize: 10_000_000)
        ) {
            try eurusd.volume(lots: Self.decimal("0.000000001"))
        }
        #expect(throws: SymbolRuleError.volumeNotPositive(volume: 0)) { try eurusd.checkVolume(0) }
        #expect(throws: SymbolRuleError.volumeNotPositive(volume: -100_000)) {
            try eurusd.volume(lots: Self.decimal("-0.01"))
        }
    }

    @Test func refusesLotsWithoutALotSize() {
        let bare = SymbolSpecification(ProtoOASymbol())
        #expect(throws: SymbolRuleError.lotSizeUnknown) { try bare.volume(lots: 1) }
        #expect(throws: SymbolRuleError.lotSizeUnknown) { try bare.lots(volume: 100) }
    }

    @Test func errorsNameTheirRule() {
        #expect(
            SymbolRuleError.volumeNotMultipleOfStep(volume: 150_000, step: 100_000).description
                .contains("not a multiple of the symbol's volume step"))
        #expect(SymbolRuleError.tooManyDigits(price: 1, digits: 5).description.contains("more digits"))
    }
}
