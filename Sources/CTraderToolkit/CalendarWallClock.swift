// swift-ctrader: the trader's toolkit.

internal import Foundation

/// Local wall-clock arithmetic in one time zone, on integers.
///
/// A wall time is counted in "local seconds": the seconds since 1970-01-01 00:00 as the clocks of
/// the zone show them, so a day is always 86 400 local seconds, even on the day the clocks change.
/// Only the conversions to and from instants consult the zone's rules (tzdata, through
/// Foundation's `TimeZone`).
struct CalendarWallClock: Sendable {
    /// Seconds in a civil day of the wall clock.
    static let secondsPerDay: Int64 = 86_400
    /// Seconds in a week of the wall clock.
    static let secondsPerWeek: Int64 = 7 * 86_400

    let timeZone: TimeZone

    /// The offset from UTC, in seconds, that the zone applies at an instant (Unix seconds).
    func offset(atUnix unix: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(unix))))
    }

    /// The wall time the zone's clocks show at an instant.
    func local(fromUnix unix: Int64) -> Int64 {
        unix + offset(atUnix: unix)
    }

    /// The instant at which the zone's clocks show `local`.
    ///
    /// A wall time that happens twice (the hour repeated when clocks go back) gives the earlier
    /// instant. A wall time that never happens (the hour skipped when clocks go forward) is read
    /// with the offset in force before the change, which lands as far after the change as the
    /// time was after its start: 01:30 on the day London skips 01:00–02:00 is 02:30 BST.
    func unix(fromLocal local: Int64) -> Int64 {
        // Every change of offset is at least a few days from the previous one, so the offsets a
        // day before and a day after are the only candidates.
        let before = offset(atUnix: local - Self.secondsPerDay)
        let after = offset(atUnix: local + Self.secondsPerDay)
        var matches: [Int64] = []
        for candidate in [before, after] where offset(atUnix: local - candidate) == candidate {
            matches.append(local - candidate)
        }
        if let earliest = matches.min() { return earliest }
        return local - before
    }

    /// The day number (days since 1970-01-01) of a wall time.
    static func day(ofLocal local: Int64) -> Int64 {
        floorDivide(local, secondsPerDay)
    }

    /// The wall time of the Sunday 00:00 that starts the week holding `local`.
    static func weekStart(ofLocal local: Int64) -> Int64 {
        let day = day(ofLocal: local)
        // 1970-01-01 was a Thursday: day 0 is weekday 4 when Sunday is 0.
        let weekday = floorModulo(day + 4, 7)
        return (day - weekday) * secondsPerDay
    }

    /// The day number of a civil date, in the proleptic Gregorian calendar; `nil` when the date
    /// does not exist (February 30, month 13).
    static func dayNumber(year: Int, month: Int, day: Int) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else {
            return nil
        }
        // Howard Hinnant's days_from_civil.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day number, in the proleptic Gregorian calendar.
    static func civilDate(ofDay dayNumber: Int64) -> (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDivide(a, b) * b
    }
}
