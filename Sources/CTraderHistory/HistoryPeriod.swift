/// A trendbar period, numbered as the Open API's `ProtoOATrendbarPeriod` (M1 = 1 … MN1 = 14), so
/// that the store needs no protocol module.
public enum HistoryPeriod: Int, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case m1 = 1
    case m2, m3, m4, m5, m10, m15, m30, h1, h4, h12, d1, w1, mn1

    /// The period's name, e.g. `M1`, `H4`, `MN1`.
    public var name: String {
        switch self {
        case .m1: "M1"
        case .m2: "M2"
        case .m3: "M3"
        case .m4: "M4"
        case .m5: "M5"
        case .m10: "M10"
        case .m15: "M15"
        case .m30: "M30"
        case .h1: "H1"
        case .h4: "H4"
        case .h12: "H12"
        case .d1: "D1"
        case .w1: "W1"
        case .mn1: "MN1"
        }
    }

    /// ``name``.
    public var description: String { name }

    /// The period named `name` (any case), or `nil`.
    public init?(name: String) {
        guard let period = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = period
    }

    /// The longest span, in milliseconds, of one trendbar request for this period: the server's
    /// limits (M1–M5 302,400,000 ms; M10–H1 21,168,000,000 ms; H4–D1 31,622,400,000 ms; W1 and
    /// MN1 158,112,000,000 ms).
    public var maximumRequestSpan: Int64 {
        switch self {
        case .m1, .m2, .m3, .m4, .m5: 302_400_000
        case .m10, .m15, .m30, .h1: 21_168_000_000
        case .h4, .h12, .d1: 31_622_400_000
        case .w1, .mn1: 158_112_000_000
        }
    }

    /// The length of a bar in milliseconds (MN1: 31 days, an upper bound).
    public var length: Int64 {
        let minute: Int64 = 60_000
        switch self {
        case .m1: return minute
        case .m2: return 2 * minute
        case .m3: return 3 * minute
        case .m4: return 4 * minute
        case .m5: return 5 * minute
        case .m10: return 10 * minute
        case .m15: return 15 * minute
        case .m30: return 30 * minute
        case .h1: return 60 * minute
        case .h4: return 240 * minute
        case .h12: return 720 * minute
        case .d1: return 1_440 * minute
        case .w1: return 7 * 1_440 * minute
        case .mn1: return 31 * 1_440 * minute
        }
    }

    /// The start (Unix milliseconds) of the bar that contains `time`: weeks start on Monday
    /// 00:00 UTC, months on the 1st.
    public func barStart(containing time: Int64) -> Int64 {
        let day: Int64 = 86_400_000
        switch self {
        case .w1:
            let monday: Int64 = 4 * day  // 1970-01-01 was a Thursday
            return floorDivide(time - monday, 7 * day) * 7 * day + monday
        case .mn1:
            let (year, month) = Self.yearAndMonth(days: floorDivide(time, day))
            return Self.days(year: year, month: month) * day
        default:
            return floorDivide(time, length) * length
        }
    }

    /// Howard Hinnant's civil-from-days, reduced to the year and month.
    private static func yearAndMonth(days: Int64) -> (Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month)
    }

    /// Howard Hinnant's days-from-civil for the 1st of a month.
    private static func days(year: Int64, month: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// Division rounding towards minus infinity.
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
