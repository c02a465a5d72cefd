// swift-ctrader: `ctrader accounts` with a demo and a live simulator lists the accounts of both,
// each live one's balance asked on the live server only.

import CTrader
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(5))) struct AccountsEnvironmentsTests {
    static let liveAccount: Int64 = 2_000_001

    /// Both servers know the standard demo accounts and one live account, all granted by the demo token.
    static func startSimulator(seed: UInt64) async throws -> Simulator {
        var identity = SimulatorIdentity.standard
        identity.accounts.append(
            SimulatorIdentity.Account(
                ctidTraderAccountId: liveAccount, traderLogin: 7_000_001, isLive: true, balance: 2_500_000))
        identity.tokens[0].accountIds.append(liveAccount)
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        return try await Simulator.start(
            Simulator.Configuration(engine: .init(seed: seed, identity: identity)), logger: logger)
    }

    static let credentials = [
        "--client-id", SimulatorIdentity.demoClientId, "--client-secret", SimulatorIdentity.demoClientSecret,
        "--access-token", SimulatorIdentity.demoAccessToken, "--timeout", "60",
    ]

    @Test func accountsListsBothEnvironments() async throws {
        let demo = try await Self.startSimulator(seed: 1)
        let live = try await Self.startSimulator(seed: 2)
        defer {
            Task {
                await demo.stop()
                await live.stop()
            }
        }
        let running = try RunningCTrader(
            ["accounts", "--json", "--endpoint", demo.url] + Self.credentials,
            environment: ["CTRADER_LIVE_ENDPOINT": live.url, "CTRADER_PROFILE": "", "CTRADER_CONFIG": "/nonexistent"]
        )
        let result = await running.result()
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
        let byId = Dictionary(
            uniqueKeysWithValues: objects.map { (($0["ctidTraderAccountId"] as? NSNumber)?.int64Value ?? 0, $0) })
        #expect(
            Set(byId.keys) == [
                SimulatorIdentity.demoHedgedAccountId, SimulatorIdentity.demoNettedAccountId, Self.liveAccount,
            ])
        #expect(byId[Self.liveAccount]?["environment"] as? String == "live")
        #expect(byId[SimulatorIdentity.demoHedgedAccountId]?["environment"] as? String == "demo")
        #expect((byId[Self.liveAccount]?["balance"] as? NSNumber)?.doubleValue == 25_000)
        // The live account was authorized and asked on the live server, not the demo one.
        #expect(await live.faults.receivedRequestCount(of: .protoOaAccountAuthReq) == 1)
        #expect(await live.faults.receivedRequestCount(of: .protoOaTraderReq) == 1)
        #expect(await demo.faults.receivedRequestCount(of: .protoOaAccountAuthReq) == 1)
        #expect(await live.faults.receivedRequestCount(of: .protoOaGetAccountsByAccessTokenReq) == 0)

        // The table shows the environment column.
        let table = try await CTraderBinary.runAsync(["accounts", "--endpoint", demo.url] + Self.credentials)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("environment"), "\(table.stdout)")
    }

    @Test func anUnreachableOtherEnvironmentIsAWarning() async throws {
        let demo = try await Self.startSimulator(seed: 4)
        defer { Task { await demo.stop() } }
        // Port 9 (discard): nothing listens there.
        let running = try RunningCTrader(
            ["accounts", "--json", "--endpoint", demo.url] + Self.credentials,
            environment: [
                "CTRADER_LIVE_ENDPOINT": "ws://127.0.0.1:9", "CTRADER_PROFILE": "", "CTRADER_CONFIG": "/nonexistent",
            ]
        )
        let result = await running.result()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: no balance for the live accounts"), "\(result.stderr)")
        let objects = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
        let live = try #require(
            objects.first { ($0["ctidTraderAccountId"] as? NSNumber)?.int64Value == Self.liveAccount })
        #expect(live["balance"] == nil)
        #expect(live["environment"] as? String == "live")
    }

    @Test func oneEnvironmentKeepsTheFormat() async throws {
        let demo = try await Self.startSimulator(seed: 3)
        defer { Task { await demo.stop() } }
        var identityLess = try await CTraderBinary.runAsync(
            ["accounts", "--json", "--endpoint", demo.url] + Self.credentials)
        #expect(identityLess.status == 0, "\(identityLess.stderr)")
        // Without a live endpoint the live account is listed, without a balance; no second server is tried.
        let objects = try #require(
            try JSONSerialization.jsonObject(with: Data(identityLess.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 3)
        identityLess = try await CTraderBinary.runAsync(["accounts"])
        #expect(identityLess.status == 0, "\(identityLess.stderr)")
        #expect(!identityLess.stdout.contains("environment"))
    }
}
