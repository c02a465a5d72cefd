// swift-ctrader: tests of the trader's toolkit.

import CTraderToolkit
import Foundation
import Testing

@Suite(.timeLimit(.minutes(3))) struct MoneyTests {
    @Test func scaledIntegersReadWithTheirDigits() {
        #expect(Money(scaled: Int64(123_456), moneyDigits: 2) == Money(Decimal(string: "1234.56")!))
        #expect(Money(scaled: Int64(10_053_099_944), moneyDigits: 8) == Money(Decimal(string: "100.53099944")!))
        #expect(Money(scaled: UInt64(500), moneyDigits: 0) == Money(Decimal(500)))
        #expect(Money.unit(moneyDigits: 2) == Money(Decimal(string: "0.01")!))
    }

    /// Halves round away from zero: 0.125 → 0.13, −0.125 → −0.13; 0.124 → 0.12.
    @Test func roundingToDigits() {
        #expect(Money(Decimal(string: "0.125")!).scaled(moneyDigits: 2) == 13)
        #expect(Money(Decimal(string: "-0.125")!).scaled(moneyDigits: 2) == -13)
        #expect(Money(Decimal(string: "0.124")!).scaled(moneyDigits: 2) == 12)
        #expect(Money(Decimal(string: "10067.97654322")!).scaled(moneyDigits: 2) == 1_006_798)
        #expect(Money(Decimal(string: "10067.97654322")!).scaled(moneyDigits: 8) == 1_006_797_654_322)
    }

    /// 10 000.50 (2 digits) − 1.5 (8 digits) = 9 999.00, exactly.
    @Test func sumsAcrossScalesAreExact() {
        let sum = Money(scaled: Int64(1_000_050), moneyDigits: 2) + Money(scaled: Int64(-150_000_000), moneyDigits: 8)
        #expect(sum.scaled(moneyDigits: 2) == 999_900)
        #expect(sum.formatted(digits: 2) == "9999.00")
        #expect((-sum).formatted(digits: 2) == "-9999.00")
        #expect(Money(Decimal(string: "-0.5")!).formatted(digits: 2) == "-0.50")
        #expect(Money(Decimal(string: "3.14159")!).formatted(digits: 0) == "3")
        #expect(Money(Decimal(string: "-2.5")!).magnitude == Money(Decimal(string: "2.5")!))
    }
}
