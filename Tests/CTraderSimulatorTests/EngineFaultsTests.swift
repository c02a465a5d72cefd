// swift-ctrader: simulator tests: the engine's fault hooks that end things on purpose.

import CTraderMessaging
import CTraderSimulator
import Testing

@Suite("Engine: faults", .timeLimit(.minutes(5)))
struct EngineFaultsTests {
    private func trader(_ account: Int64) -> ProtoOATraderReq {
        var req = ProtoOATraderReq()
        req.ctidTraderAccountID = account
        return req
    }

    @Test func invalidatingTokensLogsTheAccountsOutAndRefusesTheToken() throws {
        var h = EngineHarness.ready()
        let outputs = h.engine.invalidateTokens(of: [EngineHarness.hedged], reason: "revoked")
        let event = try #require(
            EngineHarness.envelopes(outputs).first?.message(as: ProtoOAAccountsTokenInvalidatedEvent.self)
        )
        #expect(event.ctidTraderAccountIds == [EngineHarness.hedged])
        #expect(event.reason == "revoked")
        #expect(h.request(trader(EngineHarness.hedged)).first?.error?.errorCode == "ACCOUNT_NOT_AUTHORIZED")
        // The other account of the connection stays authorized.
        #expect(h.request(trader(EngineHarness.netted)).first?.message(as: ProtoOATraderRes.self) != nil)
        // The token is refused from now on, and the use counted; its refresh token still works.
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = EngineHarness.hedged
        auth.accessToken = SimulatorIdentity.demoAccessToken
        #expect(h.request(auth).first?.error?.errorCode == "CH_ACCESS_TOKEN_INVALID")
        #expect(h.engine.revokedTokenUses == 1)
        var refresh = ProtoOARefreshTokenReq()
        refresh.refreshToken = SimulatorIdentity.demoRefreshToken
        #expect(h.request(refresh).first?.message(as: ProtoOARefreshTokenRes.self) != nil)
    }

    @Test func disconnectingAnAccountLogsItOutAndKeepsTheConnection() throws {
        var h = EngineHarness.ready()
        var spots = ProtoOASubscribeSpotsReq()
        spots.ctidTraderAccountID = EngineHarness.hedged
        spots.symbolID = [1]
        _ = h.request(spots)
        let outputs = h.engine.disconnectAccount(EngineHarness.hedged)
        let event = try #require(
            EngineHarness.envelopes(outputs).first?.message(as: ProtoOAAccountDisconnectEvent.self)
        )
        #expect(event.ctidTraderAccountID == EngineHarness.hedged)
        #expect(!outputs.contains { if case .close = $0 { true } else { false } })
        #expect(h.request(trader(EngineHarness.hedged)).first?.error?.errorCode == "ACCOUNT_NOT_AUTHORIZED")
        // Its subscriptions ended: no spot event for it any more.
        let spotsAfter = EngineHarness.envelopes(h.tick(advancing: 1_000)).compactMap {
            $0.message(as: ProtoOASpotEvent.self)
        }
        #expect(!spotsAfter.contains { $0.ctidTraderAccountID == EngineHarness.hedged })
        h.authorize(account: EngineHarness.hedged)
        #expect(h.request(trader(EngineHarness.hedged)).first?.message(as: ProtoOATraderRes.self) != nil)
    }

    @Test func disconnectingClientsSendsTheReasonThenCloses() throws {
        var h = EngineHarness.ready()
        let outputs = h.engine.disconnectClients(reason: "restart")
        #expect(outputs.count == 2)
        let event = try #require(
            EngineHarness.envelopes(outputs).first?.message(as: ProtoOAClientDisconnectEvent.self)
        )
        #expect(event.reason == "restart")
        guard case .close(1, _) = outputs.last else {
            Issue.record("no close after the event: \(outputs)")
            return
        }
        #expect(h.engine.connectionIDs.isEmpty)
    }

    @Test func refusalsTakeAnyErrorCodeAndWithheldAnswersCountDown() {
        var h = EngineHarness.ready()
        h.engine.faults.refusedRequests[.protoOaTraderReq] = 1
        h.engine.faults.refusalErrorCodes[.protoOaTraderReq] = .serverIsUnderMaintenance
        h.engine.faults.refusalRetryAfter = nil
        let refused = h.request(trader(EngineHarness.hedged)).first?.error
        #expect(refused?.errorCode == "SERVER_IS_UNDER_MAINTENANCE")
        #expect(refused?.hasRetryAfter == false)
        h.engine.faults.withheldNextRequests[.protoOaTraderReq] = 1
        #expect(h.request(trader(EngineHarness.hedged)).isEmpty)
        #expect(h.request(trader(EngineHarness.hedged)).first?.message(as: ProtoOATraderRes.self) != nil)
    }
}
