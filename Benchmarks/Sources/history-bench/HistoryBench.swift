// swift-ctrader benchmarks: trendbars written to the history store per second, in batches, next
// to a plain SQLite insert loop on the same rows.
//
//   history-bench [ROWS] [BATCH] [RUNS]     defaults: 500000 bars, batches of 5000, best of 3 runs
//
// `store`: `HistoryStore.write(_:series:covering:)`, one transaction per batch (rows and coverage).
// `sqlite`: the same schema and rows through the C API (prepare once; bind, step, reset per row;
// BEGIN/COMMIT per batch), in WAL mode with the same synchronous setting as the store (GRDB's
// default, FULL). Each run writes into a new file. Prints one JSON line.

import CTraderHistory
import Foundation
import GRDBSQLite

@main
struct HistoryBench {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let rows = arguments.count > 0 ? arguments[0] : 500_000
        let batch = arguments.count > 1 ? arguments[1] : 5_000
        let runs = arguments.count > 2 ? arguments[2] : 3
        let start: Int64 = 1_700_000_000_000 / 60_000 * 60_000
        let bars = (0..<Int64(rows)).map { index in
            let price = 110_000 + (index * 7_919) % 2_000
            return HistoryBar(
                time: start + index * 60_000, open: price, high: price + 9, low: price - 9, close: price + 3,
                volume: 100 + index % 50)
        }
        var best = (store: Double.infinity, sqlite: Double.infinity)
        for _ in 0..<runs {
            best.store = min(best.store, try await timeStore(bars, batch: batch))
            best.sqlite = min(best.sqlite, try timeSQLite(bars, batch: batch))
        }
        let storeRate = Double(rows) / best.store
        let sqliteRate = Double(rows) / best.sqlite
        print(
            String(
                format:
                    "{\"rows\":%d,\"batch\":%d,\"store_rows_per_s\":%.0f,\"sqlite_rows_per_s\":%.0f,\"ratio\":%.2f}",
                rows, batch, storeRate, sqliteRate, storeRate / sqliteRate))
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("history-bench-\(UUID().uuidString).sqlite").path
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Seconds to write `bars` through the store, `batch` per transaction.
    static func timeStore(_ bars: [HistoryBar], batch: Int) async throws -> Double {
        let path = temporaryPath()
        defer { remove(path) }
        let store = try HistoryStore(path: path)
        let series = HistorySeries.trendbars(symbol: "EURUSD", period: .m1)
        let clock = ContinuousClock()
        let began = clock.now
        var index = 0
        while index < bars.count {
            let slice = Array(bars[index..<min(bars.count, index + batch)])
            try await store.write(
                slice, series: series,
                covering: HistoryInterval(start: slice.first!.time, end: slice.last!.time + 60_000))
            index += batch
        }
        return seconds(began.duration(to: clock.now))
    }

    /// Seconds to write `bars` with a plain sqlite3 insert loop, `batch` per transaction.
    static func timeSQLite(_ bars: [HistoryBar], batch: Int) throws -> Double {
        let path = temporaryPath()
        defer { remove(path) }
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError.sqlite("open") }
        defer { sqlite3_close(db) }
        try exec(
            db,
            """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE trendbar (
                symbol TEXT NOT NULL, period INTEGER NOT NULL, time INTEGER NOT NULL,
                open INTEGER NOT NULL, high INTEGER NOT NULL, low INTEGER NOT NULL,
                close INTEGER NOT NULL, volume INTEGER NOT NULL,
                PRIMARY KEY (symbol, period, time)
            ) WITHOUT ROWID;
            """)
        var statement: OpaquePointer?
        let sql =
            "INSERT OR IGNORE INTO trendbar (symbol, period, time, open, high, low, close, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError.sqlite("prepare")
        }
        defer { sqlite3_finalize(statement) }
        let symbol = "EURUSD"
        let clock = ContinuousClock()
        let began = clock.now
        var index = 0
        while index < bars.count {
            try exec(db, "BEGIN")
            for bar in bars[index..<min(bars.count, index + batch)] {
                // SQLITE_TRANSIENT is a C macro (-1 cast to a function pointer) Swift does not import.
                sqlite3_bind_text(statement, 1, symbol, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
                sqlite3_bind_int64(statement, 2, 1)
                sqlite3_bind_int64(statement, 3, bar.time)
                sqlite3_bind_int64(statement, 4, bar.open)
                sqlite3_bind_int64(statement, 5, bar.high)
                sqlite3_bind_int64(statement, 6, bar.low)
                sqlite3_bind_int64(statement, 7, bar.close)
                sqlite3_bind_int64(statement, 8, bar.volume)
                guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError.sqlite("step") }
                sqlite3_reset(statement)
            }
            try exec(db, "COMMIT")
            index += batch
        }
        return seconds(began.duration(to: clock.now))
    }

    static func exec(_ db: OpaquePointer, _ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError.sqlite(String(cString: sqlite3_errmsg(db)))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

enum BenchError: Error {
    case sqlite(String)
}
