// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import Foundation

/// An amount of money as an exact decimal: what the Open API's scaled integers stand for.
///
/// The API sends money as integers scaled by 10^`moneyDigits`, and the `moneyDigits` comes with
/// each message (a `ProtoOATrader`, a `ProtoOAPosition`, a `ProtoOADeal`, a
/// `ProtoOAClosePositionDetail`, …), so two messages of one account may use different scales.
/// `Money` reads each integer with the digits of its own message and keeps the value exact
/// (`Decimal`, never `Double`), so sums of amounts of different scales are exact too.
///
/// ```swift
/// let balance = Money(scaled: 1_000_050, moneyDigits: 2)        // 10000.50
/// let fee = Money(scaled: -150_000_000, moneyDigits: 8)         // -1.5
/// (balance + fee).scaled(moneyDigits: 2)                        // 999_900
/// ```
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The amount.
    public var amount: Decimal

    /// Makes an amount.
    public init(_ amount: Decimal) {
        self.amount = amount
    }

    /// The amount a scaled integer stands for: `123456` with `moneyDigits` 2 is 1234.56.
    public init(scaled: Int64, moneyDigits: UInt32) {
        self.amount = Decimal(scaled) / Money.power10(moneyDigits)
    }

    /// The amount an unsigned scaled integer stands for (used margins are `uint64`).
    public init(scaled: UInt64, moneyDigits: UInt32) {
        self.amount = Decimal(scaled) / Money.power10(moneyDigits)
    }

    /// Zero.
    public static let zero = Money(Decimal(0))

    /// The amount rounded to `digits` decimal places, halves away from zero.
    public func rounded(digits: UInt32) -> Money {
        var input = amount
        var output = Decimal()
        NSDecimalRound(&output, &input, Int(digits), .plain)
        return Money(output)
    }

    /// The amount as an integer scaled by 10^`moneyDigits`, rounded to the last digit (halves
    /// away from zero); `nil` when it does not fit in an `Int64`.
    public func scaled(moneyDigits: UInt32) -> Int64? {
        let value = rounded(digits: moneyDigits).amount * Money.power10(moneyDigits)
        guard value.isFinite else { return nil }
        return Int64(value.description)
    }

    /// The smallest amount `moneyDigits` digits can express: 0.01 for 2.
    public static func unit(moneyDigits: UInt32) -> Money {
        Money(scaled: Int64(1), moneyDigits: moneyDigits)
    }

    /// The amount in plain decimal notation (`1234.56`, `-0.5`).
    public var description: String { amount.description }

    /// The amount with exactly `digits` decimal places, rounded: `formatted(digits: 2)` of 3.5
    /// is `3.50`.
    public func formatted(digits: UInt32) -> String {
        let rounded = self.rounded(digits: digits).amount
        let negative = rounded < 0
        let magnitude = negative ? -rounded : rounded
        var text = magnitude.description
        if digits > 0 {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            let whole = String(parts[0])
            let fraction = parts.count > 1 ? String(parts[1]) : ""
            text = whole + "." + fraction + String(repeating: "0", count: max(0, Int(digits) - fraction.count))
        }
        return negative ? "-" + text : text
    }

    /// The sum.
    public static func + (lhs: Money, rhs: Money) -> Money { Money(lhs.amount + rhs.amount) }
    /// The difference.
    public static func - (lhs: Money, rhs: Money) -> Money { Money(lhs.amount - rhs.amount) }
    /// The opposite amount.
    public static prefix func - (value: Money) -> Money { Money(-value.amount) }
    /// Adds in place.
    public static func += (lhs: inout Money, rhs: Money) { lhs.amount += rhs.amount }
    /// Subtracts in place.
    public static func -= (lhs: inout Money, rhs: Money) { lhs.amount -= rhs.amount }
    /// Orders by amount.
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.amount < rhs.amount }

    /// The absolute amount.
    public var magnitude: Money { amount < 0 ? Money(-amount) : self }

    static func power10(_ digits: UInt32) -> Decimal {
        var result = Decimal(1)
        for _ in 0..<min(digits, 30) { result *= 10 }
        return result
    }
}

extension Decimal {
    /// The price a `double` of the Open API stands for: the shortest decimal that reads back as
    /// `value` (`1.08512`, not its binary expansion), rounded to 10 decimal places, so that a
    /// double computed as 1.25143 − ε (1.2514299999999998) is 1.25143 again. Prices are multiples
    /// of 1/100000; 10 places keep any finer average price.
    static func exactly(shortest value: Double) -> Decimal {
        var parsed = Decimal(string: "\(value)", locale: Locale(identifier: "en_US_POSIX")) ?? Decimal(value)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &parsed, 10, .plain)
        return rounded
    }
}
