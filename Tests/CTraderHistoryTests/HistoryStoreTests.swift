import CTraderHistory
import Foundation
import GRDB
import Testing

/// A fresh store in a temporary folder, removed after `body`.
func withTemporaryStore<T>(_ body: (HistoryStore) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try HistoryStore(path: folder.appendingPathComponent("nested/history.sqlite").path)
    return try await body(store)
}

func bar(_ minute: Int64, price: Int64 = 110_000) -> HistoryBar {
    HistoryBar(time: minute * 60_000, open: price, high: price + 5, low: price - 5, close: price + 1, volume: 10)
}

@Suite("HistoryStore: rows stored once, coverage, WAL")
struct HistoryStoreTests {
    let m1 = HistorySeries.trendbars(symbol: "EURUSD", period: .m1)

    @Test func aRangeWrittenTwiceIsStoredOnce() async throws {
        try await withTemporaryStore { store in
            let bars = (0..<100).map { bar($0) }
            let first = try await store.write(bars, series: m1, covering: HistoryInterval(start: 0, end: 100 * 60_000))
            let second = try await store.write(bars, series: m1, covering: HistoryInterval(start: 0, end: 100 * 60_000))
            #expect(first == 100)
            #expect(second == 0)
            #expect(
                try await store.bars(symbol: "EURUSD", period: .m1, in: HistoryInterval(start: 0, end: .max)) == bars)
            // Another period and another symbol are other series.
            #expect(
                try await store.bars(symbol: "EURUSD", period: .m5, in: HistoryInterval(start: 0, end: .max)).isEmpty)
            #expect(
                try await store.bars(symbol: "GBPUSD", period: .m1, in: HistoryInterval(start: 0, end: .max)).isEmpty)
        }
    }

    @Test func coverageMergesAndAnswersWhatIsMissing() async throws {
        try await withTemporaryStore { store in
            try await store.write([HistoryBar](), series: m1, covering: HistoryInterval(start: 0, end: 10))
            try await store.write([HistoryBar](), series: m1, covering: HistoryInterval(start: 20, end: 30))
            try await store.write([HistoryBar](), series: m1, covering: HistoryInterval(start: 10, end: 15))
            #expect(
                try await store.coverage(m1) == [
                    HistoryInterval(start: 0, end: 15), HistoryInterval(start: 20, end: 30),
                ])
            #expect(
                try await store.missing(m1, in: HistoryInterval(start: 5, end: 40))
                    == [HistoryInterval(start: 15, end: 20), HistoryInterval(start: 30, end: 40)])
            try await store.write([HistoryBar](), series: m1, covering: HistoryInterval(start: 12, end: 35))
            #expect(try await store.coverage(m1) == [HistoryInterval(start: 0, end: 35)])
            #expect(
                try await store.missing(
                    .trendbars(symbol: "EURUSD", period: .h1), in: HistoryInterval(start: 0, end: 5)
                ).count == 1)
        }
    }

    @Test func ticksAndDealsHaveTheirOwnKeysAndDealsAreUpdated() async throws {
        try await withTemporaryStore { store in
            let bids = HistorySeries.ticks(symbol: "EURUSD", side: .bid)
            let ticks = [HistoryTick(time: 1_000, price: 110_001), HistoryTick(time: 2_000, price: 110_002)]
            #expect(try await store.write(ticks, series: bids, covering: HistoryInterval(start: 0, end: 3_000)) == 2)
            #expect(try await store.write(ticks, series: bids, covering: nil) == 0)
            #expect(
                try await store.ticks(symbol: "EURUSD", side: .bid, in: HistoryInterval(start: 0, end: 3_000)) == ticks)
            #expect(
                try await store.ticks(symbol: "EURUSD", side: .ask, in: HistoryInterval(start: 0, end: 3_000)).isEmpty)

            let deals = HistorySeries.deals(account: 42)
            var deal = HistoryDeal(
                dealId: 7, orderId: 8, positionId: 9, symbolId: 1, isBuy: true, volume: 100_000, filledVolume: 0,
                time: 5_000, executionPrice: 0, status: 2)
            try await store.write([deal], series: deals, covering: nil)
            deal.filledVolume = 100_000
            deal.executionPrice = 110_123
            try await store.write([deal], series: deals, covering: HistoryInterval(start: 0, end: 10_000))
            #expect(try await store.deals(account: 42, in: HistoryInterval(start: 0, end: 10_000)) == [deal])
            #expect(try await store.deals(account: 43, in: HistoryInterval(start: 0, end: 10_000)).isEmpty)
        }
    }

    @Test func rowsOfTheWrongKindAreRefusedAndNothingIsRecorded() async throws {
        try await withTemporaryStore { store in
            await #expect(throws: HistoryStoreError.rowsDoNotMatchSeries(m1)) {
                try await store.write(
                    [HistoryTick(time: 0, price: 1)], series: m1, covering: HistoryInterval(start: 0, end: 10))
            }
            let covered = try await store.coverage(m1)
            #expect(covered.isEmpty)
        }
    }

    @Test func theSummaryListsEachSeriesWithItsCoverageAndCount() async throws {
        try await withTemporaryStore { store in
            try await store.write(
                (0..<3).map { bar($0) }, series: m1, covering: HistoryInterval(start: 0, end: 180_000))
            try await store.write(
                [HistoryTick(time: 5, price: 1)], series: .ticks(symbol: "EURUSD", side: .ask),
                covering: HistoryInterval(start: 0, end: 10))
            let summary = try await store.summary()
            #expect(summary.map(\.series.key) == ["ticks/EURUSD/ask", "trendbars/EURUSD/M1"])
            #expect(summary.map(\.rowCount) == [1, 3])
            #expect(summary.last?.coverage == [HistoryInterval(start: 0, end: 180_000)])
        }
    }

    @Test func theDatabaseIsInWALModeAndASecondConnectionReadsWhileAWriteIsOpen() async throws {
        try await withTemporaryStore { store in
            try await store.write(
                (0..<10).map { bar($0) }, series: m1, covering: HistoryInterval(start: 0, end: 600_000))
            let mode = try await DatabaseQueue(path: store.path).read { db in
                try String.fetchOne(db, sql: "PRAGMA journal_mode")
            }
            #expect(mode == "wal")
            // A writer on a second pool holds a write transaction open while this store reads.
            let writer = try DatabasePool(path: store.path)
            try await writer.write { db in
                try db.execute(
                    sql: "INSERT INTO trendbar VALUES ('EURUSD', 1, ?, 1, 1, 1, 1, 1)", arguments: [3_600_000])
                let seen = try readBlocking(store)
                #expect(seen == 10)
            }
            #expect(
                try await store.bars(symbol: "EURUSD", period: .m1, in: HistoryInterval(start: 0, end: .max)).count
                    == 11)
        }
    }

    @Test func theDefaultPathFollowsXDGAndHome() {
        #if !os(macOS)
        #expect(
            HistoryStore.defaultPath(environment: ["HOME": "/home/u", "XDG_DATA_HOME": "/data"])
                == "/data/ctrader/history.sqlite")
        #expect(
            HistoryStore.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.local/share/ctrader/history.sqlite")
        // A relative XDG_DATA_HOME is invalid and ignored (the XDG Base Directory specification).
        #expect(
            HistoryStore.defaultPath(environment: ["HOME": "/home/u", "XDG_DATA_HOME": "rel"])
                == "/home/u/.local/share/ctrader/history.sqlite")
        #else
        #expect(
            HistoryStore.defaultPath(environment: ["HOME": "/Users/u"])
                == "/Users/u/Library/Application Support/ctrader/history.sqlite")
        #endif
    }
}

/// Reads the bar count of `store` through a third connection, synchronously, from inside another
/// connection's write transaction (a read must not wait for the writer in WAL mode).
func readBlocking(_ store: HistoryStore) throws -> Int {
    let reader = try DatabaseQueue(path: store.path)
    return try reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trendbar") ?? -1 }
}
