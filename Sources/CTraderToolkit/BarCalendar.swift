// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging

/// The boundaries of trendbar periods, in UTC: where a bar of a period starts and ends.
///
/// M1 to D1 bars start at multiples of their length since the Unix epoch (an H4 bar at 00:00,
/// 04:00, …; a D1 bar at 00:00 UTC). A W1 bar starts at 00:00 UTC of the first day of the
/// week (``weekStart``, Monday by default, as the simulator and `CTraderHistory` count; the Open
/// API documentation does not state it, hence the option), and an MN1 bar at 00:00 UTC of the 1st
/// of the month, so months have their own lengths (28 to 31 days).
///
/// Times are Unix milliseconds.
public struct BarCalendar: Hashable, Sendable {
    /// The day a week starts on.
    public enum WeekStart: Hashable, Sendable {
        /// Weeks start on Sunday 00:00 UTC.
        case sunday
        /// Weeks start on Monday 00:00 UTC.
        case monday
    }

    /// The day W1 bars start on.
    public var weekStart: WeekStart

    /// A calendar whose weeks start on `weekStart` (default Monday).
    public init(weekStart: WeekStart = .monday) {
        self.weekStart = weekStart
    }

    private static let minute: Int64 = 60_000
    private static let day: Int64 = 86_400_000

    /// The length of a period shorter than a month, in milliseconds; `nil` for MN1.
    public static func fixedLength(of period: ProtoOATrendbarPeriod) -> Int64? {
        switch period {
        case .m1: minute
        case .m2: 2 * minute
        case .m3: 3 * minute
        case .m4: 4 * minute
        case .m5: 5 * minute
        case .m10: 10 * minute
        case .m15: 15 * minute
        case .m30: 30 * minute
        case .h1: 60 * minute
        case .h4: 240 * minute
        case .h12: 720 * minute
        case .d1: day
        case .w1: 7 * day
        case .mn1: nil
        }
    }

    /// The start of the bar of `period` that holds `time`.
    public func start(of period: ProtoOATrendbarPeriod, containing time: Int64) -> Int64 {
        switch period {
        case .w1:
            // Day 0 (1970-01-01) was a Thursday: Sunday is day 3, Monday day 4.
            let first: Int64 = weekStart == .sunday ? 3 : 4
            let days = CalendarWallClock.floorDivide(time, Self.day) - first
            return (CalendarWallClock.floorDivide(days, 7) * 7 + first) * Self.day
        case .mn1:
            let date = CalendarWallClock.civilDate(ofDay: CalendarWallClock.floorDivide(time, Self.day))
            return (CalendarWallClock.dayNumber(year: date.year, month: date.month, day: 1) ?? 0) * Self.day
        default:
            let length = Self.fixedLength(of: period) ?? Self.day
            return CalendarWallClock.floorDivide(time, length) * length
        }
    }

    /// The end (exclusive) of the bar of `period` starting at `start`: the next bar's start.
    public func end(of period: ProtoOATrendbarPeriod, startingAt start: Int64) -> Int64 {
        guard period == .mn1 else { return start + (Self.fixedLength(of: period) ?? Self.day) }
        let date = CalendarWallClock.civilDate(ofDay: CalendarWallClock.floorDivide(start, Self.day))
        let (year, month) = date.month == 12 ? (date.year + 1, 1) : (date.year, date.month + 1)
        return (CalendarWallClock.dayNumber(year: year, month: month, day: 1) ?? 0) * Self.day
    }
}
