import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

/// `MarketCalendar` on sessions computed by hand around the 2026 daylight-saving changes.
///
/// The changes (tz database, checked with `zdump -v -c 2026,2027`):
/// - Europe/London: GMT (UTC+0) → BST (UTC+1) on Sun 29 Mar 2026 at 01:00 UTC;
///   BST → GMT on Sun 25 Oct 2026 at 01:00 UTC.
/// - America/New_York: EST (UTC−5) → EDT (UTC−4) on Sun 8 Mar 2026 at 07:00 UTC;
///   EDT → EST on Sun 1 Nov 2026 at 06:00 UTC (New York's autumn change is in November).
/// Every expected instant below is written out in UTC by hand, with its derivation.
struct MarketCalendarTests {
    static func utc(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    static let day: Int64 = 86_400
    static let hour: Int64 = 3_600

    /// FX in New York: Sunday 17:00 to Friday 17:00, i.e. seconds 61 200 ..< 5 × 86 400 + 61 200.
    static func newYorkFX(holidays: [MarketHoliday] = []) throws -> MarketCalendar {
        try MarketCalendar(
            sessions: [WeeklySession(startSecond: 17 * hour, endSecond: 5 * day + 17 * hour)],
            timeZoneIdentifier: "America/New_York", holidays: holidays)
    }

    /// A London exchange: Monday to Friday, 08:00 to 16:30 each day.
    static func londonDaily() throws -> MarketCalendar {
        let sessions = (1...5).map { (weekday: Int64) in
            WeeklySession(startSecond: weekday * day + 8 * hour, endSecond: weekday * day + 16 * hour + 1_800)
        }
        return try MarketCalendar(sessions: sessions, timeZoneIdentifier: "Europe/London")
    }

    // MARK: - New York, March

    @Test func newYorkOpensAnHourEarlierInUTCAfterTheMarchChange() throws {
        let calendar = try Self.newYorkFX()
        // Fri 6 Mar 17:00 EST (UTC−5) = 22:00 UTC.
        #expect(calendar.nextClose(after: Self.utc("2026-03-06T12:00:00Z")) == Self.utc("2026-03-06T22:00:00Z"))
        // Sun 8 Mar 17:00 is after the 02:00 change: EDT (UTC−4) = 21:00 UTC.
        #expect(calendar.nextOpen(after: Self.utc("2026-03-07T12:00:00Z")) == Self.utc("2026-03-08T21:00:00Z"))
        #expect(!calendar.isOpen(at: Self.utc("2026-03-08T20:59:59Z")))
        #expect(calendar.isOpen(at: Self.utc("2026-03-08T21:00:00Z")))
        // Fri 13 Mar 17:00 EDT = 21:00 UTC.
        #expect(calendar.nextClose(after: Self.utc("2026-03-09T00:00:00Z")) == Self.utc("2026-03-13T21:00:00Z"))
        #expect(calendar.isOpen(at: Self.utc("2026-03-13T20:59:59Z")))
        #expect(!calendar.isOpen(at: Self.utc("2026-03-13T21:00:00Z")))
    }

    @Test func sessionsOfTheShortNewYorkDay() throws {
        // Sun 8 Mar runs from 00:00 EST = 05:00 UTC to Mon 00:00 EDT = 04:00 UTC (23 hours);
        // the market is open from 17:00 EDT = 21:00 UTC to the end of the day.
        let sessions = try Self.newYorkFX().sessions(on: CalendarDay(year: 2026, month: 3, day: 8))
        #expect(
            sessions == [DateInterval(start: Self.utc("2026-03-08T21:00:00Z"), end: Self.utc("2026-03-09T04:00:00Z"))])
        // Saturday has none.
        #expect(try Self.newYorkFX().sessions(on: CalendarDay(year: 2026, month: 3, day: 7)).isEmpty)
    }

    // MARK: - New York, November

    @Test func newYorkOpensAnHourLaterInUTCAfterTheNovemberChange() throws {
        let calendar = try Self.newYorkFX()
        // Fri 30 Oct 17:00 EDT = 21:00 UTC.
        #expect(calendar.nextClose(after: Self.utc("2026-10-30T12:00:00Z")) == Self.utc("2026-10-30T21:00:00Z"))
        // Sun 1 Nov 17:00 is after the 02:00 change back: EST = 22:00 UTC.
        #expect(calendar.nextOpen(after: Self.utc("2026-10-31T12:00:00Z")) == Self.utc("2026-11-01T22:00:00Z"))
        #expect(!calendar.isOpen(at: Self.utc("2026-11-01T21:30:00Z")))
        // Sun 1 Nov runs from 00:00 EDT = 04:00 UTC to Mon 00:00 EST = 05:00 UTC (25 hours).
        let sessions = calendar.sessions(on: CalendarDay(year: 2026, month: 11, day: 1))
        #expect(
            sessions == [DateInterval(start: Self.utc("2026-11-01T22:00:00Z"), end: Self.utc("2026-11-02T05:00:00Z"))])
        #expect(calendar.day(of: Self.utc("2026-11-02T04:30:00Z")) == CalendarDay(year: 2026, month: 11, day: 1))
    }

    // MARK: - London

    @Test func londonSessionsAroundTheMarchChange() throws {
        let calendar = try Self.londonDaily()
        // Fri 27 Mar, GMT: 08:00–16:30 UTC.
        #expect(
            calendar.sessions(on: CalendarDay(year: 2026, month: 3, day: 27))
                == [DateInterval(start: Self.utc("2026-03-27T08:00:00Z"), end: Self.utc("2026-03-27T16:30:00Z"))])
        // Mon 30 Mar, BST (UTC+1): 08:00–16:30 BST = 07:00–15:30 UTC.
        #expect(calendar.nextOpen(after: Self.utc("2026-03-27T17:00:00Z")) == Self.utc("2026-03-30T07:00:00Z"))
        #expect(
            calendar.sessions(on: CalendarDay(year: 2026, month: 3, day: 30))
                == [DateInterval(start: Self.utc("2026-03-30T07:00:00Z"), end: Self.utc("2026-03-30T15:30:00Z"))])
        #expect(calendar.nextClose(after: Self.utc("2026-03-30T12:00:00Z")) == Self.utc("2026-03-30T15:30:00Z"))
    }

    @Test func londonSessionsAroundTheOctoberChange() throws {
        let calendar = try Self.londonDaily()
        // Fri 23 Oct, BST: 07:00–15:30 UTC.
        #expect(calendar.isOpen(at: Self.utc("2026-10-23T07:00:00Z")))
        #expect(calendar.nextClose(after: Self.utc("2026-10-23T07:00:00Z")) == Self.utc("2026-10-23T15:30:00Z"))
        // Mon 26 Oct, GMT: 08:00–16:30 UTC; at 07:30 UTC it is still closed.
        #expect(!calendar.isOpen(at: Self.utc("2026-10-26T07:30:00Z")))
        #expect(calendar.nextOpen(after: Self.utc("2026-10-23T16:00:00Z")) == Self.utc("2026-10-26T08:00:00Z"))
        #expect(calendar.nextClose(after: Self.utc("2026-10-26T08:00:00Z")) == Self.utc("2026-10-26T16:30:00Z"))
    }

    @Test func aLondonSessionAcrossTheChangeIsShorterOrLonger() throws {
        // Saturday 22:00 to Sunday 04:00 London: 6 × 86 400 + 79 200 ..< 604 800, then 0 ..< 14 400.
        let calendar = try MarketCalendar(
            sessions: [
                WeeklySession(startSecond: 6 * Self.day + 22 * Self.hour, endSecond: 7 * Self.day),
                WeeklySession(startSecond: 0, endSecond: 4 * Self.hour),
            ],
            timeZoneIdentifier: "Europe/London")
        // Sat 28 Mar 22:00 GMT = 22:00 UTC to Sun 29 Mar 04:00 BST = 03:00 UTC: five hours.
        #expect(
            calendar.openPeriods(from: Self.utc("2026-03-28T12:00:00Z"), to: Self.utc("2026-03-29T12:00:00Z"))
                == [DateInterval(start: Self.utc("2026-03-28T22:00:00Z"), end: Self.utc("2026-03-29T03:00:00Z"))])
        // Sat 24 Oct 22:00 BST = 21:00 UTC to Sun 25 Oct 04:00 GMT = 04:00 UTC: seven hours.
        #expect(
            calendar.openPeriods(from: Self.utc("2026-10-24T12:00:00Z"), to: Self.utc("2026-10-25T12:00:00Z"))
                == [DateInterval(start: Self.utc("2026-10-24T21:00:00Z"), end: Self.utc("2026-10-25T04:00:00Z"))])
    }

    @Test func wallTimesThatDoNotExistOrHappenTwice() throws {
        // Sunday 01:30 to 03:00 London: 5 400 ..< 10 800.
        let calendar = try MarketCalendar(
            sessions: [WeeklySession(startSecond: 5_400, endSecond: 3 * Self.hour)], timeZoneIdentifier: "Europe/London"
        )
        // 29 Mar: 01:30 does not exist; read as GMT it is 01:30 UTC (02:30 BST); 03:00 BST = 02:00 UTC.
        #expect(
            calendar.sessions(on: CalendarDay(year: 2026, month: 3, day: 29))
                == [DateInterval(start: Self.utc("2026-03-29T01:30:00Z"), end: Self.utc("2026-03-29T02:00:00Z"))])
        // 25 Oct: 01:30 happens at 00:30 UTC (BST) and 01:30 UTC (GMT); the first counts.
        // 03:00 GMT = 03:00 UTC.
        #expect(
            calendar.sessions(on: CalendarDay(year: 2026, month: 10, day: 25))
                == [DateInterval(start: Self.utc("2026-10-25T00:30:00Z"), end: Self.utc("2026-10-25T03:00:00Z"))])
    }

    // MARK: - Holidays and 23:59:59

    /// Christmas Eve in New York from 13:00 to 23:59:59 (46 800 ..< 86 399), recurring, written
    /// for 2020-12-24: 2020-01-01 is day 50 × 365 + 12 leap days = 18 262, and 24 Dec is the
    /// 359th day of leap 2020, so 18 262 + 358 = 18 620.
    static let christmasEve = MarketHoliday(
        id: 1, name: "Christmas Eve", timeZoneIdentifier: "America/New_York", day: 18_620, isRecurring: true,
        startSecond: 13 * hour, endSecond: 86_399)

    /// 25 Dec 2026: 2026-01-01 is day 56 × 365 + 14 leap days = 20 454; 25 Dec is the 359th day
    /// of 2026, so 20 454 + 358 = 20 812.
    static let christmas2026Day: Int64 = 20_812

    @Test func aPartialHolidayEndingAt235959() throws {
        let calendar = try Self.newYorkFX(holidays: [Self.christmasEve])
        // Thu 24 Dec 2026 13:00 EST = 18:00 UTC; the end, 23:59:59 EST, is read as Fri 25 Dec
        // 00:00 EST = 05:00 UTC, with no one-second gap.
        #expect(calendar.isOpen(at: Self.utc("2026-12-24T17:59:59Z")))
        #expect(calendar.nextClose(after: Self.utc("2026-12-24T12:00:00Z")) == Self.utc("2026-12-24T18:00:00Z"))
        #expect(!calendar.isOpen(at: Self.utc("2026-12-24T18:00:00Z")))
        #expect(!calendar.isOpen(at: Self.utc("2026-12-25T04:59:59Z")))
        #expect(calendar.isOpen(at: Self.utc("2026-12-25T05:00:00Z")))
        #expect(calendar.nextOpen(after: Self.utc("2026-12-24T18:00:00Z")) == Self.utc("2026-12-25T05:00:00Z"))
        #expect(
            calendar.sessions(on: CalendarDay(year: 2026, month: 12, day: 24))
                == [DateInterval(start: Self.utc("2026-12-24T05:00:00Z"), end: Self.utc("2026-12-24T18:00:00Z"))])
    }

    @Test func adjacentHolidaysLeaveNoOneSecondSession() throws {
        // Christmas Day in New York, all day, written as 0 to 23:59:59.
        let christmas = MarketHoliday(
            id: 2, name: "Christmas", timeZoneIdentifier: "America/New_York", day: Self.christmas2026Day,
            isRecurring: false, startSecond: 0, endSecond: 86_399)
        let calendar = try Self.newYorkFX(holidays: [Self.christmasEve, christmas])
        // Closed from Thu 18:00 UTC through Fri 25 Dec (the week's close is Fri 17:00 EST); the
        // next session is Sun 27 Dec 17:00 EST = 22:00 UTC.
        #expect(!calendar.isOpen(at: Self.utc("2026-12-25T04:59:59Z")))
        #expect(!calendar.isOpen(at: Self.utc("2026-12-25T05:00:00Z")))
        #expect(calendar.nextOpen(after: Self.utc("2026-12-24T18:00:00Z")) == Self.utc("2026-12-27T22:00:00Z"))
    }

    @Test func aHolidayReadInItsOwnTimeZone() throws {
        // Christmas Day in London, all day (no seconds given): 25 Dec 00:00 GMT = 00:00 UTC to
        // 26 Dec 00:00 UTC, which is past the week's close (Fri 17:00 EST = 22:00 UTC). With New
        // York's Christmas Eve (18:00 UTC Thu to 05:00 UTC Fri), the market is closed from Thu
        // 18:00 UTC to Sun 27 Dec 17:00 EST = 22:00 UTC.
        var holiday = ProtoOAHoliday()
        holiday.holidayID = 3
        holiday.name = "Christmas"
        holiday.scheduleTimeZone = "Europe/London"
        holiday.holidayDate = Self.christmas2026Day
        holiday.isRecurring = false
        let london = MarketHoliday(holiday)
        #expect(london.startSecond == 0 && london.endSecond == 86_400)
        let calendar = try Self.newYorkFX(holidays: [Self.christmasEve, london])
        #expect(calendar.nextOpen(after: Self.utc("2026-12-24T18:00:00Z")) == Self.utc("2026-12-27T22:00:00Z"))
        let closures = calendar.holidayClosures(
            from: Self.utc("2026-12-20T00:00:00Z"), to: Self.utc("2026-12-31T00:00:00Z"))
        #expect(
            closures.map(\.interval) == [
                DateInterval(start: Self.utc("2026-12-24T18:00:00Z"), end: Self.utc("2026-12-25T05:00:00Z")),
                DateInterval(start: Self.utc("2026-12-25T00:00:00Z"), end: Self.utc("2026-12-26T00:00:00Z")),
            ])
        #expect(closures.map(\.holiday.id) == [1, 3])
    }

    @Test func aHolidayWithoutAZoneIsReadOnTheSchedulesClocks() throws {
        // Christmas Day 2026 with no zone, all day, on New York's clocks: Fri 25 Dec 00:00 EST =
        // 05:00 UTC onwards; the week's close (Fri 17:00 EST = 22:00 UTC) falls inside it, so the
        // last session of the week ends at 05:00 UTC.
        let christmas = MarketHoliday(
            id: 5, name: "Christmas", timeZoneIdentifier: "", day: Self.christmas2026Day, isRecurring: false)
        let calendar = try Self.newYorkFX(holidays: [christmas])
        #expect(calendar.nextClose(after: Self.utc("2026-12-24T12:00:00Z")) == Self.utc("2026-12-25T05:00:00Z"))
        #expect(calendar.nextOpen(after: Self.utc("2026-12-25T05:00:00Z")) == Self.utc("2026-12-27T22:00:00Z"))
    }

    @Test func aRecurringHolidayOn29FebruaryOnlyInLeapYears() throws {
        // 2024-01-01 is day 54 × 365 + 13 leap days (1972–2020) = 19 723, and 29 Feb 2024 is
        // 31 + 28 days later: 19 782. All day in UTC, recurring.
        let leapDay = MarketHoliday(id: 6, name: "Leap day", timeZoneIdentifier: "UTC", day: 19_782, isRecurring: true)
        let always = try MarketCalendar(
            sessions: [WeeklySession(startSecond: 0, endSecond: 7 * Self.day)], timeZoneIdentifier: "UTC",
            holidays: [leapDay])
        #expect(!always.isOpen(at: Self.utc("2028-02-29T12:00:00Z")))
        #expect(always.isOpen(at: Self.utc("2027-02-28T12:00:00Z")))
        #expect(always.isOpen(at: Self.utc("2027-03-01T12:00:00Z")))
        #expect(always.nextClose(after: Self.utc("2028-02-01T00:00:00Z")) == Self.utc("2028-02-29T00:00:00Z"))
    }

    @Test func weeklyIntervalsEndingAt235959JoinTheNextDay() throws {
        // Monday to Friday, each day 00:00 to 23:59:59 in UTC: one session Mon 00:00 to Sat 00:00.
        let sessions = (1...5).map { (weekday: Int64) in
            WeeklySession(startSecond: weekday * Self.day, endSecond: weekday * Self.day + 86_399)
        }
        let calendar = try MarketCalendar(sessions: sessions, timeZoneIdentifier: "UTC")
        // Mon 7 Dec 2026 00:00 UTC to Sat 12 Dec 00:00 UTC.
        #expect(calendar.isOpen(at: Self.utc("2026-12-08T23:59:59Z")))
        #expect(calendar.nextClose(after: Self.utc("2026-12-07T00:00:00Z")) == Self.utc("2026-12-12T00:00:00Z"))
    }

    // MARK: - Errors

    @Test func anUnknownTimeZoneIsATypedError() {
        #expect(throws: MarketCalendarError.unknownTimeZone(identifier: "Mars/Olympus_Mons")) {
            try MarketCalendar(
                sessions: [WeeklySession(startSecond: 0, endSecond: 3_600)], timeZoneIdentifier: "Mars/Olympus_Mons")
        }
        var symbol = ProtoOASymbol()
        var interval = ProtoOAInterval()
        interval.startSecond = 0
        interval.endSecond = 3_600
        symbol.schedule = [interval]
        symbol.scheduleTimeZone = "Europe/Atlantis"
        #expect(throws: MarketCalendarError.unknownTimeZone(identifier: "Europe/Atlantis")) {
            try SymbolSpecification(symbol).calendar()
        }
        symbol.scheduleTimeZone = ""
        #expect(throws: MarketCalendarError.missingTimeZone) { try MarketCalendar(symbol: symbol) }
        let holiday = MarketHoliday(id: 9, name: "x", timeZoneIdentifier: "Nowhere/Else", day: 0, isRecurring: false)
        #expect(throws: MarketCalendarError.unknownHolidayTimeZone(holidayId: 9, identifier: "Nowhere/Else")) {
            try MarketCalendar(sessions: [], timeZoneIdentifier: "UTC", holidays: [holiday])
        }
        #expect(
            MarketCalendarError.unknownTimeZone(identifier: "Mars/Olympus_Mons").description.contains("tz database"))
    }

    @Test func invalidIntervalsAndHolidaysAreTypedErrors() {
        #expect(throws: MarketCalendarError.invalidInterval(startSecond: 7_200, endSecond: 3_600)) {
            try MarketCalendar(
                sessions: [WeeklySession(startSecond: 7_200, endSecond: 3_600)], timeZoneIdentifier: "UTC")
        }
        let backwards = MarketHoliday(
            id: 4, name: "x", timeZoneIdentifier: "UTC", day: 0, isRecurring: false, startSecond: 7_200,
            endSecond: 3_600)
        #expect(throws: MarketCalendarError.invalidHoliday(holidayId: 4, startSecond: 7_200, endSecond: 3_600)) {
            try MarketCalendar(sessions: [], timeZoneIdentifier: "UTC", holidays: [backwards])
        }
    }

    @Test func aCalendarThatNeverOpensAnswersNil() throws {
        let calendar = try MarketCalendar(sessions: [], timeZoneIdentifier: "UTC", searchDays: 30)
        #expect(!calendar.isOpen(at: Self.utc("2026-12-07T00:00:00Z")))
        #expect(calendar.nextOpen(after: Self.utc("2026-12-07T00:00:00Z")) == nil)
        #expect(calendar.nextClose(after: Self.utc("2026-12-07T00:00:00Z")) == nil)
        // Always open (every second of the week): no close within the search span.
        let always = try MarketCalendar(
            sessions: [WeeklySession(startSecond: 0, endSecond: 7 * Self.day)], timeZoneIdentifier: "UTC",
            searchDays: 30)
        #expect(always.isOpen(at: Self.utc("2026-12-07T00:00:00Z")))
        #expect(always.nextClose(after: Self.utc("2026-12-07T00:00:00Z")) == nil)
        #expect(always.nextOpen(after: Self.utc("2026-12-07T00:00:00Z")) == nil)
    }
}
