// swift-ctrader: the trader's toolkit.

public import CTraderMessaging

/// One weekly trading interval of a symbol, in seconds from Sunday 00:00 in the schedule's time
/// zone (start inclusive, end exclusive), as `ProtoOAInterval` carries it.
///
/// The seconds are wall-clock seconds: 79 200 is Sunday 22:00 on the zone's clocks in every week,
/// in summer and in winter. An end written as the last second of a day (…86 399, "23:59:59") is
/// read as the end of that day, so no one-second gap opens before the next interval.
public struct WeeklySession: Hashable, Sendable {
    /// The first second of the interval, counted from Sunday 00:00 (0 ..< 604 800).
    public var startSecond: Int64
    /// The second after the interval, counted from Sunday 00:00 (at most a week after the start).
    public var endSecond: Int64

    /// Makes an interval from its seconds; an end of …86 399 is read as the end of that day.
    public init(startSecond: Int64, endSecond: Int64) {
        self.startSecond = startSecond
        self.endSecond = MarketCalendar.endOfDayAdjusted(endSecond)
    }

    /// Makes an interval from the protocol's `ProtoOAInterval`.
    public init(_ interval: ProtoOAInterval) {
        self.init(startSecond: Int64(interval.startSecond), endSecond: Int64(interval.endSecond))
    }
}

/// A day (or part of a day) on which a symbol does not trade, as `ProtoOAHoliday` carries it.
///
/// The holiday is read on the clocks of its own time zone, which may differ from the schedule's:
/// it closes the market from `startSecond` to `endSecond` after 00:00 of its date there. Without
/// `startSecond` and `endSecond` (or with both 0) it closes the whole day. An end written as
/// 86 399 ("23:59:59") is read as the end of the day. A recurring holiday on 29 February comes
/// back only in leap years. A holiday without a time zone is read on the schedule's clocks.
public struct MarketHoliday: Hashable, Sendable {
    /// The broker's id for the holiday.
    public var id: Int64
    /// The holiday's name.
    public var name: String
    /// The time zone whose clocks the holiday's times are read on (a tz database identifier;
    /// empty for the schedule's zone).
    public var timeZoneIdentifier: String
    /// The holiday's date, as days since 1970-01-01 (`holidayDate`).
    public var day: Int64
    /// Whether the holiday comes back every year on the same month and day.
    public var isRecurring: Bool
    /// Seconds after 00:00 of the holiday's date at which the market closes.
    public var startSecond: Int64
    /// Seconds after 00:00 of the holiday's date at which the market opens again.
    public var endSecond: Int64

    /// Makes a holiday; an end of 86 399 is read as the end of the day (86 400).
    public init(
        id: Int64, name: String, timeZoneIdentifier: String, day: Int64, isRecurring: Bool,
        startSecond: Int64 = 0, endSecond: Int64 = 86_400
    ) {
        self.id = id
        self.name = name
        self.timeZoneIdentifier = timeZoneIdentifier
        self.day = day
        self.isRecurring = isRecurring
        self.startSecond = startSecond
        self.endSecond = MarketCalendar.endOfDayAdjusted(endSecond)
    }

    /// Makes a holiday from the protocol's `ProtoOAHoliday`.
    public init(_ holiday: ProtoOAHoliday) {
        let start = holiday.hasStartSecond ? Int64(holiday.startSecond) : 0
        var end = holiday.hasEndSecond ? Int64(holiday.endSecond) : 86_400
        if start == 0 && end == 0 { end = 86_400 }
        self.init(
            id: holiday.holidayID, name: holiday.name, timeZoneIdentifier: holiday.scheduleTimeZone,
            day: holiday.holidayDate, isRecurring: holiday.isRecurring, startSecond: start, endSecond: end)
    }
}

/// A calendar date as the clocks of some time zone show it.
public struct CalendarDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The year (Gregorian).
    public var year: Int
    /// The month, 1–12.
    public var month: Int
    /// The day of the month, 1–31.
    public var day: Int

    /// Makes a date from its parts (not checked; a date that does not exist has no sessions).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (the protocol's `holidayDate`).
    public init(daysSince1970 days: Int64) {
        let (year, month, day) = CalendarWallClock.civilDate(ofDay: days)
        self.init(year: year, month: month, day: day)
    }

    /// Days since 1970-01-01; `nil` when the date does not exist.
    public var daysSince1970: Int64? {
        CalendarWallClock.dayNumber(year: year, month: month, day: day)
    }

    /// Compares year, then month, then day.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }
}
