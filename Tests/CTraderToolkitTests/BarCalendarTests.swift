// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Testing

@Suite(.timeLimit(.minutes(3))) struct BarCalendarTests {
    // Hand-computed UTC instants (Unix ms).
    static let monday20261130: Int64 = 1_795_996_800_000
    static let sunday20261206: Int64 = 1_796_515_200_000
    static let monday20261207: Int64 = 1_796_601_600_000
    static let hour: Int64 = 3_600_000

    /// Weeks start on Monday 00:00 UTC by default: Sunday 23:59:59.999 is still the week of
    /// Monday November 30, and Monday December 7 00:00 starts the next one.
    @Test func weeksStartOnMondayByDefault() {
        let calendar = BarCalendar()
        #expect(calendar.start(of: .w1, containing: Self.monday20261207 - 1) == Self.monday20261130)
        #expect(calendar.start(of: .w1, containing: Self.monday20261207) == Self.monday20261207)
        #expect(calendar.end(of: .w1, startingAt: Self.monday20261130) == Self.monday20261207)
        // 1970-01-01 was a Thursday: its week started on Monday 1969-12-29.
        #expect(calendar.start(of: .w1, containing: 0) == -3 * 24 * Self.hour)
    }

    @Test func weeksCanStartOnSunday() {
        let calendar = BarCalendar(weekStart: .sunday)
        #expect(
            calendar.start(of: .w1, containing: Self.sunday20261206 - 1) == Self.sunday20261206 - 7 * 24 * Self.hour)
        #expect(calendar.start(of: .w1, containing: Self.monday20261207 + 5 * Self.hour) == Self.sunday20261206)
    }

    /// Months start on the 1st at 00:00 UTC and have their own lengths (leap February: 29 days).
    @Test func monthsStartOnTheFirst() {
        let calendar = BarCalendar()
        let february2024: Int64 = 1_706_745_600_000
        let leapDayNoon: Int64 = 1_709_208_000_000
        let march2024: Int64 = 1_709_251_200_000
        #expect(calendar.start(of: .mn1, containing: leapDayNoon) == february2024)
        #expect(calendar.end(of: .mn1, startingAt: february2024) == march2024)
        #expect(calendar.start(of: .mn1, containing: march2024) == march2024)
        let december2026: Int64 = 1_796_083_200_000
        let january2027: Int64 = 1_798_761_600_000
        #expect(calendar.start(of: .mn1, containing: january2027 - 1) == december2026)
        #expect(calendar.end(of: .mn1, startingAt: december2026) == january2027)
    }

    @Test func fixedPeriodsCountFromTheEpoch() {
        let calendar = BarCalendar()
        let fiveAM = Self.monday20261207 + 5 * Self.hour
        #expect(calendar.start(of: .h4, containing: fiveAM) == Self.monday20261207 + 4 * Self.hour)
        #expect(calendar.start(of: .h12, containing: fiveAM) == Self.monday20261207)
        #expect(calendar.start(of: .d1, containing: fiveAM) == Self.monday20261207)
        #expect(calendar.start(of: .m5, containing: fiveAM + 299_999) == fiveAM)
        #expect(calendar.end(of: .m5, startingAt: fiveAM) == fiveAM + 300_000)
        #expect(calendar.start(of: .m1, containing: -1) == -60_000)
    }
}
