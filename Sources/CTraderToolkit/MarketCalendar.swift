// swift-ctrader: the trader's toolkit.

public import CTraderMessaging
public import Foundation

/// When a symbol trades: its weekly schedule, read on the clocks of its `scheduleTimeZone`, less
/// its holidays, each read on the clocks of its own time zone.
///
/// A pure value: it answers for any instant it is given (`isOpen(at:)`, `nextOpen(after:)`,
/// `nextClose(after:)`, `sessions(on:)`) and never reads the current time itself. The time zone
/// rules come from the tz database through Foundation's `TimeZone`, so a session that starts at
/// Sunday 17:00 in New York starts at 22:00 UTC in winter and at 21:00 UTC in summer.
///
/// Wall times that do not exist (the hour skipped when clocks go forward) are read with the offset
/// in force before the change (01:30 becomes 02:30 summer time); wall times that happen twice are
/// read as the first of the two. Adjacent intervals and holidays join with no gap, and a time
/// written as 23:59:59 (…86 399 seconds) is the end of its day.
public struct MarketCalendar: Sendable {
    /// The zone whose clocks the weekly sessions are read on.
    public let timeZone: TimeZone
    /// The weekly trading intervals.
    public let sessions: [WeeklySession]
    /// The holidays that close the market.
    public let holidays: [MarketHoliday]
    /// How far `nextOpen(after:)` and `nextClose(after:)` look ahead, in days, before answering
    /// `nil` (a symbol that never opens, or never closes, within that span).
    public var searchDays: Int

    private let scheduleClock: CalendarWallClock
    private let holidayClocks: [CalendarWallClock]

    /// The default of ``searchDays``: a little more than a year, so that a yearly holiday and the
    /// session after it are always within reach.
    public static let defaultSearchDays = 400

    /// Makes a calendar from weekly sessions read in a time zone and holidays.
    ///
    /// - Throws: ``MarketCalendarError`` naming the unknown zone or the invalid interval or holiday.
    public init(
        sessions: [WeeklySession], timeZoneIdentifier: String, holidays: [MarketHoliday] = [],
        searchDays: Int = MarketCalendar.defaultSearchDays
    ) throws(MarketCalendarError) {
        let zone: TimeZone
        if timeZoneIdentifier.isEmpty {
            guard sessions.isEmpty, let utc = TimeZone(identifier: "UTC") else { throw .missingTimeZone }
            zone = utc
        } else {
            guard let named = TimeZone(identifier: timeZoneIdentifier) else {
                throw .unknownTimeZone(identifier: timeZoneIdentifier)
            }
            zone = named
        }
        for session in sessions {
            guard (0..<CalendarWallClock.secondsPerWeek).contains(session.startSecond),
                session.endSecond > session.startSecond,
                session.endSecond - session.startSecond <= CalendarWallClock.secondsPerWeek
            else { throw .invalidInterval(startSecond: session.startSecond, endSecond: session.endSecond) }
        }
        var clocks: [CalendarWallClock] = []
        for holiday in holidays {
            // A holiday without a zone of its own is read on the schedule's clocks.
            let identifier = holiday.timeZoneIdentifier.isEmpty ? zone.identifier : holiday.timeZoneIdentifier
            guard let holidayZone = TimeZone(identifier: identifier) else {
                throw .unknownHolidayTimeZone(holidayId: holiday.id, identifier: holiday.timeZoneIdentifier)
            }
            guard (0..<CalendarWallClock.secondsPerDay).contains(holiday.startSecond),
                holiday.endSecond > holiday.startSecond
            else {
                throw .invalidHoliday(
                    holidayId: holiday.id, startSecond: holiday.startSecond, endSecond: holiday.endSecond)
            }
            clocks.append(CalendarWallClock(timeZone: holidayZone))
        }
        self.timeZone = zone
        self.sessions = sessions
        self.holidays = holidays
        self.searchDays = max(1, searchDays)
        self.scheduleClock = CalendarWallClock(timeZone: zone)
        self.holidayClocks = clocks
    }

    /// Makes the calendar of a symbol from its `schedule`, `scheduleTimeZone` and `holiday`s.
    ///
    /// - Throws: ``MarketCalendarError`` naming the unknown zone or the invalid interval or holiday.
    public init(symbol: ProtoOASymbol, searchDays: Int = MarketCalendar.defaultSearchDays) throws(MarketCalendarError) {
        try self.init(
            sessions: symbol.schedule.map(WeeklySession.init), timeZoneIdentifier: symbol.scheduleTimeZone,
            holidays: symbol.holiday.map(MarketHoliday.init), searchDays: searchDays)
    }

    // MARK: - Questions

    /// Whether the market is open at an instant (inside a session and outside every holiday).
    public func isOpen(at date: Date) -> Bool {
        let t = Self.unixSeconds(date)
        return periods(fromUnix: t - Self.margin, toUnix: t + Self.margin).periods.contains {
            $0.start <= t && t < $0.end
        }
    }

    /// The next instant strictly after `date` at which the market opens (when it is open at
    /// `date`, the opening after the current session ends); `nil` when it does not open within
    /// ``searchDays``.
    public func nextOpen(after date: Date) -> Date? {
        let t = Self.unixSeconds(date)
        let window = periods(fromUnix: t - Self.margin, toUnix: t + Int64(searchDays) * CalendarWallClock.secondsPerDay)
        guard let period = window.periods.first(where: { $0.start > t && $0.start > window.low }) else { return nil }
        return Self.date(period.start)
    }

    /// The next instant strictly after `date` at which the market closes (when it is closed at
    /// `date`, the end of the next session); `nil` when it does not close within ``searchDays``.
    public func nextClose(after date: Date) -> Date? {
        let t = Self.unixSeconds(date)
        let window = periods(fromUnix: t - Self.margin, toUnix: t + Int64(searchDays) * CalendarWallClock.secondsPerDay)
        guard let period = window.periods.first(where: { $0.end > t && $0.end < window.high }) else { return nil }
        return Self.date(period.end)
    }

    /// The periods in which the market is open between two instants, cut to `[start, end)`,
    /// oldest first.
    public func openPeriods(from start: Date, to end: Date) -> [DateInterval] {
        let a = Self.unixSeconds(start)
        let b = Self.unixSeconds(end)
        guard b > a else { return [] }
        return periods(fromUnix: a - Self.margin, toUnix: b + Self.margin).periods.compactMap { period in
            let lower = max(period.start, a)
            let upper = min(period.end, b)
            guard upper > lower else { return nil }
            return DateInterval(start: Self.date(lower), end: Self.date(upper))
        }
    }

    /// The periods in which the market is open on a date of the schedule's time zone (from its
    /// 00:00 to the next day's 00:00 on the zone's clocks), cut to that day, oldest first.
    public func sessions(on day: CalendarDay) -> [DateInterval] {
        guard let number = day.daysSince1970 else { return [] }
        let start = scheduleClock.unix(fromLocal: number * CalendarWallClock.secondsPerDay)
        let end = scheduleClock.unix(fromLocal: (number + 1) * CalendarWallClock.secondsPerDay)
        return openPeriods(from: Self.date(start), to: Self.date(end))
    }

    /// The date of the schedule's time zone that an instant falls on.
    public func day(of date: Date) -> CalendarDay {
        CalendarDay(
            daysSince1970: CalendarWallClock.day(ofLocal: scheduleClock.local(fromUnix: Self.unixSeconds(date))))
    }

    /// The holidays that close the market between two instants (each occurrence of a recurring
    /// holiday once), with the instants they cover, oldest first.
    public func holidayClosures(from start: Date, to end: Date) -> [HolidayClosure] {
        let a = Self.unixSeconds(start)
        let b = Self.unixSeconds(end)
        return closures(fromUnix: a, toUnix: b).filter { $0.end > a && $0.start < b }.map {
            HolidayClosure(
                holiday: holidays[$0.index], interval: DateInterval(start: Self.date($0.start), end: Self.date($0.end)))
        }
    }

    // MARK: - Periods in Unix seconds

    /// Extra time around a question, so that a session that started before it is seen whole.
    private static let margin = 8 * CalendarWallClock.secondsPerDay

    private struct Span {
        var start: Int64
        var end: Int64
    }

    private struct Closure {
        var start: Int64
        var end: Int64
        var index: Int
    }

    /// The open periods cut to `[low, high)`: a start at `low` or an end at `high` may be the
    /// cut, not a real opening or closing.
    private func periods(fromUnix low: Int64, toUnix high: Int64) -> (periods: [Span], low: Int64, high: Int64) {
        var open: [Span] = []
        let firstWeek =
            CalendarWallClock.weekStart(ofLocal: scheduleClock.local(fromUnix: low)) - CalendarWallClock.secondsPerWeek
        let lastLocal = scheduleClock.local(fromUnix: high)
        var week = firstWeek
        while week <= lastLocal {
            for session in sessions {
                let start = scheduleClock.unix(fromLocal: week + session.startSecond)
                let end = scheduleClock.unix(fromLocal: week + session.endSecond)
                let cutStart = max(start, low)
                let cutEnd = min(end, high)
                if cutEnd > cutStart { open.append(Span(start: cutStart, end: cutEnd)) }
            }
            week += CalendarWallClock.secondsPerWeek
        }
        let closed = Self.merged(closures(fromUnix: low, toUnix: high).map { Span(start: $0.start, end: $0.end) })
        return (Self.subtract(closed, from: Self.merged(open)), low, high)
    }

    /// The occurrences of every holiday that may touch `[low, high)`, oldest first.
    private func closures(fromUnix low: Int64, toUnix high: Int64) -> [Closure] {
        let firstYear =
            CalendarDay(daysSince1970: CalendarWallClock.floorDivide(low, CalendarWallClock.secondsPerDay)).year - 1
        let lastYear =
            CalendarDay(daysSince1970: CalendarWallClock.floorDivide(high, CalendarWallClock.secondsPerDay)).year + 1
        var result: [Closure] = []
        for (index, holiday) in holidays.enumerated() {
            var days: [Int64] = []
            if holiday.isRecurring {
                let date = CalendarDay(daysSince1970: holiday.day)
                for year in firstYear...max(firstYear, lastYear) {
                    if let day = CalendarWallClock.dayNumber(year: year, month: date.month, day: date.day) {
                        days.append(day)
                    }
                }
            } else {
                days.append(holiday.day)
            }
            let clock = holidayClocks[index]
            for day in days {
                let midnight = day * CalendarWallClock.secondsPerDay
                let start = clock.unix(fromLocal: midnight + holiday.startSecond)
                let end = clock.unix(fromLocal: midnight + holiday.endSecond)
                if end > start && end > low - Self.margin && start < high + Self.margin {
                    result.append(Closure(start: start, end: end, index: index))
                }
            }
        }
        return result.sorted { ($0.start, $0.end, $0.index) < ($1.start, $1.end, $1.index) }
    }

    /// Sorts spans and joins those that overlap or touch.
    private static func merged(_ spans: [Span]) -> [Span] {
        var result: [Span] = []
        for span in spans.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            if let last = result.last, span.start <= last.end {
                result[result.count - 1].end = max(last.end, span.end)
            } else {
                result.append(span)
            }
        }
        return result
    }

    /// `open` less `closed`; both sorted and merged.
    private static func subtract(_ closed: [Span], from open: [Span]) -> [Span] {
        var result: [Span] = []
        for period in open {
            var start = period.start
            for closure in closed where closure.end > start && closure.start < period.end {
                if closure.start > start { result.append(Span(start: start, end: closure.start)) }
                start = max(start, closure.end)
            }
            if period.end > start { result.append(Span(start: start, end: period.end)) }
        }
        return result
    }

    static func endOfDayAdjusted(_ second: Int64) -> Int64 {
        CalendarWallClock.floorModulo(second, CalendarWallClock.secondsPerDay) == CalendarWallClock.secondsPerDay - 1
            ? second + 1 : second
    }

    private static func unixSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    private static func date(_ unix: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(unix))
    }
}

/// One occurrence of a holiday and the instants it closes the market.
public struct HolidayClosure: Hashable, Sendable {
    /// The holiday.
    public var holiday: MarketHoliday
    /// When it closes the market (before the weekly sessions are taken into account).
    public var interval: DateInterval

    /// Makes an occurrence.
    public init(holiday: MarketHoliday, interval: DateInterval) {
        self.holiday = holiday
        self.interval = interval
    }
}
