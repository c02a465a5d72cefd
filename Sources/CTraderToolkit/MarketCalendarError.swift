// swift-ctrader: the trader's toolkit.

/// Why a ``MarketCalendar`` cannot be built from a symbol's schedule and holidays; each case names
/// the rule that was broken.
public enum MarketCalendarError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The schedule's `scheduleTimeZone` is not a time zone of the tz database.
    case unknownTimeZone(identifier: String)
    /// The symbol has trading intervals but no `scheduleTimeZone` to read them in.
    case missingTimeZone
    /// A holiday's `scheduleTimeZone` is not a time zone of the tz database.
    case unknownHolidayTimeZone(holidayId: Int64, identifier: String)
    /// A weekly interval does not start within the week (0 ..< 604 800 seconds), does not end
    /// after it starts, or lasts longer than a week.
    case invalidInterval(startSecond: Int64, endSecond: Int64)
    /// A holiday ends before it starts, or starts outside its day.
    case invalidHoliday(holidayId: Int64, startSecond: Int64, endSecond: Int64)

    /// The broken rule, in words.
    public var description: String {
        switch self {
        case .unknownTimeZone(let identifier):
            "the schedule's time zone \"\(identifier)\" is not in the tz database"
        case .missingTimeZone:
            "the symbol has a trading schedule but no scheduleTimeZone"
        case .unknownHolidayTimeZone(let holidayId, let identifier):
            "holiday \(holidayId): the time zone \"\(identifier)\" is not in the tz database"
        case .invalidInterval(let start, let end):
            "the interval \(start)..<\(end) must start within the week (0..<604800 s), "
                + "end after its start and last at most a week"
        case .invalidHoliday(let holidayId, let start, let end):
            "holiday \(holidayId): \(start)..<\(end) must start within its day and end after its start"
        }
    }
}
