// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import Testing

@Suite("Engine: identity and authorization", .timeLimit(.minutes(5)))
struct EngineAuthTests {
    @Test func applicationAuthSucceedsWithTheDemoCredentials() {
        var h = EngineHarness()
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = SimulatorIdentity.demoClientId
        auth.clientSecret = SimulatorIdentity.demoClientSecret
        let replies = h.request(auth)
        #expect(replies.count == 1)
        #expect(h.json(replies[0]) == #"{"clientMsgId":"m1","payloadType":2101}"#)
    }

    @Test func wrongSecretIsClientAuthFailure() {
        var h = EngineHarness()
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = SimulatorIdentity.demoClientId
        auth.clientSecret = "wrong"
        let replies = h.request(auth)
        #expect(replies.first?.error?.errorCode == "CH_CLIENT_AUTH_FAILURE")
        #expect(replies.first?.error?.description_p == "clientId or clientSecret is incorrect")
        #expect(replies.first?.clientMsgId == "m1")
    }

    @Test func requestBeforeApplicationAuthIsRefused() {
        var h = EngineHarness()
        var req = ProtoOAGetAccountListByAccessTokenReq()
        req.accessToken = SimulatorIdentity.demoAccessToken
        #expect(h.request(req).first?.error?.errorCode == "CH_CLIENT_NOT_AUTHENTICATED")
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(trader).first?.error?.errorCode == "CH_CLIENT_NOT_AUTHENTICATED")
    }

    @Test func secondApplicationAuthIsRefused() {
        var h = EngineHarness()
        h.authorizeApplication()
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = SimulatorIdentity.demoClientId
        auth.clientSecret = SimulatorIdentity.demoClientSecret
        #expect(h.request(auth).first?.error?.errorCode == "CH_CLIENT_ALREADY_AUTHENTICATED")
    }

    @Test func accountAuthErrors() {
        var h = EngineHarness()
        h.authorizeApplication()
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = EngineHarness.hedged
        auth.accessToken = "not-a-token"
        let invalid = h.request(auth).first?.error
        #expect(invalid?.errorCode == "CH_ACCESS_TOKEN_INVALID")
        #expect(invalid?.ctidTraderAccountID == EngineHarness.hedged)

        auth.accessToken = SimulatorIdentity.demoAccessToken
        auth.ctidTraderAccountID = 999
        #expect(h.request(auth).first?.error?.errorCode == "CH_CTID_TRADER_ACCOUNT_NOT_FOUND")

        auth.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(auth).first?.message is ProtoOAAccountAuthRes)
        let again = h.request(auth).first?.error
        #expect(again?.errorCode == "ALREADY_LOGGED_IN")
        #expect(again?.description_p == "Trading account is already authorized in this channel")

        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.netted
        #expect(h.request(trader).first?.error?.errorCode == "ACCOUNT_NOT_AUTHORIZED")
        trader.ctidTraderAccountID = EngineHarness.hedged
        let res = h.request(trader).first?.message(as: ProtoOATraderRes.self)
        #expect(res?.trader.balance == 1_000_000)
        #expect(res?.trader.accountType == .hedged)
    }

    @Test func expiredTokenIsInvalid() {
        var identity = SimulatorIdentity.standard
        identity.tokens[0].expiresAt = 1
        var h = EngineHarness(configuration: .init(seed: 1, identity: identity))
        h.authorizeApplication()
        h.authorize()
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(trader).first?.error?.errorCode == "ACCOUNT_NOT_AUTHORIZED")
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = EngineHarness.hedged
        auth.accessToken = SimulatorIdentity.demoAccessToken
        let error = h.request(auth).first?.error
        #expect(error?.errorCode == "CH_ACCESS_TOKEN_INVALID")
        #expect(error?.description_p == "Access token expired")
    }

    @Test func accountListByToken() {
        var h = EngineHarness()
        h.authorizeApplication()
        var req = ProtoOAGetAccountListByAccessTokenReq()
        req.accessToken = SimulatorIdentity.demoAccessToken
        let res = h.request(req).first?.message(as: ProtoOAGetAccountListByAccessTokenRes.self)
        #expect(res?.ctidTraderAccount.map(\.ctidTraderAccountID) == [1_000_001, 1_000_002])
        #expect(res?.ctidTraderAccount.first?.traderLogin == 5_000_001)
        #expect(res?.permissionScope == .scopeTrade)
        req.accessToken = "nope"
        #expect(h.request(req).first?.error?.errorCode == "CH_ACCESS_TOKEN_INVALID")
    }

    @Test func refreshTokensAreSingleUse() {
        var h = EngineHarness()
        h.authorizeApplication()
        var req = ProtoOARefreshTokenReq()
        req.refreshToken = SimulatorIdentity.demoRefreshToken
        let res = h.request(req).first?.message(as: ProtoOARefreshTokenRes.self)
        #expect(res != nil)
        #expect(res?.accessToken != SimulatorIdentity.demoAccessToken)
        #expect(res?.tokenType == "bearer")
        #expect(h.request(req).first?.error?.errorCode == "CH_ACCESS_TOKEN_INVALID")
        // The new access token works, the old one does not.
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = EngineHarness.hedged
        auth.accessToken = SimulatorIdentity.demoAccessToken
        #expect(h.request(auth).first?.error?.errorCode == "CH_ACCESS_TOKEN_INVALID")
        auth.accessToken = res?.accessToken ?? ""
        #expect(h.request(auth).first?.message is ProtoOAAccountAuthRes)
        // And the new refresh token refreshes once.
        req.refreshToken = res?.refreshToken ?? ""
        #expect(h.request(req).first?.message is ProtoOARefreshTokenRes)
    }

    @Test func logoutAnswersThenDisconnects() {
        var h = EngineHarness.ready()
        var req = ProtoOAAccountLogoutReq()
        req.ctidTraderAccountID = EngineHarness.hedged
        let replies = h.request(req)
        #expect(replies.map(\.payloadType) == [.protoOaAccountLogoutRes, .protoOaAccountDisconnectEvent])
        #expect(replies[0].clientMsgId != nil)
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(trader).first?.error?.errorCode == "ACCOUNT_NOT_AUTHORIZED")
    }

    @Test func unauthenticatedConnectionIsClosedAfterTheTimeout() {
        var h = EngineHarness(configuration: .init(unauthenticatedTimeout: .seconds(2)))
        h.engine.connect(2, now: h.now)
        h.authorizeApplication(on: 2)
        #expect(h.tick(advancing: 1_000).isEmpty)
        let outputs = h.tick(advancing: 1_000)
        #expect(outputs.count == 1)
        if case .close(let id, _) = outputs.first { #expect(id == 1) } else { Issue.record("expected a close") }
    }

    @Test func heartbeatsFollowTheInterval() {
        var h = EngineHarness(configuration: .init(heartbeatInterval: .seconds(1)))
        h.authorizeApplication()
        #expect(EngineHarness.envelopes(h.tick(advancing: 500)).isEmpty)
        let beats = EngineHarness.envelopes(h.tick(advancing: 500))
        #expect(beats.map(\.payloadType) == [.heartbeatEvent])
        #expect(h.json(beats[0]) == #"{"payloadType":51}"#)
    }
}

@Suite("Engine: custom credentials", .timeLimit(.minutes(5)))
struct EngineCustomIdentityTests {
    @Test func demoIdentityWithOtherCredentials() {
        let identity = SimulatorIdentity.demo(
            clientId: "id", clientSecret: "secret", accessToken: "tok", refreshToken: "ref")
        var h = EngineHarness(configuration: .init(seed: 1, identity: identity))
        var app = ProtoOAApplicationAuthReq()
        app.clientID = SimulatorIdentity.demoClientId
        app.clientSecret = SimulatorIdentity.demoClientSecret
        #expect(h.request(app).first?.error?.errorCode == "CH_CLIENT_AUTH_FAILURE")
        app.clientID = "id"
        app.clientSecret = "secret"
        #expect(h.request(app).first?.payloadType == .protoOaApplicationAuthRes)
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = SimulatorIdentity.demoNettedAccountId
        auth.accessToken = "tok"
        #expect(h.request(auth).first?.payloadType == .protoOaAccountAuthRes)
    }
}
