import ArgumentParser
import CTraderMessaging
import Foundation

/// Number and date formatting.
enum Format {
    static func price(relative: Int64, digits: Int) -> String {
        String(format: "%.\(digits)f", Double(relative) / Double(CTraderUnits.relativePriceScale))
    }

    static func priceNumber(relative: Int64, digits: Int) -> NSDecimalNumber {
        NSDecimalNumber(string: price(relative: relative, digits: digits))
    }

    static func money(_ amount: Int64, moneyDigits: UInt32) -> String {
        String(format: "%.\(moneyDigits)f", Double(amount) / pow(10, Double(moneyDigits)))
    }

    static func moneyNumber(_ amount: Int64, moneyDigits: UInt32) -> NSDecimalNumber {
        NSDecimalNumber(decimal: CTraderUnits.money(amount, moneyDigits: Int(moneyDigits)))
    }

    static func decimal(_ value: Decimal) -> String { "\(value)" }

    nonisolated(unsafe) static let iso: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    static func date(milliseconds: Int64) -> String {
        iso.string(from: CTraderUnits.date(milliseconds: milliseconds))
    }

    /// Parses `2026-11-20T00:00:00Z`, with fractional seconds, or `2026-11-20` (UTC midnight).
    static func parseDate(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        return day.date(from: text)
    }
}

/// A date argument: ISO 8601.
struct DateArgument: ExpressibleByArgument, Sendable {
    var date: Date
    init?(argument: String) {
        guard let date = Format.parseDate(argument) else { return nil }
        self.date = date
    }
    static var defaultCompletionKind: CompletionKind { .default }
    var milliseconds: Int64 { CTraderUnits.milliseconds(date) }
}

/// Writes results: tables for people, JSON for programs.
struct Output: Sendable {
    let json: Bool
    /// `--verbose`: progress lines on standard error.
    var verbose = false
    let terminal = Terminal.current

    /// Prints one JSON value on one line.
    func emit(_ value: Any) {
        terminal.line(Self.encode(value))
    }

    static func encode(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(
                withJSONObject: value,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    func table(_ table: TextTable) {
        for line in table.render(terminal) { terminal.line(line) }
    }
}
