// swift-ctrader: `CTraderAccounts` with a demo and a live simulator: each account's requests and
// subscriptions reach only its own server, and an unknown account is refused before anything is sent.

import CTrader
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(3))) struct FacadeTests {
    static let demoAccount = SimulatorIdentity.demoHedgedAccountId
    static let liveAccount: Int64 = 2_000_001

    /// The standard identity plus a live account granted by the same token: both servers know
    /// both accounts, as cTrader's demo and live servers list them.
    static var identity: SimulatorIdentity {
        var identity = SimulatorIdentity.standard
        identity.accounts.append(
            SimulatorIdentity.Account(ctidTraderAccountId: liveAccount, traderLogin: 7_000_001, isLive: true))
        identity.tokens[0].accountIds.append(liveAccount)
        return identity
    }

    static func startSimulator(seed: UInt64) async throws -> Simulator {
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        return try await Simulator.start(
            Simulator.Configuration(engine: .init(seed: seed, identity: identity)), logger: logger)
    }

    /// A client configuration for `simulator`; heartbeats far apart, so that the counts of what the
    /// servers received move only with requests.
    static func configuration(_ simulator: Simulator) -> CTraderClientConfiguration {
        CTraderClientConfiguration(
            endpoint: .url(simulator.url),
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
            heartbeatInterval: .seconds(3000),
            deadConnectionTimeout: .seconds(9000)
        )
    }

    struct Servers {
        let demo: Simulator
        let live: Simulator
        let accounts: CTraderAccounts

        static func start() async throws -> Servers {
            let demo = try await FacadeTests.startSimulator(seed: 1)
            let live = try await FacadeTests.startSimulator(seed: 2)
            let accounts = CTraderAccounts(
                configuration: .init(
                    environments: [.demo: FacadeTests.configuration(demo), .live: FacadeTests.configuration(live)]),
                accessToken: SimulatorIdentity.demoAccessToken
            )
            return Servers(demo: demo, live: live, accounts: accounts)
        }

        func stop() async {
            await accounts.shutdown()
            await demo.stop()
            await live.stop()
        }

        /// How many requests of `type` each server received.
        func counts(_ type: PayloadType) async -> (demo: Int, live: Int) {
            (await demo.faults.receivedRequestCount(of: type), await live.faults.receivedRequestCount(of: type))
        }
    }

    @Test func eachAccountsRequestsReachOnlyItsOwnServer() async throws {
        let servers = try await Servers.start()
        let accounts = servers.accounts

        // Nothing opens before it is needed.
        #expect(servers.demo.messageCounts.received == 0)
        #expect(servers.live.messageCounts.received == 0)

        let list = try await accounts.accounts()
        #expect(Set(list.map { Int64($0.ctidTraderAccountID) }).isSuperset(of: [Self.demoAccount, Self.liveAccount]))
        #expect(try await accounts.environment(of: Self.demoAccount) == .demo)
        #expect(try await accounts.environment(of: Self.liveAccount) == .live)
        #expect(await servers.counts(.protoOaGetAccountsByAccessTokenReq) == (1, 0))
        // The live connection is not opened by the account list.
        #expect(servers.live.messageCounts.received == 0)

        var live = ProtoOAReconcileReq()
        live.ctidTraderAccountID = Self.liveAccount
        _ = try await accounts.send(live, expecting: ProtoOAReconcileRes.self)
        #expect(await servers.counts(.protoOaReconcileReq) == (0, 1))
        #expect(await servers.counts(.protoOaAccountAuthReq) == (0, 1))

        var demo = ProtoOAReconcileReq()
        demo.ctidTraderAccountID = Self.demoAccount
        _ = try await accounts.send(demo, expecting: ProtoOAReconcileRes.self)
        _ = try await accounts.send(demo, expecting: ProtoOAReconcileRes.self)
        #expect(await servers.counts(.protoOaReconcileReq) == (2, 1))
        // Each account is authorized once, on its own server.
        #expect(await servers.counts(.protoOaAccountAuthReq) == (1, 1))

        var traderRequest = ProtoOATraderReq()
        traderRequest.ctidTraderAccountID = Self.liveAccount
        let trader = try await accounts.send(traderRequest, expecting: ProtoOATraderRes.self)
        #expect(trader.trader.ctidTraderAccountID == Self.liveAccount)
        #expect(await servers.counts(.protoOaTraderReq) == (0, 1))
        await servers.stop()
    }

    @Test func executionsAndSessionEventsMergeTaggedWithTheirEnvironment() async throws {
        let servers = try await Servers.start()
        let accounts = servers.accounts
        let sessionEvents = await accounts.sessionEvents()
        let executions = await accounts.executions()

        let order = { (account: Int64) in
            var order = ProtoOANewOrderReq()
            order.ctidTraderAccountID = account
            order.symbolID = 1
            order.orderType = .market
            order.tradeSide = .buy
            order.volume = 100_000
            return order
        }
        _ = try await accounts.send(order(Self.liveAccount), expecting: ProtoOAExecutionEvent.self)
        #expect(await servers.counts(.protoOaNewOrderReq) == (0, 1))
        _ = try await accounts.send(order(Self.demoAccount), expecting: ProtoOAExecutionEvent.self)
        #expect(await servers.counts(.protoOaNewOrderReq) == (1, 1))

        // Each connection's execution events carry its own accounts, tagged with its environment.
        var executed: Set<CTraderEnvironment> = []
        for try await tagged in executions {
            guard let event = tagged.event.message else { continue }
            let expected: CTraderEnvironment = event.ctidTraderAccountID == Self.liveAccount ? .live : .demo
            #expect(tagged.environment == expected)
            executed.insert(tagged.environment)
            if executed.count == 2 { break }
        }
        // Both connections became ready, each reported once with its environment.
        var ready: [CTraderEnvironment] = []
        for try await tagged in sessionEvents {
            if case .ready = tagged.event { ready.append(tagged.environment) }
            if ready.count == 2 { break }
        }
        #expect(Set(ready) == [.demo, .live])
        await servers.stop()
    }

    @Test func subscriptionsReachTheirOwnServerAndTheStreamsMerge() async throws {
        let servers = try await Servers.start()
        let accounts = servers.accounts
        let spots = await accounts.spots()
        try await accounts.subscribeSpots(account: Self.liveAccount, symbols: [1])
        #expect(await servers.counts(.protoOaSubscribeSpotsReq) == (0, 1))
        try await accounts.subscribeSpots(account: Self.demoAccount, symbols: [1, 2])
        #expect(await servers.counts(.protoOaSubscribeSpotsReq) == (1, 1))

        // Quotes of both servers arrive on the one stream, each tagged with where it came from.
        var seen: Set<CTraderEnvironment> = []
        for try await tagged in spots {
            guard let spot = tagged.event.message else { continue }
            let expected: CTraderEnvironment = spot.ctidTraderAccountID == Self.liveAccount ? .live : .demo
            #expect(tagged.environment == expected)
            if tagged.environment == .live { #expect(spot.symbolID == 1) }
            seen.insert(tagged.environment)
            if seen.count == 2 { break }
        }
        #expect(seen == [.demo, .live])

        try await accounts.unsubscribeSpots(account: Self.liveAccount, symbols: [1])
        #expect(await servers.counts(.protoOaUnsubscribeSpotsReq) == (0, 1))
        await servers.stop()
    }

    @Test func anUnknownAccountIsRefusedBeforeAnythingIsSent() async throws {
        let servers = try await Servers.start()
        let accounts = servers.accounts
        _ = try await accounts.accounts()
        // Both connections open, so that a refusal cannot hide behind a closed one.
        var demo = ProtoOAReconcileReq()
        demo.ctidTraderAccountID = Self.demoAccount
        _ = try await accounts.send(demo, expecting: ProtoOAReconcileRes.self)
        try await accounts.subscribeSpots(account: Self.liveAccount, symbols: [1])
        let before = (servers.demo.messageCounts.received, servers.live.messageCounts.received)

        var unknown = ProtoOAReconcileReq()
        unknown.ctidTraderAccountID = 4_242_424
        await #expect(throws: CTraderAccountsError.self) {
            _ = try await accounts.send(unknown, expecting: ProtoOAReconcileRes.self)
        }
        do {
            try await accounts.subscribeSpots(account: 4_242_424, symbols: [1])
            Issue.record("an unknown account's subscription was accepted")
        } catch let error as CTraderAccountsError {
            #expect(error.code == .unknownAccount)
            #expect(error.account == 4_242_424)
            #expect(error.knownAccounts.contains(Self.liveAccount))
            #expect("\(error)".contains("4242424"))
        }
        #expect(servers.demo.messageCounts.received == before.0)
        #expect(servers.live.messageCounts.received == before.1)
        await servers.stop()
    }

    @Test func anEnvironmentWithoutAnEndpointIsAClearError() async throws {
        let demo = try await Self.startSimulator(seed: 3)
        let accounts = CTraderAccounts(
            configuration: .init(environments: [.demo: Self.configuration(demo)]),
            accessToken: SimulatorIdentity.demoAccessToken)
        var live = ProtoOAReconcileReq()
        live.ctidTraderAccountID = Self.liveAccount
        do {
            _ = try await accounts.send(live, expecting: ProtoOAReconcileRes.self)
            Issue.record("a live request went out without a live endpoint")
        } catch let error as CTraderAccountsError {
            #expect(error.code == .environmentNotConfigured)
            #expect(error.environment == .live)
        }
        #expect(await demo.faults.receivedRequestCount(of: .protoOaReconcileReq) == 0)
        await accounts.shutdown()
        await demo.stop()
    }
}
