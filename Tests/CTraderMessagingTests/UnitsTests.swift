// swift-ctrader: tests of the message layer.

import CTraderMessaging
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct UnitsTests {
    @Test func relativePrices() {
        #expect(CTraderUnits.price(relative: 123_000) == Decimal(string: "1.23"))
        #expect(CTraderUnits.price(relative: 53_423_782) == Decimal(string: "534.23782"))
        #expect(CTraderUnits.relativePrice(Decimal(string: "1.12345")!) == 112_345)
        #expect(CTraderUnits.relativePrice(Decimal(string: "1.123456")!) == 112_346)
        #expect(CTraderUnits.relativePrice(Decimal(string: "-0.00001")!) == -1)
        #expect(CTraderUnits.relativePrice(Decimal(string: "1e30")!) == nil)
    }

    @Test func trendbarFromLowAndDeltas() throws {
        var bar = ProtoOATrendbar()
        bar.volume = 10
        bar.low = 112_000
        bar.deltaOpen = 50
        bar.deltaHigh = 300
        bar.deltaClose = 120
        bar.utcTimestampInMinutes = 28_000_000
        let prices = try #require(bar.prices)
        #expect(prices == TrendbarPrices(low: 112_000, open: 112_050, high: 112_300, close: 112_120))
        #expect(CTraderUnits.price(relative: prices.high) == Decimal(string: "1.123"))
        #expect(bar.openDate == Date(timeIntervalSince1970: 28_000_000 * 60))
        var rebuilt = ProtoOATrendbar()
        rebuilt.setPrices(prices)
        #expect(rebuilt.prices == prices)
    }

    @Test func volumeAndLots() {
        #expect(CTraderUnits.lots(volume: 10_000_000, lotSize: 10_000_000) == 1)
        #expect(CTraderUnits.lots(volume: 100_000, lotSize: 10_000_000) == Decimal(string: "0.01"))
        #expect(CTraderUnits.lots(volume: 1, lotSize: 0) == nil)
        #expect(CTraderUnits.volume(lots: Decimal(string: "0.01")!, lotSize: 10_000_000) == 100_000)
        #expect(CTraderUnits.volume(lots: Decimal(string: "2.5")!, lotSize: 100) == 250)
    }

    @Test func moneyScaledByMoneyDigits() {
        #expect(CTraderUnits.money(123_456, moneyDigits: 2) == Decimal(string: "1234.56"))
        #expect(CTraderUnits.money(-5, moneyDigits: 0) == -5)
        #expect(CTraderUnits.moneyAmount(Decimal(string: "1234.56")!, moneyDigits: 2) == 123_456)
        #expect(CTraderUnits.moneyAmount(Decimal(string: "0.125")!, moneyDigits: 2) == 13)
        #expect(CTraderUnits.moneyAmount(Decimal(string: "9223372036854775807")!, moneyDigits: 0) == Int64.max)
    }

    @Test func timestamps() {
        let date = CTraderUnits.date(milliseconds: 1_700_000_000_123)
        #expect(CTraderUnits.milliseconds(date) == 1_700_000_000_123)
        #expect(abs(CTraderUnits.date(milliseconds: -1).timeIntervalSince1970 + 0.001) < 1e-6)
        #expect(CTraderUnits.minutes(CTraderUnits.date(minutes: 28_333_333)) == 28_333_333)
        #expect(CTraderUnits.minutes(Date(timeIntervalSince1970: -60)) == nil)
    }
}
