// swift-ctrader: the history calls on a `CTraderClient`, end to end against the simulator.

import CTrader
import Foundation
import Logging
import Testing

/// A virtual clock whose sleeps return at once, moving the time to their deadline: the pacer's
/// schedule is then the list of its sleeps.
final class JumpingClock: CTraderClock, @unchecked Sendable {
    // @unchecked: `time` and `sleeps` only under `lock`.
    private let lock = NSLock()
    private var time: Duration = .zero
    private var sleeps: [Duration] = []

    func now() -> Duration { lock.withLock { time } }

    func sleep(until deadline: Duration) async throws {
        lock.withLock {
            sleeps.append(deadline)
            time = max(time, deadline)
        }
    }

    var sleptUntil: [Duration] { lock.withLock { sleeps } }
}

/// A simulator and an authorized client on it.
struct HistoryFixture {
    let simulator: Simulator
    let client: CTraderClient
    let account: Int64
    let eurusd: Int64

    static func start(
        engine: SimulatorEngine.Configuration = .init(seed: 11), rateLimits: CTraderRateLimits = CTraderRateLimits()
    ) async throws -> HistoryFixture {
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        let simulator = try await Simulator.start(
            Simulator.Configuration(protobufPort: nil, engine: engine), logger: logger)
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
                requestTimeout: .seconds(60),
                rateLimits: rateLimits
            )
        )
        try await client.connect()
        let token = SimulatorIdentity.demoAccessToken
        let account = Int64(try await client.accounts(accessToken: token)[0].ctidTraderAccountID)
        try await client.authorize(account: account, accessToken: token)
        let symbols = try await client.symbols(account: account).symbol
        let eurusd = try #require(symbols.first { $0.symbolName == "EURUSD" }).symbolID
        return HistoryFixture(simulator: simulator, client: client, account: account, eurusd: eurusd)
    }

    func stop() async {
        await client.shutdown()
        await simulator.stop()
    }

    func requests(_ type: PayloadType) async -> Int { await simulator.faults.receivedRequestCount(of: type) }
}

/// Collects progress values.
final class ProgressLog: @unchecked Sendable {
    // @unchecked: `values` only under `lock`.
    private let lock = NSLock()
    private var values: [HistoryProgress] = []
    func append(_ value: HistoryProgress) { lock.withLock { values.append(value) } }
    var all: [HistoryProgress] { lock.withLock { values } }
}

@Suite(.timeLimit(.minutes(3))) struct HistoryCallsTests {
    static let day: Int64 = 86_400_000
    /// 2026-11-02T00:00:00Z, a Monday.
    static let monday: Int64 = 1_793_577_600_000

    /// The span table: M1 requests span at most 302,400,000 ms (3.5 days), so 8 days take
    /// ceil(8 / 3.5) = 3 requests; H1 requests span 21,168,000,000 ms (245 days), so 300 days take
    /// 2. With pages large enough, one request per window, and every bar once, oldest first.
    @Test func barsSplitOnTheOfficialSpansAndComeOldestFirst() async throws {
        let fixture = try await HistoryFixture.start(engine: .init(seed: 11, maximumTrendbarsPerResponse: 100_000))
        let from = Self.monday - 8 * Self.day
        let progress = ProgressLog()
        let bars = try await fixture.client.trendbars(
            account: fixture.account, symbol: fixture.eurusd, period: .m1, from: from, to: Self.monday,
            progress: { progress.append($0) })
        #expect(await fixture.requests(.protoOaGetTrendbarsReq) == 3)
        #expect(progress.all.map(\.done) == [0, 1, 2, 3] && progress.all.allSatisfy { $0.total == 3 })
        let times = bars.map { Int64($0.utcTimestampInMinutes) * 60_000 }
        #expect(times == Array(stride(from: from, to: Self.monday, by: 60_000)))

        // The same bars as one plain request for a slice of the range.
        var slice = ProtoOAGetTrendbarsReq()
        slice.ctidTraderAccountID = fixture.account
        slice.symbolID = fixture.eurusd
        slice.period = .m1
        slice.fromTimestamp = from + Self.day
        slice.toTimestamp = from + Self.day + 3_600_000
        let direct = try await fixture.client.send(slice, expecting: ProtoOAGetTrendbarsRes.self).trendbar
        #expect(direct.count == 60)
        #expect(Array(bars[1440..<1500]) == direct)

        let hourly = try await fixture.client.trendbars(
            account: fixture.account, symbol: fixture.eurusd, period: .h1, from: Self.monday - 300 * Self.day,
            to: Self.monday)
        #expect(await fixture.requests(.protoOaGetTrendbarsReq) == 3 + 1 + 2)
        #expect(hourly.count == 300 * 24)
        await fixture.stop()
    }

    /// 3 days of M1 bars (4,320) fit one window, but the simulator sends at most 4,000 per
    /// response: `hasMore` takes a second request for the oldest 320.
    @Test func aTruncatedWindowIsAskedAgainUpToItsOldestBar() async throws {
        let fixture = try await HistoryFixture.start()
        let from = Self.monday - 3 * Self.day
        let bars = try await fixture.client.trendbars(
            account: fixture.account, symbol: fixture.eurusd, period: .m1, from: from, to: Self.monday)
        #expect(await fixture.requests(.protoOaGetTrendbarsReq) == 2)
        #expect(
            bars.map { Int64($0.utcTimestampInMinutes) * 60_000 }
                == Array(stride(from: from, to: Self.monday, by: 60_000)))
        await fixture.stop()
    }

    /// Ticks: a week and a second make two windows (the second in the future, empty); the ticks
    /// equal the simulator's, decoded here by hand from a plain request.
    @Test func ticksSplitIntoWeeksAndAreDecodedOldestFirst() async throws {
        let fixture = try await HistoryFixture.start()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let from = now - 20_000
        let ticks = try await fixture.client.ticks(
            account: fixture.account, symbol: fixture.eurusd, type: .bid, from: from,
            to: from + ProtoOAGetTickDataReq.maximumRequestSpan + 1_000)
        #expect(await fixture.requests(.protoOaGetTickdataReq) == 2)

        var request = ProtoOAGetTickDataReq()
        request.ctidTraderAccountID = fixture.account
        request.symbolID = fixture.eurusd
        request.type = .bid
        request.fromTimestamp = from
        request.toTimestamp = from + 10_000
        let raw = try await fixture.client.send(request, expecting: ProtoOAGetTickDataRes.self)
        #expect(!raw.hasMore_p)
        // Newest first; the first absolute, each next one a difference from the one before.
        var expected: [Tick] = []
        for entry in raw.tickData {
            if let last = expected.last {
                expected.append(
                    Tick(timestamp: last.timestamp + entry.timestamp, relativePrice: last.relativePrice + entry.tick))
            } else {
                expected.append(Tick(timestamp: entry.timestamp, relativePrice: entry.tick))
            }
        }
        expected.reverse()
        #expect(!expected.isEmpty)
        let window = ticks.filter { $0.timestamp < from + 10_000 }
        #expect(window.filter { $0.timestamp <= expected.last?.timestamp ?? 0 } == expected)
        await fixture.stop()
    }

    /// An hour of ticks is more than the simulator's 5,000 per response: the window is asked
    /// again below its oldest tick, and every tick comes once, oldest first.
    @Test func truncatedTicksAreFollowedToTheStartOfTheWindow() async throws {
        let fixture = try await HistoryFixture.start()
        let from = Self.monday - 3_600_000
        let ticks = try await fixture.client.ticks(
            account: fixture.account, symbol: fixture.eurusd, type: .ask, from: from, to: Self.monday)
        #expect(await fixture.requests(.protoOaGetTickdataReq) >= 2)
        #expect(ticks.count > 5_000)
        #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        #expect(ticks.first.map { $0.timestamp >= from && $0.timestamp < from + 10_000 } == true)
        #expect(ticks.last.map { $0.timestamp < Self.monday && $0.timestamp >= Self.monday - 10_000 } == true)
        await fixture.stop()
    }

    /// Twelve yearly D1 windows at 5 a second on a virtual clock: five at 0, five at 1 s, two at
    /// 2 s, so the pacer slept until 1 s and 2 s (the client's and the simulator's own limits
    /// are raised so that only the pacer paces).
    @Test func requestsArePacedWithinTheHistoricalLimitInVirtualTime() async throws {
        let fixture = try await HistoryFixture.start(
            engine: .init(seed: 11, historicalRequestsPerSecond: 1_000),
            rateLimits: CTraderRateLimits(historicalRequestsPerSecond: 1_000))
        let clock = JumpingClock()
        let span = ProtoOATrendbarPeriod.d1.maximumRequestSpan
        let bars = try await fixture.client.trendbars(
            account: fixture.account, symbol: fixture.eurusd, period: .d1, from: Self.monday - 12 * span,
            to: Self.monday, options: CTraderHistoryOptions(clock: clock))
        #expect(await fixture.requests(.protoOaGetTrendbarsReq) == 12)
        #expect(clock.sleptUntil == [.seconds(1), .seconds(2)])
        #expect(bars.count == Int(12 * span / Self.day))
        await fixture.stop()
    }

    /// Five deals, two per response: the parts of the window outside each page are asked for
    /// until every deal came, once, oldest first.
    @Test func dealsFollowTruncatedPages() async throws {
        let fixture = try await HistoryFixture.start(engine: .init(seed: 11, maximumRowsPerResponse: 2))
        var ids: [Int64] = []
        for side in [ProtoOATradeSide.buy, .sell, .buy, .sell, .buy] {
            var order = ProtoOANewOrderReq()
            order.ctidTraderAccountID = fixture.account
            order.symbolID = fixture.eurusd
            order.orderType = .market
            order.tradeSide = side
            order.volume = 100_000
            let event = try await fixture.client.placeOrder(order, until: .filled)
            #expect(event.hasDeal)
            ids.append(event.deal.dealID)
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let deals = try await fixture.client.deals(
            account: fixture.account, from: now - 10 * Self.day, to: now + 60_000)
        #expect(Set(deals.map(\.dealID)) == Set(ids))
        #expect(deals.count == 5)
        #expect(zip(deals, deals.dropFirst()).allSatisfy { $0.executionTimestamp <= $1.executionTimestamp })
        #expect(await fixture.requests(.protoOaDealListReq) >= 3)
        await fixture.stop()
    }

    @Test func aRangeThatCannotBeSplitNamesTheRule() async throws {
        let fixture = try await HistoryFixture.start()
        await #expect(throws: CTraderHistoryError.invalidRange(.fromAfterTo(from: 10, to: 5))) {
            _ = try await fixture.client.trendbars(
                account: fixture.account, symbol: fixture.eurusd, period: .m1, from: 10, to: 5)
        }
        #expect(await fixture.requests(.protoOaGetTrendbarsReq) == 0)
        await fixture.stop()
    }
}
