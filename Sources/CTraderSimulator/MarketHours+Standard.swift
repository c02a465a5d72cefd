// swift-ctrader: the local cTrader-compatible simulator.

extension SymbolCatalogue.MarketHours {
    private static let day: UInt32 = 86_400
    private static let hour: UInt32 = 3_600

    /// A second of the week: `weekday` 0 is Sunday.
    private static func at(_ weekday: UInt32, _ hours: UInt32, _ minutes: UInt32 = 0) -> UInt32 {
        weekday * day + hours * hour + minutes * 60
    }

    /// FX: Sunday 22:00 to Friday 22:00 UTC, published as one session a day, each ending at
    /// 23:59:59 as brokers write it; closed on Christmas Day and New Year's Day (UTC).
    public static let forex = SymbolCatalogue.MarketHours(
        timeZone: "UTC",
        sessions: {
            var sessions = [Session(startSecond: at(0, 22), endSecond: at(1, 0) - 1)]
            for weekday: UInt32 in 1...4 {
                sessions.append(Session(startSecond: at(weekday, 0), endSecond: at(weekday + 1, 0) - 1))
            }
            sessions.append(Session(startSecond: at(5, 0), endSecond: at(5, 22)))
            return sessions
        }(),
        holidays: [
            Holiday(id: 101, name: "Christmas Day", timeZone: "UTC", year: 2025, month: 12, day: 25, isRecurring: true),
            Holiday(id: 102, name: "New Year's Day", timeZone: "UTC", year: 2026, month: 1, day: 1, isRecurring: true),
        ])

    /// Spot metals: Sunday 23:00 to Friday 22:00 UTC with a daily break from 22:00 to 23:00
    /// UTC; closed on Christmas Day and New Year's Day on New York's clocks.
    public static let metals = SymbolCatalogue.MarketHours(
        timeZone: "UTC",
        sessions: (UInt32(0)...4).map { Session(startSecond: at($0, 23), endSecond: at($0 + 1, 22)) },
        holidays: [
            Holiday(
                id: 201, name: "Christmas Day", timeZone: "America/New_York", year: 2025, month: 12, day: 25,
                isRecurring: true),
            Holiday(
                id: 202, name: "New Year's Day", timeZone: "America/New_York", year: 2026, month: 1, day: 1,
                isRecurring: true),
        ])

    /// A US index on New York's clocks (which change for summer time): Sunday 18:00 to Friday
    /// 17:00 with a daily break from 17:00 to 18:00. Closed on Thanksgiving, Christmas Day and
    /// New Year's Day; the day after Thanksgiving closes early, at 13:15 instead of 17:00 (a
    /// partial holiday from 13:15 to 17:00).
    public static let newYorkIndex = SymbolCatalogue.MarketHours(
        timeZone: "America/New_York",
        sessions: (UInt32(0)...4).map { Session(startSecond: at($0, 18), endSecond: at($0 + 1, 17)) },
        holidays: [
            Holiday(
                id: 301, name: "Thanksgiving Day", timeZone: "America/New_York", year: 2026, month: 11, day: 26,
                isRecurring: false),
            Holiday(
                id: 302, name: "Thanksgiving early close", timeZone: "America/New_York", year: 2026, month: 11,
                day: 27, isRecurring: false, startSecond: 13 * 3_600 + 15 * 60, endSecond: 17 * 3_600),
            Holiday(
                id: 303, name: "Thanksgiving Day", timeZone: "America/New_York", year: 2027, month: 11, day: 25,
                isRecurring: false),
            Holiday(
                id: 304, name: "Thanksgiving early close", timeZone: "America/New_York", year: 2027, month: 11,
                day: 26, isRecurring: false, startSecond: 13 * 3_600 + 15 * 60, endSecond: 17 * 3_600),
            Holiday(
                id: 305, name: "Christmas Day", timeZone: "America/New_York", year: 2025, month: 12, day: 25,
                isRecurring: true),
            Holiday(
                id: 306, name: "New Year's Day", timeZone: "America/New_York", year: 2026, month: 1, day: 1,
                isRecurring: true),
        ])

    /// A UK index on London's clocks (which change for summer time): Monday to Friday, 01:00 to
    /// 21:00. Closed on Christmas Day, Boxing Day and New Year's Day; Christmas Eve closes at
    /// 12:30 (a partial holiday to 23:59:59).
    public static let londonIndex = SymbolCatalogue.MarketHours(
        timeZone: "Europe/London",
        sessions: (UInt32(1)...5).map { Session(startSecond: at($0, 1), endSecond: at($0, 21)) },
        holidays: [
            Holiday(
                id: 401, name: "Christmas Eve", timeZone: "Europe/London", year: 2025, month: 12, day: 24,
                isRecurring: true, startSecond: 12 * 3_600 + 30 * 60, endSecond: 86_399),
            Holiday(
                id: 402, name: "Christmas Day", timeZone: "Europe/London", year: 2025, month: 12, day: 25,
                isRecurring: true),
            Holiday(
                id: 403, name: "Boxing Day", timeZone: "Europe/London", year: 2025, month: 12, day: 26,
                isRecurring: true),
            Holiday(
                id: 404, name: "New Year's Day", timeZone: "Europe/London", year: 2026, month: 1, day: 1,
                isRecurring: true),
        ])

    /// A German index on Berlin's clocks: Monday to Friday, 01:15 to 22:00; closed from Christmas
    /// Eve to Boxing Day and on New Year's Day.
    public static let frankfurtIndex = SymbolCatalogue.MarketHours(
        timeZone: "Europe/Berlin",
        sessions: (UInt32(1)...5).map { Session(startSecond: at($0, 1, 15), endSecond: at($0, 22)) },
        holidays: [
            Holiday(
                id: 501, name: "Christmas Eve", timeZone: "Europe/Berlin", year: 2025, month: 12, day: 24,
                isRecurring: true),
            Holiday(
                id: 502, name: "Christmas Day", timeZone: "Europe/Berlin", year: 2025, month: 12, day: 25,
                isRecurring: true),
            Holiday(
                id: 503, name: "Boxing Day", timeZone: "Europe/Berlin", year: 2025, month: 12, day: 26,
                isRecurring: true),
            Holiday(
                id: 504, name: "New Year's Day", timeZone: "Europe/Berlin", year: 2026, month: 1, day: 1,
                isRecurring: true),
        ])

    /// A Japanese index on Tokyo's clocks: Monday 08:00 to Saturday 06:00 with a daily break from
    /// 06:00 to 08:00; closed on New Year's Day.
    public static let tokyoIndex = SymbolCatalogue.MarketHours(
        timeZone: "Asia/Tokyo",
        sessions: (UInt32(1)...5).map { Session(startSecond: at($0, 8), endSecond: at($0 + 1, 6)) },
        holidays: [
            Holiday(
                id: 601, name: "New Year's Day", timeZone: "Asia/Tokyo", year: 2026, month: 1, day: 1,
                isRecurring: true)
        ])

    /// The hours of a symbol of ``SymbolCatalogue/standard``, by name: FX pairs ``forex``, XAU
    /// and XAG ``metals``, US500 ``newYorkIndex``, UK100 ``londonIndex``, DE40
    /// ``frankfurtIndex``, JP225 ``tokyoIndex``, crypto ``roundTheClock``.
    public static func standard(forSymbolNamed name: String) -> SymbolCatalogue.MarketHours {
        switch name {
        case "XAUUSD", "XAGUSD": metals
        case "US500": newYorkIndex
        case "UK100": londonIndex
        case "DE40": frankfurtIndex
        case "JP225": tokyoIndex
        case "BTCUSD", "ETHUSD": roundTheClock
        default: forex
        }
    }
}
