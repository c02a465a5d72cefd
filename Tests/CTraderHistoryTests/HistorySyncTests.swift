import CTraderHistory
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import Foundation
import Testing

/// A simulator whose historical limit is out of the way (pacing is the sync's, in virtual time),
/// a client of it, connected and authorized, and the fetch function of EURUSD's bars.
struct SimulatorHistory {
    let simulator: Simulator
    let client: CTraderClient
    static let account = SimulatorIdentity.demoHedgedAccountId
    static let eurusd: Int64 = 1

    static func start() async throws -> SimulatorHistory {
        let simulator = try await Simulator.start(
            Simulator.Configuration(engine: SimulatorEngine.Configuration(seed: 7, historicalRequestsPerSecond: 10_000))
        )
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
                requestTimeout: .seconds(60),
                rateLimits: CTraderRateLimits(requestsPerSecond: 10_000, historicalRequestsPerSecond: 10_000)
            )
        )
        try await client.connect()
        try await client.authorize(account: account, accessToken: SimulatorIdentity.demoAccessToken)
        return SimulatorHistory(simulator: simulator, client: client)
    }

    func stop() async {
        await client.shutdown()
        await simulator.stop()
    }

    /// One ProtoOAGetTrendbarsReq for `interval`.
    func fetch(_ period: HistoryPeriod, _ interval: HistoryInterval) async throws -> HistoryPage<HistoryBar> {
        var request = ProtoOAGetTrendbarsReq()
        request.ctidTraderAccountID = Self.account
        request.symbolID = Self.eurusd
        request.period = ProtoOATrendbarPeriod(rawValue: period.rawValue)!
        request.fromTimestamp = interval.start
        request.toTimestamp = interval.end
        let response = try await client.send(request, expecting: ProtoOAGetTrendbarsRes.self)
        let bars = response.trendbar.map { bar in
            HistoryBar(
                time: Int64(bar.utcTimestampInMinutes) * 60_000, open: bar.low + Int64(bar.deltaOpen),
                high: bar.low + Int64(bar.deltaHigh), low: bar.low, close: bar.low + Int64(bar.deltaClose),
                volume: bar.volume)
        }
        return HistoryPage(rows: bars, hasMore: response.hasMore_p)
    }

    /// Every bar of `interval`, straight from the simulator (no store), oldest first.
    func reference(_ period: HistoryPeriod, _ interval: HistoryInterval) async throws -> [HistoryBar] {
        var bars: [HistoryBar] = []
        var upper = interval.end
        while upper > interval.start {
            let page = try await fetch(
                period, HistoryInterval(start: max(interval.start, upper - 86_400_000), end: upper))
            bars.insert(contentsOf: page.rows.sorted { $0.time < $1.time }, at: 0)
            upper = page.hasMore ? page.rows.map(\.time).min()! : max(interval.start, upper - 86_400_000)
        }
        return bars
    }

    /// Runs `body` with a started simulator and client, then stops both.
    static func with(_ body: (SimulatorHistory) async throws -> Void) async throws {
        let history = try await start()
        do {
            try await body(history)
        } catch {
            await history.stop()
            throw error
        }
        await history.stop()
    }

    var trendbarRequests: Int {
        get async { await simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq) }
    }
}

/// 30 days of M1 ending at the start of yesterday (UTC), so every bar is complete.
let thirtyDays: HistoryInterval = {
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    let end = HistoryPeriod.d1.barStart(containing: now) - 86_400_000
    return HistoryInterval(start: end - 30 * 86_400_000, end: end)
}()

struct Stop: Error {}

/// The requests one sync of ``thirtyDays`` of M1 sends: 8 chunks of 3.5 days (5040 bars, past the
/// 4000-bar page: 2 requests each) and one of 2 days (2880 bars: 1 request).
let fullSyncRequests = 17

/// 10 days of M1 ending where ``thirtyDays`` ends: 2 chunks of 3.5 days (2 requests each) and one
/// of 3 days (4320 bars: 2 requests).
let tenDays = HistoryInterval(start: thirtyDays.end - 10 * 86_400_000, end: thirtyDays.end)
let tenDaysRequests = 6

@Suite("HistorySync against the simulator", .timeLimit(.minutes(10)))
struct HistorySyncTests {
    let series = HistorySeries.trendbars(symbol: "EURUSD", period: .m1)

    @Test func syncingThirtyDaysTwiceSendsNoTrendbarRequestTheSecondTime() async throws {
        try await SimulatorHistory.with { history in
            try await withTemporaryStore { store in
                let virtual = VirtualClock()
                let sync = HistorySync(store: store, configuration: .init(clock: virtual.clock))
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let first = try await sync.run(series, in: thirtyDays, now: now) { try await history.fetch(.m1, $0) }
                let afterFirst = await history.trendbarRequests
                #expect(afterFirst == first.requests)
                #expect(first.requests == fullSyncRequests)
                #expect(first.rowsStored == 30 * 1_440)
                #expect(first.done == first.total)
                // Paced at 5 a second: 17 requests take at least 3 seconds, of virtual time.
                #expect(virtual.now >= .seconds(3))

                let second = try await sync.run(series, in: thirtyDays, now: now) { try await history.fetch(.m1, $0) }
                #expect(second.requests == 0)
                #expect(await history.trendbarRequests == afterFirst)
                #expect(try await store.coverage(series) == [thirtyDays])
                // One bar a minute, each once (the bars themselves are compared with the simulator's
                // in the resume test: building 30 days of bars twice is slow in a debug build).
                let stored = try await store.bars(symbol: "EURUSD", period: .m1, in: thirtyDays)
                #expect(stored.map(\.time) == Array(stride(from: thirtyDays.start, to: thirtyDays.end, by: 60_000)))
            }
        }
    }

    @Test(arguments: [3])
    func aSyncInterruptedAfterSomeRequestsResumesWithoutGapsOrDuplicates(requests: Int) async throws {
        try await SimulatorHistory.with { history in
            try await withTemporaryStore { store in
                let virtual = VirtualClock()
                let sync = HistorySync(store: store, configuration: .init(clock: virtual.clock))
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let sent = Counter()
                await #expect(throws: Stop.self) {
                    try await sync.run(series, in: tenDays, now: now) { interval in
                        guard sent.next() <= requests else { throw Stop() }
                        return try await history.fetch(.m1, interval)
                    }
                }
                let partial = try await store.coverage(series)
                #expect(!partial.isEmpty)
                #expect(partial != [tenDays])
                let before = await history.trendbarRequests
                let resumed = try await sync.run(series, in: tenDays, now: now) { try await history.fetch(.m1, $0) }
                // Only the rest is fetched: the two runs together send what one sync sends.
                #expect(before + resumed.requests == tenDaysRequests)
                #expect(try await store.coverage(series) == [tenDays])
                let stored = try await store.bars(
                    symbol: "EURUSD", period: .m1, in: HistoryInterval(start: 0, end: .max))
                #expect(Set(stored.map(\.time)).count == stored.count)
                #expect(stored == (try await history.reference(.m1, tenDays)))
            }
        }
    }

    @Test func aCancelledSyncKeepsWhatItCommitted() async throws {
        try await SimulatorHistory.with { history in
            try await withTemporaryStore { store in
                let sync = HistorySync(store: store, configuration: .init(clock: VirtualClock().clock))
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let (committed, signal) = AsyncStream.makeStream(of: HistorySyncProgress.self)
                let task = Task {
                    try await sync.run(series, in: tenDays, now: now, progress: { signal.yield($0) }) {
                        try await history.fetch(.m1, $0)
                    }
                }
                var iterator = committed.makeAsyncIterator()
                _ = await iterator.next()
                _ = await iterator.next()
                task.cancel()
                _ = await task.result
                let stored = try await store.bars(
                    symbol: "EURUSD", period: .m1, in: HistoryInterval(start: 0, end: .max))
                let covered = try await store.coverage(series)
                // Every covered minute has its bar, and no bar lies outside the coverage.
                #expect(stored.count == covered.reduce(0) { $0 + Int($1.length / 60_000) })
                #expect(stored.allSatisfy { bar in covered.contains { $0.contains(bar.time) } })
                try await sync.run(series, in: tenDays, now: now) { try await history.fetch(.m1, $0) }
                #expect(try await store.coverage(series) == [tenDays])
            }
        }
    }

    @Test func aSecondStoreReadsTheFileWhileASyncWrites() async throws {
        try await SimulatorHistory.with { history in
            try await withTemporaryStore { store in
                let reader = try HistoryStore(path: store.path)
                let sync = HistorySync(store: store, configuration: .init(clock: VirtualClock().clock))
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let seen = Observations()
                try await sync.run(series, in: tenDays, now: now) { interval in
                    // Between two requests of the sync, the reader sees what the sync has committed.
                    let covered = try await reader.coverage(series).reduce(0) { $0 + $1.length }
                    let bars = try await reader.bars(symbol: "EURUSD", period: .m1, in: tenDays).count
                    seen.append(covered: covered, bars: bars)
                    return try await history.fetch(.m1, interval)
                }
                let observations = seen.all
                #expect(observations.count == tenDaysRequests)
                #expect(observations.first?.covered == 0)
                #expect(observations.map(\.covered) == observations.map(\.covered).sorted())
                #expect(observations.last!.bars > 0)
                #expect(observations.last!.bars < 10 * 1_440)
            }
        }
    }
}

/// A counter shared with a fetch function.
final class Counter: @unchecked Sendable {
    // @unchecked: `value` only under `lock`.
    private let lock = NSLock()
    private var value = 0

    /// The count after adding one.
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}

/// What a reader saw during a sync.
final class Observations: @unchecked Sendable {
    // @unchecked: `items` only under `lock`.
    private let lock = NSLock()
    private var items: [(covered: Int64, bars: Int)] = []

    func append(covered: Int64, bars: Int) { lock.withLock { items.append((covered, bars)) } }
    var all: [(covered: Int64, bars: Int)] { lock.withLock { items } }
}
