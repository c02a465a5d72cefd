// swift-ctrader: a connection that drops while a token refresh (2173) is in flight.

import CTraderMessaging
import CTraderSession
import Testing

@Suite(.timeLimit(.minutes(5))) struct TokenRefreshDropTests {
    @Test func anExplicitRefreshLostAtADropSaysTheRefreshTokenMayBeSpent() throws {
        var (machine, connection) = try readyMachine()
        var refresh = ProtoOARefreshTokenReq()
        refresh.refreshToken = "refresh-abcdefghijkl"
        let sent = machine.request(id(10), message: refresh, now: .zero).sent
        #expect(sent.first?.payloadType == .protoOaRefreshTokenReq)
        let actions = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "scripted drop"), now: .seconds(1))
        let error = try #require(actions.failure(of: id(10)))
        #expect(error.code == .outcomeUnknown)
        #expect(error.payloadType == .protoOaRefreshTokenReq)
        #expect(error.reason.contains("refresh token may be spent"))
        #expect(error.reason.contains("NOT re-sent"))
        // Never re-sent on the next connection.
        let next = try #require(machine.tick(now: .seconds(30)).opened.first)
        let appAuth = machine.connectionOpened(next, now: .seconds(30)).sent
        let afterAuth = machine.received(
            reply(ProtoOAApplicationAuthRes(), to: appAuth[0]), on: next, now: .seconds(30))
        #expect(!afterAuth.sent.contains { $0.payloadType == .protoOaRefreshTokenReq })
    }

    @Test func anAuthorizeThatWasRefreshingFailsTheSameWay() throws {
        var (machine, connection) = try readyMachine()
        let auth = machine.authorize(
            id(10), account: 5, accessToken: "expired-abcdefghijkl", refreshToken: "refresh-abcdefghijkl", now: .zero
        ).sent[0]
        let refresh = machine.received(errorReply("CH_ACCESS_TOKEN_INVALID", to: auth), on: connection, now: .zero).sent
        #expect(refresh.first?.message(as: ProtoOARefreshTokenReq.self)?.refreshToken == "refresh-abcdefghijkl")
        let actions = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "scripted drop"), now: .seconds(1))
        let error = try #require(actions.failure(of: id(10)))
        #expect(error.code == .outcomeUnknown)
        #expect(error.ctidTraderAccountId == 5)
        #expect(error.reason.contains("single-use refresh token"))
    }

    @Test func throughTheClientWithAScriptedDrop() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let connection = try await connectClient(client, server: server)
        async let refreshed = client.refreshToken("refresh-abcdefghijkl")
        let (request, _) = try await connection.expect(ProtoOARefreshTokenReq.self)
        #expect(request.refreshToken == "refresh-abcdefghijkl")
        // The server consumed the token; its answer is lost with the connection.
        await connection.close()
        do {
            _ = try await refreshed
            Issue.record("the refresh succeeded")
        } catch let error as CTraderError {
            #expect(error.code == .outcomeUnknown)
            #expect(error.reason.contains("refresh token may be spent"))
        }
        await client.shutdown()
    }
}
