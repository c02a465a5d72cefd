// swift-ctrader: an access token whose lifetime is known is refreshed before it expires.

import CTraderMessaging
import CTraderSession
import Testing

@Suite(.timeLimit(.minutes(5))) struct TokenRefreshAheadTests {
    private func refreshAnswer(_ n: Int, expiresIn: Int64) -> ProtoOARefreshTokenRes {
        var res = ProtoOARefreshTokenRes()
        res.accessToken = "access-\(n)-abcdefghijkl"
        res.refreshToken = "refresh-\(n)-abcdefghijkl"
        res.tokenType = "bearer"
        res.expiresIn = expiresIn
        return res
    }

    private func pair(_ n: Int, expiresIn: Int64) -> CTraderTokenPair {
        CTraderTokenPair(
            ctidTraderAccountId: 5,
            accessToken: "access-\(n)-abcdefghijkl",
            refreshToken: "refresh-\(n)-abcdefghijkl",
            expiresIn: expiresIn
        )
    }

    /// A ready machine with a 30 s margin where account 5 was refreshed at 1 s to a pair living
    /// 60 s, saved and authorized again.
    private func machineWithKnownLifetime(margin: Duration?) throws -> (Machine, Machine.ConnectionID) {
        var machine = Machine(
            configuration: Machine.Configuration(
                credentials: testCredentials,
                rateLimits: CTraderRateLimits(windowMargin: .zero),
                tokenRefreshMargin: margin
            )
        )
        let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
        let appAuth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
        _ = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: connection, now: .zero)
        let auth = machine.authorize(
            id(10), account: 5, accessToken: "access-0-abcdefghijkl", refreshToken: "refresh-0-abcdefghijkl", now: .zero
        ).sent[0]
        let refresh = machine.received(errorReply("CH_ACCESS_TOKEN_INVALID", to: auth), on: connection, now: .zero)
        _ = machine.received(
            reply(refreshAnswer(1, expiresIn: 60), to: refresh.sent[0]), on: connection, now: .seconds(1))
        let second = machine.tokensSaved(pair(1, expiresIn: 60), now: .seconds(1)).sent[0]
        #expect(
            machine.received(reply(ProtoOAAccountAuthRes(), to: second), on: connection, now: .seconds(1))
                .succeeded(id(10)))
        return (machine, connection)
    }

    @Test func theTokenIsRefreshedTheMarginBeforeItExpires() throws {
        var (machine, connection) = try machineWithKnownLifetime(margin: .seconds(30))
        // A heartbeat at 30 s; the refresh is the next deadline, at 1 + 60 - 30 = 31 s.
        let early = machine.tick(now: .seconds(30))
        #expect(!early.sent.contains { $0.payloadType == .protoOaRefreshTokenReq })
        #expect(machine.nextDeadline(now: .seconds(30)) == .seconds(31))
        let due = machine.tick(now: .seconds(31))
        let refresh = try #require(due.sent.first { $0.payloadType == .protoOaRefreshTokenReq })
        #expect(refresh.message(as: ProtoOARefreshTokenReq.self)?.refreshToken == "refresh-1-abcdefghijkl")
        // Due once: not sent again while it is answered.
        #expect(!machine.tick(now: .seconds(32)).sent.contains { $0.payloadType == .protoOaRefreshTokenReq })
        // The answer is saved first, then the account is authorized with the new access token.
        let answered = machine.received(
            reply(refreshAnswer(2, expiresIn: 60), to: refresh), on: connection, now: .seconds(33))
        #expect(answered.sent.isEmpty)
        #expect(answered.contains { if case .storeTokens(let p) = $0 { p == pair(2, expiresIn: 60) } else { false } })
        let saved = machine.tokensSaved(pair(2, expiresIn: 60), now: .seconds(33))
        let auth = try #require(saved.sent.first?.message(as: ProtoOAAccountAuthReq.self))
        #expect(auth.accessToken == "access-2-abcdefghijkl")
        _ = machine.received(reply(ProtoOAAccountAuthRes(), to: saved.sent[0]), on: connection, now: .seconds(33))
        #expect(machine.authorizedAccounts == [5])
        #expect(machine.nextDeadline(now: .seconds(33)).map { $0 <= .seconds(63) } == true)
    }

    @Test func withoutAMarginNothingIsRefreshedAhead() throws {
        var (machine, _) = try machineWithKnownLifetime(margin: nil)
        for second in stride(from: 10, through: 40, by: 10) {
            #expect(!machine.tick(now: .seconds(second)).sent.contains { $0.payloadType == .protoOaRefreshTokenReq })
        }
    }
}
