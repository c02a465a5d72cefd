// swift-ctrader: `ctrader history sync` and `ctrader history ls`, run as separate processes.

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
