// swift-ctrader: `CTraderClient.liveBars`, end to end against the in-process simulator.

import CTrader
import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct LiveBarsTests {
    /// A simulator, a client authorized on its first account, and EURUSD's id.
    static func session() async throws -> (Simulator, CTraderClient, account: Int64, eurusd: Int64) {
        let simulator = try await Simulator.start(Simulator.Configuration(seed: 16))
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId,
                    clientSecret: SimulatorIdentity.demoClientSecret
                ),
                reconnect: CTraderReconnectPolicy(initialDelay: .milliseconds(50))
            )
        )
        try await client.connect()
        let token = SimulatorIdentity.demoAccessToken
        let account = Int64(try await client.accounts(accessToken: token)[0].ctidTraderAccountID)
        try await client.authorize(account: account, accessToken: token)
        let symbols = try await client.symbols(account: account).symbol
        let eurusd = try #require(symbols.first { $0.symbolName == "EURUSD" }).symbolID
        return (simulator, client, account, eurusd)
    }

    /// The server's own bars of the period, asked for by the test.
    static func history(
        _ client: CTraderClient, account: Int64, symbol: Int64, period: ProtoOATrendbarPeriod, to: Int64, count: UInt32
    ) async throws -> [ProtoOATrendbar] {
        var request = ProtoOAGetTrendbarsReq()
        request.ctidTraderAccountID = account
        request.symbolID = symbol
        request.period = period
        request.toTimestamp = to
        request.fromTimestamp = to - period.maximumRequestSpan
        request.count = count
        return try await client.send(request, expecting: ProtoOAGetTrendbarsRes.self).trendbar
    }

    /// The stream starts with the seeded history (the server's bars, the current one forming),
    /// then a quote set on the simulator shows as the forming bar's close and high.
    @Test func barsAreSeededFromHistoryAndFormFromSpots() async throws {
        let (simulator, client, account, eurusd) = try await Self.session()
        let seededAt = CTraderUnits.milliseconds(Date())
        // The simulator's live trendbars follow its model, not a quote set by hand: spots only.
        let stream = client.liveBars(
            account: account, symbol: eurusd, period: .h1,
            options: LiveBarsOptions(historyCount: 5, subscribesLiveTrendbar: false, now: { seededAt }))
        var iterator = stream.makeAsyncIterator()
        var seeded: [Bar] = []
        while seeded.count < 5, let bar = try await iterator.next() { seeded.append(bar) }
        #expect(seeded.dropLast().allSatisfy { $0.state == .confirmed })
        #expect(seeded.last?.state == .forming)
        // The same bars as the server gives the test (closed hours do not change).
        let server = try await Self.history(
            client, account: account, symbol: eurusd, period: .h1, to: seededAt, count: 5)
        let expected = server.compactMap { Bar($0, period: .h1, state: .confirmed) }
        #expect(seeded.dropLast().map(\.start) == expected.dropLast().map(\.start))
        for (bar, reference) in zip(seeded.dropLast(), expected) {
            #expect(
                [bar.open, bar.high, bar.low, bar.close, bar.volume]
                    == [reference.open, reference.high, reference.low, reference.close, reference.volume])
        }
        let starts = seeded.map(\.start)
        #expect(starts == starts.sorted() && Set(starts).count == 5)

        // A bid far above the hour's high: the forming bar's close and high become it.
        let forming = try #require(seeded.last)
        let bid = forming.high + 5_000
        await simulator.setQuote(symbolId: eurusd, bid: bid, ask: bid + 20)
        var seen: Bar?
        while let bar = try await iterator.next() {
            if bar.close == bid {
                seen = bar
                break
            }
        }
        #expect(seen?.high == bid)
        #expect(seen?.state == .forming)
        #expect((seen?.start ?? 0) >= forming.start)
        await client.shutdown()
        await simulator.stop()
    }

    /// After the connection drops, the session restores itself and the stream downloads the
    /// missed range again (a second `ProtoOAGetTrendbarsReq`), then goes on forming bars.
    @Test func aReconnectIsBackfilledFromHistory() async throws {
        let (simulator, client, account, eurusd) = try await Self.session()
        let stream = client.liveBars(
            account: account, symbol: eurusd, period: .m1,
            options: LiveBarsOptions(historyCount: 3, subscribesLiveTrendbar: false))
        var iterator = stream.makeAsyncIterator()
        var bars: [Int64: Bar] = [:]
        while bars.count < 3, let bar = try await iterator.next() { bars[bar.start] = bar }
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq) == 1)

        await simulator.faults.dropAllConnections()
        // The backfill request, then a tick after it (a quote that only a restored spot
        // subscription delivers).
        while await simulator.faults.receivedRequestCount(of: .protoOaGetTrendbarsReq) < 2 {
            guard let bar = try await iterator.next() else { break }
            bars[bar.start] = bar
        }
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaSubscribeSpotsReq) == 2)
        let bid: Int64 = 150_000
        await simulator.setQuote(symbolId: eurusd, bid: bid, ask: bid + 20)
        while let bar = try await iterator.next() {
            bars[bar.start] = bar
            if bar.close == bid { break }
        }
        let ordered = bars.values.sorted { $0.start < $1.start }
        #expect(ordered.last?.close == bid)
        #expect(ordered.dropLast().allSatisfy { $0.isClosed })
        await client.shutdown()
        await simulator.stop()
    }
}
