// swift-ctrader: the session machine's recovery from what the server ends (2147, 2164, 2148), in
// virtual time.

import CTraderMessaging
import CTraderSession
import Testing

extension Array where Element == SessionStateMachine.Action {
    var sessionEvents: [CTraderSessionEvent] {
        compactMap { if case .sessionEvent(let event) = $0 { event } else { nil } }
    }
    var storedPairs: [CTraderTokenPair] {
        compactMap { if case .storeTokens(let pair) = $0 { pair } else { nil } }
    }
}

/// A ready machine with account 5 authorized (with a refresh token when given) and subscribed to
/// the spots of symbol 1; the re-authorization backoff is 1 s, doubling, at most 3 attempts.
private func machineWithAccount(
    refreshToken: CTraderSecret? = "refresh-abcdefghijkl"
) throws -> (Machine, Machine.ConnectionID) {
    var configuration = Machine.Configuration(
        credentials: testCredentials,
        reconnect: CTraderReconnectPolicy(maximumAttempts: 3, jitterSeed: 7),
        rateLimits: CTraderRateLimits(windowMargin: .zero)
    )
    configuration.accountReauthorization = CTraderReconnectPolicy(
        initialDelay: .seconds(1), jitter: 0, maximumAttempts: 3
    )
    var machine = Machine(configuration: configuration)
    let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
    let appAuth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
    _ = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: connection, now: .zero)
    let auth = machine.authorize(
        id(2), account: 5, accessToken: "access-abcdefghijkl", refreshToken: refreshToken, now: .zero
    ).sent[0]
    var authRes = ProtoOAAccountAuthRes()
    authRes.ctidTraderAccountID = 5
    #expect(machine.received(reply(authRes, to: auth), on: connection, now: .zero).succeeded(id(2)))
    var spots = ProtoOASubscribeSpotsReq()
    spots.ctidTraderAccountID = 5
    spots.symbolID = [1]
    let subscribe = machine.request(id(3), message: spots, now: .zero).sent[0]
    var spotsRes = ProtoOASubscribeSpotsRes()
    spotsRes.ctidTraderAccountID = 5
    #expect(machine.received(reply(spotsRes, to: subscribe), on: connection, now: .zero).succeeded(id(3)))
    return (machine, connection)
}

private func authorized(_ request: Envelope) -> Envelope {
    var res = ProtoOAAccountAuthRes()
    res.ctidTraderAccountID = request.message(as: ProtoOAAccountAuthReq.self)?.ctidTraderAccountID ?? 0
    return reply(res, to: request)
}

private func refreshed(_ request: Envelope, access: String, refresh: String) -> Envelope {
    var res = ProtoOARefreshTokenRes()
    res.accessToken = access
    res.refreshToken = refresh
    res.expiresIn = 3600
    return reply(res, to: request)
}

@Suite(.timeLimit(.minutes(5))) struct SessionRecoveryTests {
    @Test func anAccountDisconnectEventAuthorizesAgainAfterTheBackoffAndResubscribes() throws {
        var (machine, connection) = try machineWithAccount()
        var event = ProtoOAAccountDisconnectEvent()
        event.ctidTraderAccountID = 5
        let ended = machine.received(Envelope(event), on: connection, now: .seconds(5))
        #expect(ended.sent.isEmpty)
        #expect(machine.authorizedAccounts.isEmpty)
        #expect(machine.isReady)
        #expect(ended.sessionEvents.contains { if case .accountSessionEnded(5, _) = $0 { true } else { false } })
        #expect(machine.nextDeadline(now: .seconds(5)) == .seconds(6))
        #expect(machine.tick(now: .milliseconds(5_500)).sent.isEmpty)
        let auth = try #require(machine.tick(now: .seconds(6)).sent.first)
        #expect(auth.message(as: ProtoOAAccountAuthReq.self)?.accessToken == "access-abcdefghijkl")
        let answered = machine.received(authorized(auth), on: connection, now: .seconds(6))
        #expect(answered.sent.first?.message(as: ProtoOASubscribeSpotsReq.self)?.symbolID == [1])
        #expect(answered.sessionEvents.contains { if case .accountAuthorized(5) = $0 { true } else { false } })
        #expect(machine.authorizedAccounts == [5])
    }

    @Test func reauthorizationsBackOffAndStopAfterTheirAttemptsButTheAccountIsKept() throws {
        var (machine, connection) = try machineWithAccount()
        var event = ProtoOAAccountDisconnectEvent()
        event.ctidTraderAccountID = 5
        _ = machine.received(Envelope(event), on: connection, now: .zero)
        var now = Duration.zero
        var delays: [Duration] = []
        for _ in 0..<3 {
            let deadline = try #require(machine.nextDeadline(now: now))
            delays.append(deadline - now)
            now = deadline
            let auth = try #require(machine.tick(now: now).sent.first)
            let refused = machine.received(errorReply("INVALID_REQUEST", to: auth), on: connection, now: now)
            #expect(
                refused.sessionEvents.contains { if case .restoreFailed(.account(5), _) = $0 { true } else { false } })
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4)])
        // The attempts are spent: no more on this connection (only the heartbeat's deadlines).
        #expect(!machine.tick(now: now + .seconds(30)).sent.contains { $0.payloadType == .protoOaAccountAuthReq })
        // The next connection restores it.
        _ = machine.connectionClosed(connection, error: CTraderError(code: .connectionLost, reason: "x"), now: now)
        let next = try #require(machine.tick(now: now + .seconds(120)).opened.first)
        let appAuth = machine.connectionOpened(next, now: now + .seconds(120)).sent[0]
        let restored = machine.received(
            reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: now + .seconds(120))
        #expect(restored.sent.first?.message(as: ProtoOAAccountAuthReq.self)?.ctidTraderAccountID == 5)
    }

    @Test func anInvalidatedTokenIsRefreshedSavedThenUsed() throws {
        var (machine, connection) = try machineWithAccount()
        var event = ProtoOAAccountsTokenInvalidatedEvent()
        event.ctidTraderAccountIds = [5]
        event.reason = "revoked"
        let invalidated = machine.received(Envelope(event), on: connection, now: .seconds(1))
        let refresh = try #require(invalidated.sent.first)
        #expect(refresh.message(as: ProtoOARefreshTokenReq.self)?.refreshToken == "refresh-abcdefghijkl")
        #expect(!invalidated.sent.contains { $0.payloadType == .protoOaAccountAuthReq })
        let answered = machine.received(
            refreshed(refresh, access: "new-access-abcdefghijkl", refresh: "new-refresh-abcdefghijkl"),
            on: connection, now: .seconds(1)
        )
        let pair = try #require(answered.storedPairs.first)
        #expect(answered.sent.isEmpty)
        let saved = machine.tokensSaved(pair, now: .seconds(2))
        #expect(saved.sessionEvents.contains { if case .tokenRefreshed(5) = $0 { true } else { false } })
        let auth = try #require(saved.sent.first?.message(as: ProtoOAAccountAuthReq.self))
        #expect(auth.accessToken == "new-access-abcdefghijkl")
    }

    @Test func aDropWhileARefreshedPairIsSavedRestoresWithTheNewPairOnceSaved() throws {
        var (machine, connection) = try machineWithAccount()
        var event = ProtoOAAccountsTokenInvalidatedEvent()
        event.ctidTraderAccountIds = [5]
        let refresh = try #require(machine.received(Envelope(event), on: connection, now: .seconds(1)).sent.first)
        let answered = machine.received(
            refreshed(refresh, access: "new-access-abcdefghijkl", refresh: "new-refresh-abcdefghijkl"),
            on: connection, now: .seconds(1)
        )
        let pair = try #require(answered.storedPairs.first)
        // The connection drops while the pair is being saved.
        _ = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "x"), now: .seconds(2))
        let next = try #require(machine.tick(now: .seconds(10)).opened.first)
        let appAuth = machine.connectionOpened(next, now: .seconds(10)).sent[0]
        let authenticated = machine.received(
            reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: .seconds(10))
        // Neither the old token nor the unsaved new one is sent; the session waits for the save.
        #expect(!authenticated.sent.contains { $0.payloadType == .protoOaAccountAuthReq })
        #expect(!machine.isReady)
        let saved = machine.tokensSaved(pair, now: .seconds(11))
        let auth = try #require(saved.sent.first)
        #expect(auth.message(as: ProtoOAAccountAuthReq.self)?.accessToken == "new-access-abcdefghijkl")
        let restored = machine.received(authorized(auth), on: next, now: .seconds(11))
        #expect(restored.sent.first?.payloadType == .protoOaSubscribeSpotsReq)
        let spots = try #require(restored.sent.first)
        var spotsRes = ProtoOASubscribeSpotsRes()
        spotsRes.ctidTraderAccountID = 5
        let ready = machine.received(reply(spotsRes, to: spots), on: next, now: .seconds(11))
        #expect(machine.isReady)
        #expect(ready.sessionEvents.contains { if case .restored = $0 { true } else { false } })
    }

    @Test func anInvalidatedTokenWithoutRefreshTokenFailsTheAccountForGood() throws {
        var (machine, connection) = try machineWithAccount(refreshToken: nil)
        var event = ProtoOAAccountsTokenInvalidatedEvent()
        event.ctidTraderAccountIds = [5]
        let actions = machine.received(Envelope(event), on: connection, now: .seconds(1))
        #expect(actions.sent.isEmpty)
        let failure = actions.sessionEvents.compactMap { event -> CTraderError? in
            if case .restoreFailed(.account(5), let error) = event { error } else { nil }
        }.first
        #expect(failure?.code == .authenticationFailed)
        #expect(failure?.reason.contains("2147") == true)
        #expect(actions.statuses.contains { if case .accountAuthorizationFailed(5, _) = $0 { true } else { false } })
        // Not restored after a reconnect.
        _ = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "x"), now: .seconds(2))
        let next = try #require(machine.tick(now: .seconds(10)).opened.first)
        let appAuth = machine.connectionOpened(next, now: .seconds(10)).sent[0]
        let restored = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: .seconds(10))
        #expect(restored.sent.isEmpty)
        #expect(machine.isReady)
    }

    @Test func aClientDisconnectEventEndsTheConnectionWithTheReason() throws {
        var (machine, connection) = try readyMachine()
        var event = ProtoOAClientDisconnectEvent()
        event.reason = "server restart"
        let actions = machine.received(Envelope(event), on: connection, now: .seconds(1))
        #expect(actions.closed == [connection])
        #expect(!machine.isReady)
        let cause = actions.sessionEvents.compactMap { event -> CTraderError? in
            if case .reconnecting(1, _, let cause) = event { cause } else { nil }
        }.first
        #expect(cause?.code == .disconnectedByServer)
        #expect((cause?.underlying as? CTraderServerDisconnect)?.reason == "server restart")
    }
}
