// swift-ctrader: `ctrader hours`, run as a separate process against its embedded simulator.

import Foundation
import Testing

/// Every expected instant is worked out by hand from the simulator's published hours (US500:
/// New York, Sunday 18:00 to Friday 17:00 with a break 17:00–18:00, Thanksgiving 26 Nov 2026
/// closed, 27 Nov closing early at 13:15; EURUSD: UTC, Sunday 22:00 to Friday 22:00, Christmas
/// Day closed) and the 2026 clock changes (New York: EDT from 8 Mar, EST from 1 Nov). The
/// instants are given with `--at`, so the answers do not depend on when the tests run.
@Suite("ctrader hours", .timeLimit(.minutes(5)))
struct HoursCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func duringAPartialHolidayTheMarketIsClosedUntilSunday() throws {
        // Friday 27 Nov 2026, 19:00 UTC = 14:00 EST: inside the early close (13:15–17:00 EST),
        // and the week's session ends at 17:00 anyway.
        let run = try CTraderBinary.run(["hours", "US500", "--at", "2026-11-27T19:00:00Z", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try json(run.stdout)
        #expect(object["symbol"] as? String == "US500")
        #expect(object["timeZone"] as? String == "America/New_York")
        #expect(object["open"] as? Bool == false)
        // Sunday 29 Nov 18:00 EST = 23:00 UTC; it closes on Monday 30 Nov at 17:00 EST = 22:00 UTC.
        #expect(object["nextOpen"] as? String == "2026-11-29T23:00:00.000Z")
        #expect(object["nextClose"] as? String == "2026-11-30T22:00:00.000Z")
        // The week from Sunday 22 Nov 00:00 EST: four evening-to-afternoon sessions, Wednesday's
        // cut at Thanksgiving's midnight (05:00 UTC), then Friday from midnight to the early close.
        let sessions = try #require(object["sessions"] as? [[String: String]])
        #expect(
            sessions == [
                ["start": "2026-11-22T23:00:00.000Z", "end": "2026-11-23T22:00:00.000Z"],
                ["start": "2026-11-23T23:00:00.000Z", "end": "2026-11-24T22:00:00.000Z"],
                ["start": "2026-11-24T23:00:00.000Z", "end": "2026-11-25T22:00:00.000Z"],
                ["start": "2026-11-25T23:00:00.000Z", "end": "2026-11-26T05:00:00.000Z"],
                ["start": "2026-11-27T05:00:00.000Z", "end": "2026-11-27T18:15:00.000Z"],
            ])
        // Within 60 days: the early close in progress, Christmas and New Year's Day (New York's midnights).
        let holidays = try #require(object["holidays"] as? [[String: Any]])
        #expect(
            holidays.compactMap { $0["name"] as? String } == [
                "Thanksgiving early close", "Christmas Day", "New Year's Day",
            ])
        #expect(
            holidays.compactMap { $0["start"] as? String } == [
                "2026-11-27T18:15:00.000Z", "2026-12-25T05:00:00.000Z", "2027-01-01T05:00:00.000Z",
            ])
        #expect(holidays.first?["end"] as? String == "2026-11-27T22:00:00.000Z")
    }

    @Test func theDayBeforeChristmasFXClosesAtMidnightAndReopensOnSunday() throws {
        // Thursday 24 Dec 2026, 12:00 UTC: open; Christmas Day (Friday) closes at 00:00 UTC, then
        // the weekend, and the market opens on Sunday 27 Dec at 22:00 UTC.
        let run = try CTraderBinary.run(["hours", "EURUSD", "--at", "2026-12-24T12:00:00Z", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try json(run.stdout)
        #expect(object["open"] as? Bool == true)
        #expect(object["nextClose"] as? String == "2026-12-25T00:00:00.000Z")
        #expect(object["nextOpen"] as? String == "2026-12-27T22:00:00.000Z")
        #expect(object["at"] as? String == "2026-12-24T12:00:00.000Z")
    }

    @Test func theSundayOfTheSpringChangeOpensAnHourEarlierInUTC() throws {
        // Sunday 8 Mar 2026, 21:30 UTC = 17:30 EDT (New York changed at 07:00 UTC that day):
        // closed; it opens at 18:00 EDT = 22:00 UTC, not 23:00 as a week before.
        let run = try CTraderBinary.run(["hours", "US500", "--at", "2026-03-08T21:30:00Z", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try json(run.stdout)
        #expect(object["open"] as? Bool == false)
        #expect(object["nextOpen"] as? String == "2026-03-08T22:00:00.000Z")
        #expect(object["nextClose"] as? String == "2026-03-09T21:00:00.000Z")
        let sessions = try #require(object["sessions"] as? [[String: String]])
        #expect(sessions.count == 5)
        #expect(sessions.first?["start"] == "2026-03-08T22:00:00.000Z")
        #expect(sessions.last?["end"] == "2026-03-13T21:00:00.000Z")
    }

    @Test func linesForPeople() throws {
        let run = try CTraderBinary.run(["hours", "US500", "--at", "2026-11-27T19:00:00Z"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("US500: closed at Fri 2026-11-27 14:00 EST"))
        #expect(run.stdout.contains("next open:  Sun 2026-11-29 18:00 EST"))
        #expect(run.stdout.contains("Thanksgiving early close: Fri 2026-11-27 13:15 EST → Fri 2026-11-27 17:00 EST"))
        let unknown = try CTraderBinary.run(["hours", "NOPE"])
        #expect(unknown.status == 1)
    }
}
