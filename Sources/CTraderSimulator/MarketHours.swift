// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging
import Foundation
import _CTraderLocking

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
            let seconds = Self.floorDivide(now, 1_000)
            guard let clock = Self.wallClock(seconds, in: timeZone) else { return false }
            let secondOfWeek = clock.weekday * 86_400 + clock.secondOfDay
            let inSession = sessions.contains { session in
                Int64(session.startSecond) <= secondOfWeek
                    && secondOfWeek < Self.endOfDayAdjusted(Int64(session.endSecond))
            }
            guard inSession else { return false }
            return !holidays.contains { holiday in
                guard let local = holiday.timeZone == timeZone ? clock : Self.wallClock(seconds, in: holiday.timeZone),
                    local.month == holiday.month, local.day == holiday.day,
                    holiday.isRecurring || local.year == holiday.year
                else { return false }
                var end = Self.endOfDayAdjusted(Int64(holiday.endSecond))
                if holiday.startSecond == 0 && holiday.endSecond == 0 { end = 86_400 }
                return Int64(holiday.startSecond) <= local.secondOfDay && local.secondOfDay < end
            }
        }

        static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

        /// The zones by identifier, each looked up in the tz database once (`nil`: unknown).
        private static let zones = Locked<[String: TimeZone?]>([:])

        private static func zone(_ identifier: String) -> TimeZone? {
            zones.withLock { zones in
                if let known = zones[identifier] { return known }
                let zone = TimeZone(identifier: identifier)
                zones[identifier] = zone
                return zone
            }
        }

        /// What a wall clock in the zone `identifier` shows at `unix` seconds: the civil date, the
        /// weekday (0 = Sunday) and the seconds since midnight; `nil` for an unknown zone.
        private static func wallClock(
            _ unix: Int64, in identifier: String
        ) -> (year: Int, month: Int, day: Int, weekday: Int64, secondOfDay: Int64)? {
            guard let zone = zone(identifier) else { return nil }
            let local = unix + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(unix))))
            let days = floorDivide(local, 86_400)
            let secondOfDay = local - days * 86_400
            // 1970-01-01 was a Thursday (weekday 4).
            let weekday = ((days + 4) % 7 + 7) % 7
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = utc
            let date = calendar.dateComponents(
                [.year, .month, .day], from: Date(timeIntervalSince1970: Double(days * 86_400)))
            return (date.year ?? 0, date.month ?? 0, date.day ?? 0, weekday, secondOfDay)
        }

        /// A second written as the last of its day (…86 399) is the end of that day.
        private static func endOfDayAdjusted(_ second: Int64) -> Int64 {
            second % 86_400 == 86_399 ? second + 1 : second
        }

        private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
            let q = a / b
            return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
        }
    }
}
