// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging
import Foundation

extension SymbolCatalogue {
    /// When a simulated symbol trades: the weekly sessions and the holidays it publishes in
    /// `ProtoOASymbol` (`schedule`, `scheduleTimeZone`, `holiday`), and what the simulator
    /// enforces when ``SimulatorEngine/Configuration/marketHours`` is
    /// ``SimulatorEngine/MarketHoursMode/enforced``.
    ///
    /// The server's reading, which ``isOpen(atMilliseconds:)`` implements: at an instant, look at
    /// the wall clock of ``timeZone`` (weekday, hour, minute, second) and count the seconds since
    /// that week's Sunday 00:00; the symbol trades when that count falls in a session (start
    /// inclusive, end exclusive) and no holiday covers the instant. A holiday is read on the wall
    /// clock of its own time zone, on its date (every year on the same month and day when it
    /// recurs), from its start second to its end second of that day. An end written as the last
    /// second of a day (…86 399, "23:59:59", as brokers write it) means the end of that day, so
    /// no one-second gap opens before the next session.
    public struct MarketHours: Sendable, Hashable {
        /// One weekly session, in wall-clock seconds from Sunday 00:00 of ``MarketHours/timeZone``.
        public struct Session: Sendable, Hashable {
            /// The first second of the session (0 ..< 604 800).
            public var startSecond: UInt32
            /// The second after the session (…86 399 means the end of that day).
            public var endSecond: UInt32

            /// Makes a session.
            public init(startSecond: UInt32, endSecond: UInt32) {
                self.startSecond = startSecond
                self.endSecond = endSecond
            }
        }

        /// A date, or part of one, on which the symbol does not trade.
        public struct Holiday: Sendable, Hashable {
            /// The `holidayId`.
            public var id: Int64
            /// The name, e.g. "Christmas Day".
            public var name: String
            /// The time zone whose wall clock the holiday is read on (a tz database identifier).
            public var timeZone: String
            /// The year of the date (of its first occurrence when it recurs).
            public var year: Int
            /// The month of the date, 1–12.
            public var month: Int
            /// The day of the month.
            public var day: Int
            /// Whether it comes back every year on the same month and day.
            public var isRecurring: Bool
            /// The second of the day at which it starts closing the market (0 for the whole day).
            public var startSecond: Int32
            /// The second of the day at which the market opens again (86 399, "23:59:59", for the
            /// rest of the day).
            public var endSecond: Int32

            /// Makes a holiday; by default the whole day, written 00:00:00–23:59:59.
            public init(
                id: Int64, name: String, timeZone: String, year: Int, month: Int, day: Int, isRecurring: Bool,
                startSecond: Int32 = 0, endSecond: Int32 = 86_399
            ) {
                self.id = id
                self.name = name
                self.timeZone = timeZone
                self.year = year
                self.month = month
                self.day = day
                self.isRecurring = isRecurring
                self.startSecond = startSecond
                self.endSecond = endSecond
            }

            /// Days from 1970-01-01 to the date (the protocol's `holidayDate`).
            public var daysSince1970: Int64 {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = MarketHours.utc
                let date =
                    calendar.date(from: DateComponents(year: year, month: month, day: day))
                    ?? Date(timeIntervalSince1970: 0)
                return Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
            }

            /// The holiday as `ProtoOAHoliday`.
            public var proto: ProtoOAHoliday {
                var holiday = ProtoOAHoliday()
                holiday.holidayID = id
                holiday.name = name
                holiday.description_p = name
                holiday.scheduleTimeZone = timeZone
                holiday.holidayDate = daysSince1970
                holiday.isRecurring = isRecurring
                holiday.startSecond = startSecond
                holiday.endSecond = endSecond
                return holiday
            }
        }

        /// The `scheduleTimeZone` (a tz database identifier).
        public var timeZone: String
        /// The weekly sessions.
        public var sessions: [Session]
        /// The holidays.
        public var holidays: [Holiday]

        /// Makes trading hours.
        public init(timeZone: String, sessions: [Session], holidays: [Holiday] = []) {
            self.timeZone = timeZone
            self.sessions = sessions
            self.holidays = holidays
        }

        /// Open at every instant: one session of the whole week in UTC, no holiday.
        public static let roundTheClock = MarketHours(
            timeZone: "UTC", sessions: [Session(startSecond: 0, endSecond: 7 * 86_400)])

        /// The sessions as `ProtoOAInterval`s.
        public var intervals: [ProtoOAInterval] {
            sessions.map { session in
                var interval = ProtoOAInterval()
                interval.startSecond = session.startSecond
                interval.endSecond = session.endSecond
                return interval
            }
        }

        /// Whether the symbol trades at `now` (Unix milliseconds). An unknown time zone (of the
        /// schedule) closes the market; a holiday in an unknown zone is ignored.
        public func isOpen(atMilliseconds now: Int64) -> Bool {
            let instant = Date(timeIntervalSince1970: Double(Self.floorDivide(now, 1_000)))
            guard let zone = TimeZone(identifier: timeZone) else { return false }
            let clock = Self.wallClock(instant, in: zone)
            let secondOfWeek = (clock.weekday - 1) * 86_400 + clock.secondOfDay
            let inSession = sessions.contains { session in
                Int(session.startSecond) <= secondOfWeek && secondOfWeek < Self.endOfDayAdjusted(Int(session.endSecond))
            }
            guard inSession else { return false }
            return !holidays.contains { holiday in
                guard let holidayZone = TimeZone(identifier: holiday.timeZone) else { return false }
                let local = Self.wallClock(instant, in: holidayZone)
                guard local.month == holiday.month, local.day == holiday.day,
                    holiday.isRecurring || local.year == holiday.year
                else { return false }
                var end = Self.endOfDayAdjusted(Int(holiday.endSecond))
                if holiday.startSecond == 0 && holiday.endSecond == 0 { end = 86_400 }
                return Int(holiday.startSecond) <= local.secondOfDay && local.secondOfDay < end
            }
        }

        static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

        /// What a wall clock in `zone` shows at `instant`: the date, the weekday (1 = Sunday) and
        /// the seconds since midnight.
        private static func wallClock(
            _ instant: Date, in zone: TimeZone
        ) -> (year: Int, month: Int, day: Int, weekday: Int, secondOfDay: Int) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let parts = calendar.dateComponents(
                [.year, .month, .day, .weekday, .hour, .minute, .second], from: instant)
            let second = (parts.hour ?? 0) * 3_600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)
            return (parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.weekday ?? 1, second)
        }

        /// A second written as the last of its day (…86 399) is the end of that day.
        private static func endOfDayAdjusted(_ second: Int) -> Int {
            second % 86_400 == 86_399 ? second + 1 : second
        }

        private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
            let q = a / b
            return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
        }
    }
}
