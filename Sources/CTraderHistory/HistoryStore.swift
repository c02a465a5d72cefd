import Foundation
import GRDB

/// A local history store: trendbars per symbol and period, ticks, and the account's deals in one
/// SQLite file, with the spans of time each series covers.
///
/// Every row has a primary key, so a range fetched twice is stored once. Each write records the
/// span it covers in the same transaction as its rows: a sync killed at any point leaves the
/// coverage true, and a later sync fetches only what ``missing(_:in:)`` reports.
///
/// The database is opened in WAL mode (a GRDB `DatabasePool`): other processes and other stores
/// on the same file read while one writes. Prices and money are stored as integers.
public final class HistoryStore: Sendable {
    /// The database file's path.
    public let path: String
    let pool: DatabasePool

    /// Opens (creating it and its folder when missing) the store at `path`, in WAL mode.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - busyTimeout: how long a write waits for another process's write to finish before it
    ///     fails; default 10 s.
    /// - Throws: a GRDB `DatabaseError` when the file cannot be opened or is not a store.
    public init(path: String, busyTimeout: Duration = .seconds(10)) throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var configuration = Configuration()
        let components = busyTimeout.components
        configuration.busyMode = .timeout(Double(components.seconds) + Double(components.attoseconds) / 1e18)
        configuration.label = "CTraderHistory"
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    /// The default path of the store: `$XDG_DATA_HOME/ctrader/history.sqlite`, else
    /// `~/.local/share/ctrader/history.sqlite`; on macOS
    /// `~/Library/Application Support/ctrader/history.sqlite`.
    ///
    /// - Parameter environment: the environment to read (`nil`: this process's).
    public static func defaultPath(environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        #if os(macOS)
        let base = home + "/Library/Application Support"
        #else
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/share"
        #endif
        return base + "/ctrader/history.sqlite"
    }

    /// The schema, one migration per version.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE trendbar (
                        symbol TEXT NOT NULL, period INTEGER NOT NULL, time INTEGER NOT NULL,
                        open INTEGER NOT NULL, high INTEGER NOT NULL, low INTEGER NOT NULL,
                        close INTEGER NOT NULL, volume INTEGER NOT NULL,
                        PRIMARY KEY (symbol, period, time)
                    ) WITHOUT ROWID;
                    CREATE TABLE tick (
                        symbol TEXT NOT NULL, side INTEGER NOT NULL, time INTEGER NOT NULL,
                        price INTEGER NOT NULL,
                        PRIMARY KEY (symbol, side, time)
                    ) WITHOUT ROWID;
                    CREATE TABLE deal (
                        account INTEGER NOT NULL, dealId INTEGER NOT NULL, orderId INTEGER NOT NULL,
                        positionId INTEGER NOT NULL, symbolId INTEGER NOT NULL, isBuy INTEGER NOT NULL,
                        volume INTEGER NOT NULL, filledVolume INTEGER NOT NULL, time INTEGER NOT NULL,
                        executionPrice INTEGER NOT NULL, commission INTEGER NOT NULL,
                        grossProfit INTEGER NOT NULL, swap INTEGER NOT NULL, moneyDigits INTEGER NOT NULL,
                        status INTEGER NOT NULL,
                        PRIMARY KEY (account, dealId)
                    ) WITHOUT ROWID;
                    CREATE INDEX deal_time ON deal (account, time);
                    CREATE TABLE coverage (
                        series TEXT NOT NULL, startTime INTEGER NOT NULL, endTime INTEGER NOT NULL,
                        PRIMARY KEY (series, startTime)
                    ) WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }

    // MARK: - Writing

    /// Stores `rows` of `series` (new keys inserted, known ones kept; a known deal is updated)
    /// and records `covering` as covered, in one transaction.
    ///
    /// - Parameters:
    ///   - rows: the rows, in any order.
    ///   - series: the series they belong to.
    ///   - covering: the span the rows were fetched for (`nil`: record no coverage).
    /// - Returns: how many rows were new.
    /// - Throws: ``HistoryStoreError/rowsDoNotMatchSeries(_:)`` when the rows are not the series'
    ///   kind (``HistoryBar`` for trendbars, ``HistoryTick`` for ticks, ``HistoryDeal`` for deals),
    ///   or a database error (nothing is written then).
    @discardableResult
    public func write<Row: HistoryRow>(
        _ rows: [Row], series: HistorySeries, covering: HistoryInterval?
    ) async throws -> Int {
        try await pool.write { db in
            let inserted = try Self.insert(rows, series: series, db: db)
            if let covering { try Self.recordCoverage(covering, of: series, db: db) }
            return inserted
        }
    }

    static func insert<Row: HistoryRow>(_ rows: [Row], series: HistorySeries, db: Database) throws -> Int {
        let before = db.totalChangesCount
        switch series {
        case .trendbars(let symbol, let period):
            guard let bars = rows as? [HistoryBar] else { throw HistoryStoreError.rowsDoNotMatchSeries(series) }
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO trendbar (symbol, period, time, open, high, low, close, volume)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for bar in bars {
                statement.setUncheckedArguments([
                    symbol, period.rawValue, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume,
                ])
                try statement.execute()
            }
        case .ticks(let symbol, let side):
            guard let ticks = rows as? [HistoryTick] else { throw HistoryStoreError.rowsDoNotMatchSeries(series) }
            let statement = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO tick (symbol, side, time, price) VALUES (?, ?, ?, ?)"
            )
            for tick in ticks {
                statement.setUncheckedArguments([symbol, side.rawValue, tick.time, tick.price])
                try statement.execute()
            }
        case .deals(let account):
            guard let deals = rows as? [HistoryDeal] else { throw HistoryStoreError.rowsDoNotMatchSeries(series) }
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO deal (account, dealId, orderId, positionId, symbolId, isBuy, volume,
                        filledVolume, time, executionPrice, commission, grossProfit, swap, moneyDigits, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (account, dealId) DO UPDATE SET
                        filledVolume = excluded.filledVolume, time = excluded.time,
                        executionPrice = excluded.executionPrice, commission = excluded.commission,
                        grossProfit = excluded.grossProfit, swap = excluded.swap, status = excluded.status
                    """
            )
            for deal in deals {
                statement.setUncheckedArguments([
                    account, deal.dealId, deal.orderId, deal.positionId, deal.symbolId, deal.isBuy, deal.volume,
                    deal.filledVolume, deal.time, deal.executionPrice, deal.commission, deal.grossProfit,
                    deal.swap, deal.moneyDigits, deal.status,
                ])
                try statement.execute()
            }
        }
        return db.totalChangesCount - before
    }

    /// Merges `interval` into the series' coverage: the intervals it overlaps or touches become one.
    static func recordCoverage(_ interval: HistoryInterval, of series: HistorySeries, db: Database) throws {
        guard !interval.isEmpty else { return }
        let touching = try Row.fetchAll(
            db,
            sql: "SELECT startTime, endTime FROM coverage WHERE series = ? AND startTime <= ? AND endTime >= ?",
            arguments: [series.key, interval.end, interval.start]
        ).map { HistoryInterval(start: $0[0], end: $0[1]) }
        let merged = HistoryInterval.merged(touching + [interval])
        try db.execute(
            sql: "DELETE FROM coverage WHERE series = ? AND startTime <= ? AND endTime >= ?",
            arguments: [series.key, interval.end, interval.start]
        )
        for piece in merged {
            try db.execute(
                sql: "INSERT INTO coverage (series, startTime, endTime) VALUES (?, ?, ?)",
                arguments: [series.key, piece.start, piece.end]
            )
        }
    }

    // MARK: - Reading

    /// The spans `series` covers, merged and in order.
    public func coverage(_ series: HistorySeries) async throws -> [HistoryInterval] {
        try await pool.read { db in try Self.coverage(series, db: db) }
    }

    static func coverage(_ series: HistorySeries, db: Database) throws -> [HistoryInterval] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT startTime, endTime FROM coverage WHERE series = ? ORDER BY startTime",
            arguments: [series.key])
        return HistoryInterval.merged(rows.map { HistoryInterval(start: $0[0], end: $0[1]) })
    }

    /// What of `interval` the store does not cover for `series`, in order: what a sync must fetch.
    public func missing(_ series: HistorySeries, in interval: HistoryInterval) async throws -> [HistoryInterval] {
        interval.subtracting(try await coverage(series))
    }

    /// The stored trendbars of `symbol` and `period` that open in `interval`, oldest first.
    public func bars(symbol: String, period: HistoryPeriod, in interval: HistoryInterval) async throws -> [HistoryBar] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT time, open, high, low, close, volume FROM trendbar
                    WHERE symbol = ? AND period = ? AND time >= ? AND time < ? ORDER BY time
                    """,
                arguments: [symbol, period.rawValue, interval.start, interval.end]
            ).map { HistoryBar(time: $0[0], open: $0[1], high: $0[2], low: $0[3], close: $0[4], volume: $0[5]) }
        }
    }

    /// The stored ticks of `symbol` and `side` in `interval`, oldest first.
    public func ticks(symbol: String, side: HistoryTickSide, in interval: HistoryInterval) async throws -> [HistoryTick]
    {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT time, price FROM tick WHERE symbol = ? AND side = ? AND time >= ? AND time < ? ORDER BY time",
                arguments: [symbol, side.rawValue, interval.start, interval.end]
            ).map { HistoryTick(time: $0[0], price: $0[1]) }
        }
    }

    /// The stored deals of `account` executed in `interval`, oldest first.
    public func deals(account: Int64, in interval: HistoryInterval) async throws -> [HistoryDeal] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT dealId, orderId, positionId, symbolId, isBuy, volume, filledVolume, time, executionPrice,
                        commission, grossProfit, swap, moneyDigits, status
                    FROM deal WHERE account = ? AND time >= ? AND time < ? ORDER BY time, dealId
                    """,
                arguments: [account, interval.start, interval.end]
            ).map {
                HistoryDeal(
                    dealId: $0[0], orderId: $0[1], positionId: $0[2], symbolId: $0[3], isBuy: $0[4], volume: $0[5],
                    filledVolume: $0[6], time: $0[7], executionPrice: $0[8], commission: $0[9],
                    grossProfit: $0[10], swap: $0[11], moneyDigits: $0[12], status: $0[13])
            }
        }
    }

    /// Every series with coverage: its spans and how many rows it holds, ordered by key.
    public func summary() async throws -> [HistorySeriesSummary] {
        try await pool.read { db in
            let keys = try String.fetchAll(db, sql: "SELECT DISTINCT series FROM coverage ORDER BY series")
            return try keys.compactMap { key -> HistorySeriesSummary? in
                guard let series = HistorySeries(key: key) else { return nil }
                let count: Int
                switch series {
                case .trendbars(let symbol, let period):
                    count =
                        try Int.fetchOne(
                            db, sql: "SELECT COUNT(*) FROM trendbar WHERE symbol = ? AND period = ?",
                            arguments: [symbol, period.rawValue]) ?? 0
                case .ticks(let symbol, let side):
                    count =
                        try Int.fetchOne(
                            db, sql: "SELECT COUNT(*) FROM tick WHERE symbol = ? AND side = ?",
                            arguments: [symbol, side.rawValue]) ?? 0
                case .deals(let account):
                    count =
                        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deal WHERE account = ?", arguments: [account])
                        ?? 0
                }
                return HistorySeriesSummary(
                    series: series, coverage: try Self.coverage(series, db: db), rowCount: count)
            }
        }
    }
}

/// What the store holds of one series.
public struct HistorySeriesSummary: Sendable, Hashable {
    /// The series.
    public var series: HistorySeries
    /// The spans it covers, merged and in order.
    public var coverage: [HistoryInterval]
    /// How many rows (bars, ticks or deals) it holds.
    public var rowCount: Int
}

/// A misuse of the store.
public enum HistoryStoreError: Error, Equatable, CustomStringConvertible {
    /// The rows written are not of the series' kind.
    case rowsDoNotMatchSeries(HistorySeries)

    /// A one-line description.
    public var description: String {
        switch self {
        case .rowsDoNotMatchSeries(let series): "the rows written are not of the kind \(series) holds"
        }
    }
}
