// swift-ctrader: `ctrader history sync` and `ctrader history ls`, run as separate processes.

import CTrader
import CTraderHistory
import Foundation
import Testing

@Suite("ctrader history", .timeLimit(.minutes(5)))
struct HistoryCommandTests {
    /// A temporary folder for a store, removed after `body`.
    func withFolder(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctrader-history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder.appendingPathComponent("history.sqlite").path)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aSecondSyncOfTheSameRangeSendsNoRequestAndLsListsTheCoverage() async throws {
        try await withFolder { db in
            let sync = ["history", "sync", "EURUSD", "--period", "M5", "--from", "2026-11-20", "--to", "2026-11-23"]
            let first = try CTraderBinary.run(sync + ["--db", db, "--json"])
            #expect(first.status == 0, "\(first.stderr)")
            let firstResult = try json(first.stdout)
            #expect(firstResult["requests"] as? Int == 1)
            #expect(firstResult["barsStored"] as? Int == 3 * 288)
            let second = try CTraderBinary.run(sync + ["--db", db, "--json"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(try json(second.stdout)["requests"] as? Int == 0)

            let ls = try CTraderBinary.run(["history", "ls", "--db", db, "--json"])
            #expect(ls.status == 0, "\(ls.stderr)")
            let series = try #require(try json(ls.stdout)["series"] as? [[String: Any]])
            #expect(series.count == 1)
            #expect(series.first?["series"] as? String == "trendbars/EURUSD/M5")
            #expect(series.first?["rows"] as? Int == 3 * 288)
            #expect(series.first?["from"] as? String == "2026-11-20T00:00:00.000Z")
            #expect(series.first?["to"] as? String == "2026-11-23T00:00:00.000Z")
            let table = try CTraderBinary.run(["history", "ls", "--db", db])
            #expect(table.stdout.contains("EURUSD"))
        }
    }

    @Test func lsReadsTheStoreInAnotherProcessWhileASyncWrites() async throws {
        try await withFolder { db in
            let store = try HistoryStore(path: db)
            let virtual = HistoryClock(now: { .zero }, sleep: { _ in })
            let sync = HistorySync(
                store: store, configuration: .init(requestsPerWindow: 1_000, chunkSpan: 60 * 60_000, clock: virtual))
            let series = HistorySeries.trendbars(symbol: "EURUSD", period: .m1)
            let day = HistoryInterval(start: 1_795_132_800_000, end: 1_795_132_800_000 + 6 * 3_600_000)
            let listed = ListedRows()
            try await sync.run(series, in: day, now: day.end + 86_400_000) { span in
                // Between the sync's commits, a separate `ctrader history ls` process reads the file.
                let ls = try CTraderBinary.run(["history", "ls", "--db", db, "--json"])
                let rows = (try json(ls.stdout)["series"] as? [[String: Any]])?.first?["rows"] as? Int ?? 0
                listed.append(rows)
                let bars = stride(from: span.start, to: span.end, by: 60_000).map {
                    HistoryBar(time: $0, open: 110_000, high: 110_010, low: 109_990, close: 110_005, volume: 7)
                }
                return HistoryPage(rows: bars)
            }
            // Six chunks of an hour: before each, ls saw the hours committed so far.
            #expect(listed.all == [0, 60, 120, 180, 240, 300])
        }
    }
}

/// Row counts seen by `ls`, shared with a fetch function.
final class ListedRows: @unchecked Sendable {
    // @unchecked: `rows` only under `lock`.
    private let lock = NSLock()
    private var rows: [Int] = []

    func append(_ count: Int) { lock.withLock { rows.append(count) } }
    var all: [Int] { lock.withLock { rows } }
}

@Suite("ctrader history sync of ticks and deals", .timeLimit(.minutes(5)))
struct HistoryTickAndDealSyncTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func tickAndDealSyncsResumeAndLsListsTheirCoverage() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ctrader-sync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("history.sqlite").path
        for _ in 0..<2 {
            let order = try await CTraderBinary.runAsync(["order", "buy", "EURUSD", "0.1"] + fixture.options)
            #expect(order.status == 0, "\(order.stderr)")
        }

        let ticks =
            [
                "history", "sync", "EURUSD", "--ticks", "bid", "--from", "2026-11-03T10:00:00Z", "--to",
                "2026-11-03T10:30:00Z", "--db", db, "--json",
            ] + fixture.options
        let first = try await CTraderBinary.runAsync(ticks)
        #expect(first.status == 0, "\(first.stderr)")
        let firstResult = try json(first.stdout)
        #expect(firstResult["series"] as? String == "ticks/EURUSD/bid")
        #expect(firstResult["requests"] as? Int == 1)
        let tickCount = try #require(firstResult["rowsStored"] as? Int)
        #expect(tickCount > 0)
        let tickRequests = await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTickdataReq)
        let again = try await CTraderBinary.runAsync(ticks)
        #expect(try json(again.stdout)["requests"] as? Int == 0)
        #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaGetTickdataReq) == tickRequests)

        let now = Date()
        let iso = ISO8601DateFormatter()
        // Ten days of deals: two weekly chunks.
        let deals =
            [
                "history", "sync", "--deals", "--from", iso.string(from: now.addingTimeInterval(-10 * 86_400)),
                "--to", iso.string(from: now.addingTimeInterval(60)), "--db", db, "--json",
            ] + fixture.options
        let dealSync = try await CTraderBinary.runAsync(deals)
        #expect(dealSync.status == 0, "\(dealSync.stderr)")
        let dealResult = try json(dealSync.stdout)
        #expect(dealResult["requests"] as? Int == 2)
        #expect(dealResult["rowsStored"] as? Int == 2)
        #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaDealListReq) == 2)

        let ls = try CTraderBinary.run(["history", "ls", "--db", db, "--json"])
        let series = try #require(try json(ls.stdout)["series"] as? [[String: Any]])
        let keys = series.compactMap { $0["series"] as? String }
        #expect(keys.contains("ticks/EURUSD/bid"))
        #expect(keys.contains { $0.hasPrefix("deals/") })
        #expect(series.first { $0["series"] as? String == "ticks/EURUSD/bid" }?["rows"] as? Int == tickCount)
        #expect(series.first { $0["kind"] as? String == "deals" }?["rows"] as? Int == 2)
    }

    @Test(arguments: [
        ["history", "sync", "EURUSD", "--from", "2026-11-01"],
        ["history", "sync", "EURUSD", "--period", "M1", "--ticks", "bid", "--from", "2026-11-01"],
        ["history", "sync", "EURUSD", "--deals", "--from", "2026-11-01"],
        ["history", "sync", "--ticks", "bid", "--from", "2026-11-01"],
    ])
    func oneSeriesPerSync(arguments: [String]) throws {
        let result = try CTraderBinary.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
    }
}
