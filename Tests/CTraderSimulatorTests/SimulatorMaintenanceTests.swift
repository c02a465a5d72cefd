// swift-ctrader: the simulator answers the next requests with a scripted error (a transient
// error, a maintenance window), and the client retries them through its public API.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct SimulatorMaintenanceTests {
    @Test func theEngineAnswersTheNextRequestsOfATypeWithAScriptedError() throws {
        var harness = EngineHarness.ready()
        let end = harness.now + 60_000
        harness.engine.faults.scriptedErrors = [
            SimulatorEngine.ScriptedError(
                .serverIsUnderMaintenance, count: 2, of: .protoOaVersionReq, maintenanceEndTimestamp: end)
        ]
        for _ in 0..<2 {
            let answer = try #require(harness.request(ProtoOAVersionReq()).first)
            let error = try #require(answer.message(as: ProtoOAErrorRes.self))
            #expect(error.errorCode == "SERVER_IS_UNDER_MAINTENANCE")
            #expect(error.maintenanceEndTimestamp == end)
            #expect(answer.clientMsgId != nil)
        }
        // Other types are answered as usual meanwhile; after the two, so is the version.
        #expect(harness.request(ProtoOAVersionReq()).first?.payloadType == .protoOaVersionRes)
        #expect(harness.engine.faults.scriptedErrors.isEmpty)
        #expect(harness.engine.receivedRequestCounts[.protoOaVersionReq] == 3)
    }

    @Test func aScriptedErrorForAnyTypeNamesTheRequestsAccount() throws {
        var harness = EngineHarness.ready()
        harness.engine.faults.scriptedErrors = [SimulatorEngine.ScriptedError(.cantRouteRequest, count: 1)]
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.hedged
        let error = try #require(harness.request(trader).first?.message(as: ProtoOAErrorRes.self))
        #expect(error.errorCode == "CANT_ROUTE_REQUEST")
        #expect(error.ctidTraderAccountID == EngineHarness.hedged)
        #expect(!error.hasMaintenanceEndTimestamp)
        #expect(harness.request(trader).first?.payloadType == .protoOaTraderRes)
    }

    /// A client of `simulator` whose transient retries start at 20 ms.
    private static func retryingClient(_ simulator: Simulator) -> CTraderClient {
        var configuration = CTraderClientConfiguration(
            endpoint: .url(simulator.url),
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
            requestTimeout: .seconds(60)
        )
        configuration.transientRetry = CTraderRetryPolicy(
            initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100), jitterSeed: 5)
        return CTraderClient(configuration: configuration)
    }

    @Test func theClientRetriesCantRouteRequestAndSucceeds() async throws {
        try await withSimulatorClient(configure: Self.retryingClient) { simulator, client in
            try await client.connect()
            await simulator.faults.answerNextRequests(2, of: .protoOaVersionReq, withError: .cantRouteRequest)
            let version = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(version.version == "simulator-1.0")
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaVersionReq) == 3)
        }
    }

    @Test func theClientWaitsForTheMaintenanceEndThenSucceeds() async throws {
        try await withSimulatorClient(configure: Self.retryingClient) { simulator, client in
            try await client.connect()
            let end = Int64((Date().timeIntervalSince1970 * 1000).rounded()) + 300
            await simulator.faults.startMaintenance(answering: 1, of: .protoOaVersionReq, endingAt: end)
            _ = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            // The retry went out after the announced end, by the wall clock.
            #expect(Int64((Date().timeIntervalSince1970 * 1000).rounded()) >= end)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaVersionReq) == 2)
        }
    }

    @Test func aTradingRequestRefusedWithATransientErrorIsNotResent() async throws {
        try await withSimulatorClient(configure: Self.retryingClient) { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.faults.answerNextRequests(1, of: .protoOaNewOrderReq, withError: .chServerNotReachable)
            let error = await ctraderError { _ = try await client.send(order(.market)) }
            #expect(error?.errorCode == .chServerNotReachable)
            _ = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 1)
        }
    }

    @Test func wrongCredentialsGiveUpAtOnceWithoutReconnecting() async throws {
        try await withSimulatorClient(
            configure: { makeClient($0, clientSecret: "wrong-secret") }
        ) { simulator, client in
            let error = await ctraderError { try await client.connect() }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.errorCode == .chClientAuthFailure)
            #expect(error?.reason.contains("credentials") == true)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaApplicationAuthReq) == 1)
        }
    }
}
