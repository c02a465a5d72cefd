import ArgumentParser
import CTraderMessaging
import CTraderToolkit
import Foundation

/// `ctrader hours SYMBOL [--at TIME]`
struct HoursCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hours",
        abstract: "Whether a symbol trades at an instant, its next open and close, the week's sessions and the "
            + "coming holidays.",
        discussion: """
            Read from the symbol's published schedule, scheduleTimeZone and holidays (the toolkit's \
            MarketCalendar), so it answers for any instant without trading. The week is the one holding the \
            instant, from Sunday 00:00 on the schedule's clocks. With --json: one object with open (a boolean), \
            nextOpen and nextClose (ISO 8601, null when not within about a year), sessions and holidays. \
            Example: ctrader hours US500 --at 2026-11-27T19:00:00Z
            """
    )
    @Argument(help: "A symbol name or id, e.g. EURUSD.") var symbol: String
    @Option(help: "The instant, ISO 8601 (e.g. 2026-11-27T19:00:00Z or 2026-11-27); default now.") var at: DateArgument?
    @Option(help: "List the holidays that close the market within this many days of the instant.") var holidayDays:
        Int = 60
    @OptionGroup var options: ConnectionOptions

    func validate() throws {
        if !(1...1_000).contains(holidayDays) { throw ValidationError("--holiday-days must be 1…1000") }
    }

    func run() async throws {
        let name = symbol
        let instant = at?.date ?? Date()
        let holidayDays = holidayDays
        try await Session.run(options) { session in
            guard let info = try await session.resolve([name]).first, let detail = info.detail else {
                throw CLIError.runtime("no details for symbol '\(name)'")
            }
            let calendar: MarketCalendar
            do {
                calendar = try MarketCalendar(symbol: detail)
            } catch {
                throw CLIError.runtime("\(info.name): cannot read its hours: \(error)")
            }
            let report = HoursReport(
                calendar: calendar, at: instant, holidayHorizon: TimeInterval(holidayDays) * 86_400)
            if session.output.json {
                session.output.emit(report.json(symbol: info.name, symbolId: info.id))
            } else {
                for line in report.lines(symbol: info.name) { session.output.terminal.line(line) }
            }
        }
    }
}

/// What `ctrader hours` reports, computed from a ``MarketCalendar`` at one instant.
struct HoursReport {
    let calendar: MarketCalendar
    let at: Date
    let open: Bool
    let nextOpen: Date?
    let nextClose: Date?
    /// The open periods of the week holding `at` (Sunday 00:00 to Sunday 00:00 on the schedule's clocks).
    let sessions: [DateInterval]
    let holidays: [HolidayClosure]

    init(calendar: MarketCalendar, at: Date, holidayHorizon: TimeInterval) {
        self.calendar = calendar
        self.at = at
        open = calendar.isOpen(at: at)
        nextOpen = calendar.nextOpen(after: at)
        nextClose = calendar.nextClose(after: at)
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = calendar.timeZone
        gregorian.firstWeekday = 1  // Sunday, like the protocol's schedule
        if let week = gregorian.dateInterval(of: .weekOfYear, for: at) {
            sessions = calendar.openPeriods(from: week.start, to: week.end)
        } else {
            sessions = []
        }
        holidays = calendar.holidayClosures(from: at, to: at.addingTimeInterval(holidayHorizon))
    }

    func json(symbol: String, symbolId: Int64) -> [String: Any] {
        [
            "symbol": symbol, "symbolId": symbolId, "at": Format.iso.string(from: at),
            "timeZone": calendar.timeZone.identifier, "open": open,
            "nextOpen": nextOpen.map { Format.iso.string(from: $0) } ?? NSNull(),
            "nextClose": nextClose.map { Format.iso.string(from: $0) } ?? NSNull(),
            "sessions": sessions.map {
                ["start": Format.iso.string(from: $0.start), "end": Format.iso.string(from: $0.end)]
            },
            "holidays": holidays.map { closure -> [String: Any] in
                [
                    "id": closure.holiday.id, "name": closure.holiday.name,
                    "timeZone": closure.holiday.timeZoneIdentifier.isEmpty
                        ? calendar.timeZone.identifier : closure.holiday.timeZoneIdentifier,
                    "start": Format.iso.string(from: closure.interval.start),
                    "end": Format.iso.string(from: closure.interval.end),
                ]
            },
        ]
    }

    /// Lines for people: times on the schedule's clocks, with the zone's abbreviation.
    func lines(symbol: String) -> [String] {
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = calendar.timeZone
        local.dateFormat = "EEE yyyy-MM-dd HH:mm zzz"
        func both(_ date: Date?) -> String {
            guard let date else { return "not within \(calendar.searchDays) days" }
            return "\(local.string(from: date))  (\(Format.iso.string(from: date)))"
        }
        var lines = [
            "\(symbol): \(open ? "open" : "closed") at \(both(at))",
            "next open:  \(both(nextOpen))",
            "next close: \(both(nextClose))",
            "sessions of the week (\(calendar.timeZone.identifier)):",
        ]
        lines +=
            sessions.isEmpty
            ? ["  none"] : sessions.map { "  \(local.string(from: $0.start)) → \(local.string(from: $0.end))" }
        lines.append("coming holidays:")
        lines +=
            holidays.isEmpty
            ? ["  none"]
            : holidays.map {
                "  \($0.holiday.name): \(local.string(from: $0.interval.start)) → \(local.string(from: $0.interval.end))"
            }
        return lines
    }
}
