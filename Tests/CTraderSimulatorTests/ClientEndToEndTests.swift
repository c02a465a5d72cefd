// swift-ctrader: end-to-end tests of the public CTraderClient against the in-process simulator.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging
import Testing

// MARK: - Harness

/// The demo identity plus a token that expired long ago (with a refresh token of its own).
let expiringIdentity: SimulatorIdentity = {
    var identity = SimulatorIdentity.standard
    identity.tokens.append(
        SimulatorIdentity.Token(
            accessToken: "expired-access-token",
            refreshToken: "expired-refresh-token",
            accountIds: [SimulatorIdentity.demoHedgedAccountId],
            expiresAt: 1
        )
    )
    return identity
}()

/// A simulator with fast timings: a 20 ms market tick.
func startFastSimulator(identity: SimulatorIdentity = .standard) async throws -> Simulator {
    try await Simulator.start(
        Simulator.Configuration(
            engine: SimulatorEngine.Configuration(seed: 7, identity: identity), tickInterval: .milliseconds(20))
    )
}

/// The wire a test's client speaks.
enum E2EWire: Sendable, CustomStringConvertible {
    case json
    case protobuf

    var description: String { self == .json ? "JSON over WebSocket" : "protobuf over TCP" }
}

/// A client of `simulator` with a fast reconnect policy, and whatever `adjust` changes. The request
/// timeout is generous: these tests are about answers, and a request may wait in the rate
/// limiter's queue for seconds while the whole suite loads two cores.
func makeClient(
    _ simulator: Simulator,
    wire: E2EWire = .json,
    clientSecret: String = SimulatorIdentity.demoClientSecret,
    requestTimeout: Duration = .seconds(60),
    rateLimits: CTraderRateLimits = CTraderRateLimits(),
    tokenStore: (@Sendable (CTraderTokenPair) async -> Void)? = nil,
    adjust: (inout CTraderClientConfiguration) -> Void = { _ in }
) -> CTraderClient {
    let endpoint: CTraderEndpoint =
        switch wire {
        case .json: .url(simulator.url)
        case .protobuf: .custom(.protobufTCP(host: "127.0.0.1", port: simulator.protobufPort!))
        }
    var configuration = CTraderClientConfiguration(
        endpoint: endpoint,
        wireFormat: wire == .json ? .json : .protobuf,
        credentials: CTraderCredentials(clientId: SimulatorIdentity.demoClientId, clientSecret: clientSecret),
        requestTimeout: requestTimeout,
        reconnect: CTraderReconnectPolicy(
            initialDelay: .milliseconds(20),
            maximumDelay: .milliseconds(200),
            maximumAttempts: 50,
            jitterSeed: 1
        ),
        rateLimits: rateLimits,
        tokenStore: tokenStore
    )
    adjust(&configuration)
    return CTraderClient(configuration: configuration)
}

/// Runs `body` with a fresh fast simulator and a client (not yet connected), then shuts both down.
func withSimulatorClient(
    wire: E2EWire = .json,
    identity: SimulatorIdentity = .standard,
    seconds: Int = 180,
    configure: @escaping @Sendable (Simulator) -> CTraderClient = { makeClient($0) },
    _ body: @escaping @Sendable (Simulator, CTraderClient) async throws -> Void
) async throws {
    let simulator = try await startFastSimulator(identity: identity)
    let client = configure(simulator)
    try await running(simulator, client, seconds: seconds) { try await body(simulator, client) }
}

/// Runs `body` within `seconds`, then shuts `client` and `simulator` down, also when it throws.
func running(
    _ simulator: Simulator,
    _ client: CTraderClient,
    seconds: Int = 180,
    _ body: @escaping @Sendable () async throws -> Void
) async throws {
    do {
        try await withTimeout(.seconds(seconds)) { try await body() }
    } catch {
        await client.shutdown()
        await simulator.stop()
        throw error
    }
    await client.shutdown()
    await simulator.stop()
}

/// The next message of the stream that matches `predicate` (reconnect markers are skipped).
func nextMessage<M: CTraderMessage>(
    _ iterator: inout CTraderEventStream<M>.AsyncIterator,
    where predicate: (M) -> Bool = { _ in true }
) async throws -> M {
    while let element = try await iterator.next() {
        if case .message(let message) = element, predicate(message) { return message }
    }
    throw EndOfStream()
}

struct EndOfStream: Error {}

/// The thrown error as a CTraderError.
func ctraderError(_ body: () async throws -> Void) async -> CTraderError? {
    do {
        try await body()
        return nil
    } catch let error as CTraderError {
        return error
    } catch {
        Issue.record("not a CTraderError: \(error)")
        return nil
    }
}

let hedged = SimulatorIdentity.demoHedgedAccountId
let netted = SimulatorIdentity.demoNettedAccountId
let eurusd: Int64 = 1

/// Connects and authorizes the hedged account with the demo token.
func connectAndAuthorize(_ client: CTraderClient, account: Int64 = hedged) async throws {
    try await client.connect()
    try await client.authorize(account: account, accessToken: SimulatorIdentity.demoAccessToken)
}

// MARK: - Authentication

@Suite("Client end to end: authentication", .timeLimit(.minutes(5)))
struct ClientEndToEndAuthTests {
    @Test func aRequestBeforeApplicationAuth() async throws {
        try await withSimulatorClient { simulator, client in
            // Through the client: nothing is sent before connect().
            let early = await ctraderError { _ = try await client.symbols(account: hedged) }
            #expect(early?.code == .notConnected)

            // On the wire, the server refuses any account request before 2100.
            let transport = try await TCPTransport.connect(
                host: "127.0.0.1", port: simulator.protobufPort!, logger: Logger(label: "test"))
            let channel = ProtobufChannel(transport: transport)
            var request = ProtoOASymbolsListReq()
            request.ctidTraderAccountID = hedged
            try await channel.send(Envelope(request, clientMsgId: "early"))
            let answer = try #require(try await channel.receive())
            let error = try #require(answer.message(as: ProtoOAErrorRes.self))
            #expect(error.errorCode == "CH_CLIENT_NOT_AUTHENTICATED")
            #expect(answer.clientMsgId == "early")
            await channel.close()

            // A request made while connecting waits for application auth and then succeeds.
            let statuses = client.statusUpdates()
            let connecting = Task { try await client.connect() }
            for await status in statuses {
                if case .connecting = status { break }
            }
            try await client.authorize(account: hedged, accessToken: SimulatorIdentity.demoAccessToken)
            try await connecting.value
            #expect(try await client.symbols(account: hedged).symbol.count > 0)
        }
    }

    @Test func aWrongSecretFailsPermanently() async throws {
        try await withSimulatorClient(configure: { makeClient($0, clientSecret: "wrong-secret") }) { _, client in
            let statuses = client.statusUpdates()
            let error = await ctraderError { try await client.connect() }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.errorCode == "CH_CLIENT_AUTH_FAILURE")
            // The server's text, then the session's explanation of the cause.
            #expect(error?.reason.hasPrefix("clientId or clientSecret is incorrect") == true)
            // No reconnect loop: the session reports failure, and later requests fail the same way.
            var sawFailed = false
            for await status in statuses {
                if case .reconnecting = status { Issue.record("reconnects after a permanent failure") }
                if case .failed(let failure) = status {
                    #expect(failure.errorCode == "CH_CLIENT_AUTH_FAILURE")
                    sawFailed = true
                    break
                }
            }
            #expect(sawFailed)
            let later = await ctraderError { _ = try await client.symbols(account: hedged) }
            #expect(later?.code == .authenticationFailed)
        }
    }

    @Test func anUnknownAccount() async throws {
        try await withSimulatorClient { _, client in
            try await client.connect()
            let error = await ctraderError {
                try await client.authorize(account: 42, accessToken: SimulatorIdentity.demoAccessToken)
            }
            #expect(error?.code == .serverError)
            #expect(error?.errorCode == "CH_CTID_TRADER_ACCOUNT_NOT_FOUND")
            #expect(error?.ctidTraderAccountId == 42)
            #expect(await client.authorizedAccounts.isEmpty)
            #expect(await client.isReady)
        }
    }

    @Test func anInvalidOrExpiredToken() async throws {
        try await withSimulatorClient(identity: expiringIdentity) { _, client in
            try await client.connect()
            let invalid = await ctraderError {
                try await client.authorize(account: hedged, accessToken: "not-a-token")
            }
            #expect(invalid?.code == .authenticationFailed)
            #expect(invalid?.errorCode == "CH_ACCESS_TOKEN_INVALID")
            #expect(invalid?.ctidTraderAccountId == hedged)

            let expired = await ctraderError {
                try await client.authorize(account: hedged, accessToken: "expired-access-token")
            }
            #expect(expired?.code == .authenticationFailed)
            #expect(expired?.errorCode == "CH_ACCESS_TOKEN_INVALID")
            #expect(expired?.reason.contains("expired") == true)
            // The session itself is fine.
            #expect(await client.isReady)
            #expect(await client.authorizedAccounts.isEmpty)
        }
    }

    @Test func anExpiredTokenIsRefreshedOnceAndStored() async throws {
        let stored = LockedBox<[CTraderTokenPair]>([])
        try await withSimulatorClient(
            identity: expiringIdentity,
            configure: { makeClient($0, tokenStore: { pair in stored.mutate { $0.append(pair) } }) }
        ) { _, client in
            try await client.connect()
            try await client.authorize(
                account: hedged, accessToken: "expired-access-token", refreshToken: "expired-refresh-token")
            #expect(await client.authorizedAccounts == [hedged])
            // The new pair reached the token store (awaited by shutdown at the latest).
            await client.shutdown()
            let pairs = stored.value
            #expect(pairs.count == 1)
            #expect(pairs.first?.ctidTraderAccountId == hedged)
            #expect(pairs.first?.accessToken.value.hasPrefix(SimulatorIdentity.demoAccessToken) == true)
            #expect(pairs.first?.refreshToken.value != "expired-refresh-token")
        }
    }

    @Test func alreadyLoggedInIsSuccess() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            // The second 2102 on the same connection gets ALREADY_LOGGED_IN from the server.
            let res = try await client.authorize(account: hedged, accessToken: SimulatorIdentity.demoAccessToken)
            #expect(res.ctidTraderAccountID == hedged)
            #expect(await client.authorizedAccounts == [hedged])

            // The same over a raw connection, to show the server really answers ALREADY_LOGGED_IN.
            let raw = try await JSONClient.connect(simulator)
            try await raw.authorize()
            var again = ProtoOAAccountAuthReq()
            again.ctidTraderAccountID = hedged
            again.accessToken = SimulatorIdentity.demoAccessToken
            try await raw.send(again, clientMsgId: "again")
            let answer = try await raw.next()
            #expect(answer?.message(as: ProtoOAErrorRes.self)?.errorCode == "ALREADY_LOGGED_IN")
            await raw.connection.close()
        }
    }

    @Test func aRequestForAnAccountThatIsNotAuthorized() async throws {
        try await withSimulatorClient { _, client in
            try await connectAndAuthorize(client, account: hedged)
            let error = await ctraderError { _ = try await client.symbols(account: netted) }
            #expect(error?.code == .serverError)
            #expect(error?.errorCode == "ACCOUNT_NOT_AUTHORIZED")
            #expect(error?.payloadType == .protoOaSymbolsListReq)
            #expect(error?.ctidTraderAccountId == netted)
        }
    }
}

/// A value behind a lock, for collecting from `@Sendable` closures.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every access holds `lock`.
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}

// MARK: - Market data

@Suite("Client end to end: market data", .timeLimit(.minutes(5)))
struct ClientEndToEndMarketDataTests {
    @Test(arguments: [E2EWire.json, .protobuf])
    func symbolsAndSymbolDetails(wire: E2EWire) async throws {
        try await withSimulatorClient(configure: { makeClient($0, wire: wire) }) { _, client in
            try await connectAndAuthorize(client)
            let list = try await client.symbols(account: hedged)
            let light = try #require(list.symbol.first { $0.symbolID == eurusd })
            #expect(light.symbolName == "EURUSD")
            #expect(list.symbol.count == 23)

            var request = ProtoOASymbolByIdReq()
            request.ctidTraderAccountID = hedged
            request.symbolID = [eurusd]
            let details = try await client.send(request, expecting: ProtoOASymbolByIdRes.self)
            let symbol = try #require(details.symbol.first)
            #expect(symbol.symbolID == eurusd)
            #expect(symbol.digits == 5)
            #expect(symbol.pipPosition == 4)
            #expect(symbol.minVolume == 100_000)
        }
    }

    @Test(arguments: [E2EWire.json, .protobuf])
    func spotSubscription(wire: E2EWire) async throws {
        try await withSimulatorClient(configure: { makeClient($0, wire: wire) }) { _, client in
            try await connectAndAuthorize(client)
            var spots = client.spots().makeAsyncIterator()
            try await client.subscribeSpots(account: hedged, symbols: [eurusd, 2])
            var seen: Set<Int64> = []
            while seen.count < 2 {
                let spot = try await nextMessage(&spots)
                #expect(spot.ctidTraderAccountID == hedged)
                seen.insert(spot.symbolID)
            }
            #expect(seen == [eurusd, 2])
            try await client.unsubscribeSpots(account: hedged, symbols: [eurusd, 2])
        }
    }

    @Test func trendbarsAndTickData() async throws {
        try await withSimulatorClient { _, client in
            try await connectAndAuthorize(client)
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            var bars = ProtoOAGetTrendbarsReq()
            bars.ctidTraderAccountID = hedged
            bars.symbolID = eurusd
            bars.period = .m1
            bars.fromTimestamp = now - 3_600_000
            bars.toTimestamp = now
            let trendbars = try await client.send(bars, expecting: ProtoOAGetTrendbarsRes.self)
            #expect(trendbars.period == .m1)
            #expect((59...61).contains(trendbars.trendbar.count))
            #expect(trendbars.trendbar.allSatisfy { $0.low > 0 && $0.volume >= 0 })

            var ticks = ProtoOAGetTickDataReq()
            ticks.ctidTraderAccountID = hedged
            ticks.symbolID = eurusd
            ticks.type = .bid
            ticks.fromTimestamp = now - 60_000
            ticks.toTimestamp = now
            let tickData = try await client.send(ticks, expecting: ProtoOAGetTickDataRes.self)
            #expect(!tickData.tickData.isEmpty)

            // A span over a week is refused with the server's error.
            ticks.fromTimestamp = now - 8 * 86_400_000
            let tooLong = await ctraderError { _ = try await client.send(ticks, expecting: ProtoOAGetTickDataRes.self) }
            #expect(tooLong?.code == .serverError)
        }
    }

    @Test func theClientSpacesRequestsToTheServersLimits() async throws {
        // The client runs at 40% of the server's limits (20/s and 2/s against 50/s and 5/s): the
        // simulator counts requests when it processes them, and under the whole suite's parallel
        // load on two cores it can fall behind by more than a second and then process a queue of
        // them at once. The wide margin keeps that jitter from turning the client's spacing into
        // a refusal, while the elapsed time still shows that the requests were spaced.
        try await withSimulatorClient(
            seconds: 90,
            configure: {
                makeClient(
                    $0,
                    rateLimits: CTraderRateLimits(
                        requestsPerSecond: 20, historicalRequestsPerSecond: 2, windowMargin: .milliseconds(100)))
            }
        ) { _, client in
            try await connectAndAuthorize(client)
            let clock = ContinuousClock()
            let start = clock.now
            // 120 ordinary requests at 20 per second: none is refused by the server.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<120 {
                    group.addTask {
                        var request = ProtoOATraderReq()
                        request.ctidTraderAccountID = hedged
                        _ = try await client.send(request, expecting: ProtoOATraderRes.self)
                    }
                }
                try await group.waitForAll()
            }
            // 120 at 20 per window of 1.1 s: at least 5 full windows.
            #expect(clock.now - start >= .seconds(5))
            // 11 historical requests at 2 per second: none is refused either.
            let historicalStart = clock.now
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<11 {
                    group.addTask {
                        var bars = ProtoOAGetTrendbarsReq()
                        bars.ctidTraderAccountID = hedged
                        bars.symbolID = eurusd
                        bars.period = .h1
                        bars.fromTimestamp = now - 86_400_000
                        bars.toTimestamp = now
                        _ = try await client.send(bars, expecting: ProtoOAGetTrendbarsRes.self)
                    }
                }
                try await group.waitForAll()
            }
            // 11 at 2 per window of 1.1 s: at least 5 full windows.
            #expect(clock.now - historicalStart >= .seconds(5))
        }
    }

    /// The simulator refuses 5 of the 10 (its limit is 5 historical requests per second) with
    /// `retryAfter` 1; the client sends them again after the pause, and all 10 succeed.
    @Test func theServersRateLimitRefusalsAreRetriedAfterRetryAfter() async throws {
        try await withSimulatorClient(
            configure: {
                makeClient(
                    $0, rateLimits: CTraderRateLimits(requestsPerSecond: 1_000, historicalRequestsPerSecond: 1_000))
            }
        ) { _, client in
            try await connectAndAuthorize(client)
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            let errors = try await withThrowingTaskGroup(of: CTraderError?.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        var bars = ProtoOAGetTrendbarsReq()
                        bars.ctidTraderAccountID = hedged
                        bars.symbolID = eurusd
                        bars.period = .h1
                        bars.fromTimestamp = now - 86_400_000
                        bars.toTimestamp = now
                        return await ctraderError {
                            _ = try await client.send(bars, expecting: ProtoOAGetTrendbarsRes.self)
                        }
                    }
                }
                var errors: [CTraderError] = []
                for try await error in group { if let error { errors.append(error) } }
                return errors
            }
            #expect(errors.isEmpty)
            // The client paused its queue for retryAfter; the next request succeeds.
            var trader = ProtoOATraderReq()
            trader.ctidTraderAccountID = hedged
            _ = try await client.send(trader, expecting: ProtoOATraderRes.self)
        }
    }
}

// MARK: - Trading

/// A new order for the hedged account on EURUSD (without a `clientOrderId` when it is `nil`).
func order(
    _ type: ProtoOAOrderType, side: ProtoOATradeSide = .buy, volume: Int64 = 100_000, clientOrderId: String? = nil
) -> ProtoOANewOrderReq {
    var order = ProtoOANewOrderReq()
    order.ctidTraderAccountID = hedged
    order.symbolID = eurusd
    order.orderType = type
    order.tradeSide = side
    order.volume = volume
    if let clientOrderId { order.clientOrderID = clientOrderId }
    return order
}

@Suite("Client end to end: trading", .timeLimit(.minutes(5)))
struct ClientEndToEndTradingTests {
    @Test(arguments: [E2EWire.json, .protobuf])
    func aMarketOrderWithRelativeStopsIsAcceptedThenFilled(wire: E2EWire) async throws {
        try await withSimulatorClient(configure: { makeClient($0, wire: wire) }) { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            var executions = client.executions().makeAsyncIterator()
            var market = order(.market, clientOrderId: "market-1")
            market.relativeStopLoss = 500  // 50 pips
            market.relativeTakeProfit = 1_000
            let accepted = try await client.placeOrder(market)
            #expect(accepted.executionType == .orderAccepted)
            #expect(accepted.order.clientOrderID == "market-1")
            let orderId = accepted.order.orderID

            // The answer is on the stream too, then the fill.
            let first = try await nextMessage(&executions)
            #expect(first.executionType == .orderAccepted && first.order.orderID == orderId)
            let filled = try await nextMessage(&executions) { $0.order.orderID == orderId }
            #expect(filled.executionType == .orderFilled)
            #expect(filled.order.orderStatus == .orderStatusFilled)
            #expect(filled.deal.executionPrice == 1.08506)
            #expect(filled.position.positionStatus == .positionStatusOpen)
            #expect(filled.position.tradeData.volume == 100_000)
            #expect(filled.position.stopLoss == 1.08006)
            #expect(filled.position.takeProfit == 1.09506)
        }
    }

    @Test func aLimitOrderWithStopsFillsWhenThePriceComesDown() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            var executions = client.executions().makeAsyncIterator()
            var limit = order(.limit, clientOrderId: "limit-1")
            limit.limitPrice = 1.08
            limit.stopLoss = 1.07
            limit.takeProfit = 1.09
            let accepted = try await client.placeOrder(limit)
            #expect(accepted.executionType == .orderAccepted)
            #expect(accepted.order.orderType == .limit)
            let orderId = accepted.order.orderID

            let pending = try await client.reconcile(account: hedged)
            #expect(pending.order.map(\.orderID) == [orderId])
            #expect(pending.position.isEmpty)

            await simulator.setQuote(symbolId: eurusd, bid: 107_990, ask: 107_995)
            let filled = try await nextMessage(&executions) {
                $0.order.orderID == orderId && $0.executionType == .orderFilled
            }
            #expect(filled.isServerEvent)
            #expect(filled.position.stopLoss == 1.07)
            #expect(filled.position.takeProfit == 1.09)
            #expect(filled.deal.executionPrice == 1.07995)
        }
    }

    @Test func aStopOrderFillsWhenThePriceRises() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            var executions = client.executions().makeAsyncIterator()
            var stop = order(.stop, side: .sell, clientOrderId: "stop-1")
            stop.stopPrice = 1.08
            stop.stopLoss = 1.09
            let accepted = try await client.placeOrder(stop)
            #expect(accepted.executionType == .orderAccepted)
            let orderId = accepted.order.orderID
            await simulator.setQuote(symbolId: eurusd, bid: 107_990, ask: 107_996)
            let filled = try await nextMessage(&executions) {
                $0.order.orderID == orderId && $0.executionType == .orderFilled
            }
            #expect(filled.position.tradeData.tradeSide == .sell)
            #expect(filled.position.stopLoss == 1.09)
            #expect(filled.deal.executionPrice == 1.0799)
        }
    }

    @Test func aStopLimitOrderFillsWithinItsSlippage() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            var executions = client.executions().makeAsyncIterator()
            var stopLimit = order(.stopLimit, clientOrderId: "stop-limit-1")
            stopLimit.stopPrice = 1.09
            stopLimit.slippageInPoints = 50
            stopLimit.takeProfit = 1.1
            let accepted = try await client.placeOrder(stopLimit)
            #expect(accepted.executionType == .orderAccepted)
            #expect(accepted.order.orderType == .stopLimit)
            let orderId = accepted.order.orderID
            // Beyond the slippage: not filled; within it: filled.
            await simulator.setQuote(symbolId: eurusd, bid: 109_100, ask: 109_106)
            var reconcile = try await client.reconcile(account: hedged)
            #expect(reconcile.order.map(\.orderID) == [orderId])
            await simulator.setQuote(symbolId: eurusd, bid: 108_998, ask: 109_004)
            let filled = try await nextMessage(&executions) {
                $0.order.orderID == orderId && $0.executionType == .orderFilled
            }
            #expect(filled.deal.executionPrice == 1.09004)
            #expect(filled.position.takeProfit == 1.1)
            reconcile = try await client.reconcile(account: hedged)
            #expect(reconcile.order.isEmpty)
            #expect(reconcile.position.map(\.positionID) == [filled.position.positionID])
        }
    }

    @Test func aRefusedOrderIsAnOrderError() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            var orderErrors = client.orderErrors().makeAsyncIterator()
            await simulator.faults.rejectOrders(withErrorCode: "MARKET_CLOSED")
            let error = await ctraderError {
                _ = try await client.placeMarketOrder(account: hedged, symbol: eurusd, side: .buy, volume: 100_000)
            }
            #expect(error?.code == .orderError)
            #expect(error?.errorCode == "MARKET_CLOSED")
            #expect(error?.orderError?.ctidTraderAccountID == hedged)
            #expect(try await nextMessage(&orderErrors).errorCode == "MARKET_CLOSED")
        }
    }

    @Test func aPartialCloseThenReconcileAndDealList() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            let start = Int64(Date().timeIntervalSince1970 * 1_000) - 1_000
            var executions = client.executions().makeAsyncIterator()
            let accepted = try await client.placeMarketOrder(
                account: hedged, symbol: eurusd, side: .buy, volume: 300_000, clientOrderId: "to-close")
            let opened = try await nextMessage(&executions) {
                $0.order.orderID == accepted.order.orderID && $0.executionType == .orderFilled
            }
            let positionId = opened.position.positionID

            await simulator.setQuote(symbolId: eurusd, bid: 108_600, ask: 108_606)
            let closing = try await client.closePosition(account: hedged, positionId: positionId, volume: 100_000)
            #expect(closing.executionType == .orderAccepted)
            #expect(closing.order.closingOrder)
            let closed = try await nextMessage(&executions) {
                $0.order.orderID == closing.order.orderID && $0.executionType == .orderFilled
            }
            #expect(closed.position.positionID == positionId)
            #expect(closed.position.positionStatus == .positionStatusOpen)
            #expect(closed.position.tradeData.volume == 200_000)
            #expect(closed.deal.closePositionDetail.closedVolume == 100_000)
            #expect(closed.deal.closePositionDetail.grossProfit > 0)

            let state = try await client.reconcile(account: hedged)
            #expect(state.position.count == 1)
            #expect(state.position.first?.positionID == positionId)
            #expect(state.position.first?.tradeData.volume == 200_000)
            #expect(state.order.isEmpty)

            var deals = ProtoOADealListReq()
            deals.ctidTraderAccountID = hedged
            deals.fromTimestamp = start
            deals.toTimestamp = Int64(Date().timeIntervalSince1970 * 1_000) + 1_000
            let list = try await client.send(deals, expecting: ProtoOADealListRes.self)
            #expect(list.deal.count == 2)
            #expect(Set(list.deal.map(\.positionID)) == [positionId])
            #expect(list.deal.contains { $0.hasClosePositionDetail && $0.volume == 100_000 })
        }
    }
}

// MARK: - Reconnect

@Suite("Client end to end: reconnect", .timeLimit(.minutes(5)))
struct ClientEndToEndReconnectTests {
    @Test(arguments: [E2EWire.json, .protobuf])
    func aDropRestoresAuthAndTheSpotSubscription(wire: E2EWire) async throws {
        try await withSimulatorClient(configure: { makeClient($0, wire: wire) }) { simulator, client in
            try await connectAndAuthorize(client)
            let statuses = client.statusUpdates()
            var spots = client.spots().makeAsyncIterator()
            try await client.subscribeSpots(account: hedged, symbols: [eurusd])
            _ = try await nextMessage(&spots)
            #expect(await simulator.connectionCount == 1)

            await simulator.faults.dropAllConnections()

            // The spot stream reports the gap, then quotes resume on the new connection.
            var gap: Duration?
            while gap == nil {
                guard let element = try await spots.next() else { throw EndOfStream() }
                if case .reconnected(let missed) = element { gap = missed }
            }
            #expect(gap! > .zero)
            let resumed = try await nextMessage(&spots)
            #expect(resumed.symbolID == eurusd)
            #expect(await client.isReady)
            #expect(await client.authorizedAccounts == [hedged])
            var sawLost = false
            for await status in statuses {
                if case .connectionLost = status { sawLost = true }
                if case .reconnected = status { break }
            }
            #expect(sawLost)
            // The restored account works.
            #expect(try await client.reconcile(account: hedged).ctidTraderAccountID == hedged)
        }
    }
}
