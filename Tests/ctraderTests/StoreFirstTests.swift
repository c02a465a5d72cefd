// swift-ctrader: `ctrader bars` and `ctrader ticks` read the history store first; the
// simulator's request counts show what was fetched.

import CTrader
import CTraderSimulator
import Foundation
import Testing

@Suite("store-first bars and ticks", .timeLimit(.minutes(5)))
struct StoreFirstTests {
    /// A store path in a fresh temporary folder (not created), and the folder to remove.
    func withStorePath(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ctrader-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder.appendingPathComponent("history.sqlite").path)
    }

    func run(_ fixture: SimulatorFixture, _ arguments: [String]) async throws -> [String: Any] {
        let result = try await CTraderBinary.runAsync(arguments + fixture.options + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// The `fromTimestamp` and `toTimestamp` of each request of `payloadType` a tape holds.
    func requestedSpans(_ tape: String, payloadType: Int) throws -> [[Int64]] {
        try tapeLines(tape).compactMap { line -> [Int64]? in
            guard line["direction"] as? String == "sent", let envelope = line["envelope"] as? [String: Any],
                envelope["payloadType"] as? Int == payloadType, let payload = envelope["payload"] as? [String: Any]
            else { return nil }
            func number(_ key: String) -> Int64? {
                (payload[key] as? NSNumber)?.int64Value ?? (payload[key] as? String).flatMap { Int64($0) }
            }
            return [number("fromTimestamp") ?? -1, number("toTimestamp") ?? -1]
        }
    }

    @Test func barsTwiceSendNoTrendbarRequestTheSecondTimeAndNoStoreSendsThemAgain() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        try await withStorePath { db in
            let bars = ["bars", "EURUSD", "--period", "M1", "--from", "2026-11-02", "--to", "2026-11-06"]
            let first = try await run(fixture, bars + ["--db", db])
            let afterFirst = await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq)
            // Four days of M1 within 3.5-day requests of at most 4,000 bars: more than one request.
            #expect(afterFirst >= 2)
            let firstBars = try #require(first["bars"] as? [[String: Any]])
            #expect(firstBars.count == 4 * 1440)
            #expect(FileManager.default.fileExists(atPath: db))

            let second = try await run(fixture, bars + ["--db", db])
            #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq) == afterFirst)
            #expect(NSDictionary(dictionary: second).isEqual(to: first))

            // --no-store fetches again and creates no file, even where --db points.
            let unstored = db + ".unused"
            let third = try await run(fixture, bars + ["--no-store", "--db", unstored])
            #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq) == 2 * afterFirst)
            #expect(!FileManager.default.fileExists(atPath: unstored))
            #expect(NSDictionary(dictionary: third).isEqual(to: first))
        }
    }

    @Test func aPartlyCoveredRangeFetchesOnlyTheGap() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        try await withStorePath { db in
            let tape = temporaryPath("store-gap")
            defer { try? FileManager.default.removeItem(atPath: tape) }
            _ = try await run(
                fixture, ["bars", "EURUSD", "--period", "M5", "--from", "2026-11-03", "--to", "2026-11-04", "--db", db])
            let before = await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq)
            #expect(before == 1)
            let wider = try await run(
                fixture,
                [
                    "bars", "EURUSD", "--period", "M5", "--from", "2026-11-02", "--to", "2026-11-05", "--db", db,
                    "--record", tape,
                ])
            #expect(try #require(wider["bars"] as? [[String: Any]]).count == 3 * 288)
            // The two uncovered days, one request each: 2026-11-02 and 2026-11-04.
            #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq) == before + 2)
            let day: Int64 = 86_400_000
            let november2: Int64 = 1_793_577_600_000
            #expect(
                try requestedSpans(tape, payloadType: 2137) == [
                    [november2, november2 + day], [november2 + 2 * day, november2 + 3 * day],
                ])
        }
    }

    @Test func ticksTwiceSendNoTickRequestTheSecondTimeAndNoStoreSendsThemAgain() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        try await withStorePath { db in
            let ticks = ["ticks", "EURUSD", "--from", "2026-11-03T10:00:00Z", "--to", "2026-11-03T10:10:00Z"]
            let first = try await run(fixture, ticks + ["--db", db])
            let afterFirst = await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTickdataReq)
            #expect(afterFirst == 2)  // one per side
            let list = try #require(first["ticks"] as? [[String: Any]])
            #expect(!list.isEmpty && Set(list.compactMap { $0["side"] as? String }) == ["bid", "ask"])

            let second = try await run(fixture, ticks + ["--db", db])
            #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTickdataReq) == afterFirst)
            #expect(NSDictionary(dictionary: second).isEqual(to: first))

            let unstored = db + ".unused"
            let third = try await run(fixture, ticks + ["--no-store", "--db", unstored])
            #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTickdataReq) == 2 * afterFirst)
            #expect(!FileManager.default.fileExists(atPath: unstored))
            #expect(NSDictionary(dictionary: third).isEqual(to: first))
        }
    }
}
