// swift-ctrader: the cTrader Open API message layer.

public import Foundation

/// Conversions between the Open API's integer encodings and the values they stand for.
///
/// The API sends no floating-point prices or amounts; instead:
/// - relative prices (spot bids and asks, trendbar lows and deltas, stop loss and take profit
///   distances in some messages) are integers in 1/100000 of a price unit: 112_345 is 1.12345;
/// - volumes are integers in cents of the base asset: with a symbol's `lotSize` in cents, lots
///   are `volume / lotSize`;
/// - money (balances, margins, commissions in newer messages) is an integer scaled by
///   10^`moneyDigits`, where `moneyDigits` comes with the message;
/// - timestamps are Unix time in milliseconds, and trendbars carry `utcTimestampInMinutes`.
///
/// Conversions to integers round to the nearest unit (halves away from zero) and return `nil`
/// when the result does not fit in an `Int64`.
public enum CTraderUnits {
    /// Relative prices count 1/100000 of a price unit.
    public static let relativePriceScale: Int64 = 100_000

    /// The price a relative price stands for: `112345` → `1.12345`.
    public static func price(relative: Int64) -> Decimal {
        Decimal(relative) / Decimal(relativePriceScale)
    }

    /// The relative price of a price, rounded to the nearest 1/100000: `1.12345` → `112345`.
    public static func relativePrice(_ price: Decimal) -> Int64? {
        roundedInt64(price * Decimal(relativePriceScale))
    }

    /// The lots a volume in cents stands for, given the symbol's `lotSize` (also in cents):
    /// volume 10_000_000 with lotSize 10_000_000 is 1 lot. `nil` when `lotSize` is not positive.
    public static func lots(volume: Int64, lotSize: Int64) -> Decimal? {
        guard lotSize > 0 else { return nil }
        return Decimal(volume) / Decimal(lotSize)
    }

    /// The volume in cents of a number of lots, rounded to the nearest cent.
    public static func volume(lots: Decimal, lotSize: Int64) -> Int64? {
        roundedInt64(lots * Decimal(lotSize))
    }

    /// The amount of money an integer stands for: `123456` with `moneyDigits` 2 is `1234.56`.
    public static func money(_ amount: Int64, moneyDigits: Int) -> Decimal {
        Decimal(amount) / power10(moneyDigits)
    }

    /// The integer for an amount of money with `moneyDigits` digits, rounded to the last digit.
    public static func moneyAmount(_ money: Decimal, moneyDigits: Int) -> Int64? {
        roundedInt64(money * power10(moneyDigits))
    }

    /// The date of a Unix timestamp in milliseconds.
    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds / 1000) + TimeInterval(milliseconds % 1000) / 1000)
    }

    /// The Unix timestamp in milliseconds of a date, rounded to the nearest millisecond.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The date of a Unix timestamp in minutes (trendbars' `utcTimestampInMinutes`).
    public static func date(minutes: UInt32) -> Date {
        Date(timeIntervalSince1970: TimeInterval(minutes) * 60)
    }

    /// The Unix timestamp in whole minutes of a date (rounded down); `nil` before 1970 or past
    /// the range of `UInt32`.
    public static func minutes(_ date: Date) -> UInt32? {
        UInt32(exactly: (date.timeIntervalSince1970 / 60).rounded(.down))
    }

    private static func power10(_ digits: Int) -> Decimal {
        var result = Decimal(1)
        for _ in 0..<max(0, digits) { result *= 10 }
        return result
    }

    /// Rounds to an integer (halves away from zero) and converts without going through `Double`.
    static func roundedInt64(_ value: Decimal) -> Int64? {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, 0, .plain)
        guard rounded.isFinite else { return nil }
        return Int64(rounded.description)
    }
}

/// A trendbar's prices, rebuilt from `low` and its deltas; all relative (1/100000).
public struct TrendbarPrices: Hashable, Sendable {
    /// The lowest price.
    public var low: Int64
    /// The first price: `low + deltaOpen`.
    public var open: Int64
    /// The highest price: `low + deltaHigh`.
    public var high: Int64
    /// The last price: `low + deltaClose`.
    public var close: Int64

    /// Makes a value from relative prices.
    public init(low: Int64, open: Int64, high: Int64, close: Int64) {
        self.low = low
        self.open = open
        self.high = high
        self.close = close
    }
}

extension ProtoOATrendbar {
    /// The bar's relative prices: open, high and close are `low` plus their deltas. `nil` when
    /// a delta does not fit (which a server never sends).
    public var prices: TrendbarPrices? {
        guard let open = Int64(exactly: deltaOpen), let high = Int64(exactly: deltaHigh),
            let close = Int64(exactly: deltaClose)
        else { return nil }
        let (o, oOverflow) = low.addingReportingOverflow(open)
        let (h, hOverflow) = low.addingReportingOverflow(high)
        let (c, cOverflow) = low.addingReportingOverflow(close)
        guard !oOverflow, !hOverflow, !cOverflow else { return nil }
        return TrendbarPrices(low: low, open: o, high: h, close: c)
    }

    /// Sets `low` and the deltas from a bar's relative prices (`low` must be the lowest).
    public mutating func setPrices(_ prices: TrendbarPrices) {
        low = prices.low
        deltaOpen = UInt64(clamping: prices.open - prices.low)
        deltaHigh = UInt64(clamping: prices.high - prices.low)
        deltaClose = UInt64(clamping: prices.close - prices.low)
    }

    /// The start of the bar, from `utcTimestampInMinutes`.
    public var openDate: Date {
        CTraderUnits.date(minutes: utcTimestampInMinutes)
    }
}

extension ProtoOATrendbarPeriod {
    /// The longest `toTimestamp - fromTimestamp`, in milliseconds, that the server accepts in one
    /// `ProtoOAGetTrendbarsReq` of this period (the Open API's documented limits):
    /// - M1 to M5: 302,400,000 (3.5 days);
    /// - M10 to H1: 21,168,000,000 (245 days);
    /// - H4 to D1: 31,622,400,000 (366 days);
    /// - W1 and MN1: 158,112,000,000 (1,830 days).
    public var maximumRequestSpan: Int64 {
        switch self {
        case .m1, .m2, .m3, .m4, .m5: return 302_400_000
        case .m10, .m15, .m30, .h1: return 21_168_000_000
        case .h4, .h12, .d1: return 31_622_400_000
        case .w1, .mn1: return 158_112_000_000
        }
    }
}

extension ProtoOAGetTickDataReq {
    /// The longest `toTimestamp - fromTimestamp`, in milliseconds, of one tick request: one week
    /// (604,800,000), as the catalogue's comment on `fromTimestamp` states.
    public static let maximumRequestSpan: Int64 = 604_800_000
}
