// swift-ctrader: the local cTrader-compatible simulator.

import Foundation

/// Exact decimal helpers for the simulator's money and prices: amounts are `Decimal` while they
/// are computed and become integers in the account's money digits once, rounded half away from
/// zero. No `Double` carries money; prices become `Double` only on the wire, from their exact
/// decimal value.
enum Money {
    /// 10^`exponent`, exactly.
    static func powerOfTen(_ exponent: Int) -> Decimal {
        Decimal(sign: .plus, exponent: exponent, significand: 1)
    }

    /// `value` rounded to `digits` decimals, half away from zero (0.125 → 0.13, -0.125 → -0.13).
    static func rounded(_ value: Decimal, digits: Int) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, digits, .plain)
        return result
    }

    /// `amount` as an integer count of 10^-`digits`, rounded half away from zero: the protocol's
    /// money in `moneyDigits`. Amounts beyond `Int64` saturate (they do not occur in the simulator).
    static func scaled(_ amount: Decimal, digits: UInt32) -> Int64 {
        wholeInt64(rounded(amount * powerOfTen(Int(digits)), digits: 0))
    }

    /// The amount a protocol integer in `digits` money digits stands for.
    static func amount(_ scaled: Int64, digits: UInt32) -> Decimal {
        Decimal(scaled) * powerOfTen(-Int(digits))
    }

    /// The `Int64` of a whole `Decimal`, read from its decimal digits (never through `Double`).
    static func wholeInt64(_ value: Decimal) -> Int64 {
        if let exact = Int64(NSDecimalNumber(decimal: value).stringValue) { return exact }
        return value < 0 ? .min : .max
    }

    // MARK: - Prices

    /// The exact decimal of a wire price that has at most `digits` decimals (1.08501, sent as the
    /// nearest `Double`, is 1.08501 again).
    static func price(_ wire: Double, digits: Int32) -> Decimal {
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        return Decimal(Int64((wire * scale).rounded())) * powerOfTen(-Int(digits))
    }

    /// The wire `Double` of a decimal price, rounded to `digits` decimals half away from zero:
    /// the nearest `Double` to that decimal.
    static func wire(_ price: Decimal, digits: Int32) -> Double {
        let whole = wholeInt64(rounded(price * powerOfTen(Int(digits)), digits: 0))
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        return Double(whole) / scale
    }

    /// A relative price (1/100000 units) as a decimal price, rounded to `digits` half away from zero.
    static func price(relative: Int64, digits: Int32) -> Decimal {
        rounded(Decimal(relative) * powerOfTen(-5), digits: Int(digits))
    }

    /// A rate (a price ratio, not money) for a `Double` field of the protocol such as
    /// `marginRate` or `quoteToDepositConversionRate`.
    static func rateDouble(_ rate: Decimal) -> Double {
        NSDecimalNumber(decimal: rate).doubleValue
    }
}
