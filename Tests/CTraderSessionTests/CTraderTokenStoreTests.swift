// swift-ctrader: a refreshed token pair is saved, and the save awaited, before it is used.

import CTraderMessaging
import CTraderSession
import Testing

/// A token store whose saves wait for the test to open a gate, then succeed or throw.
final class GatedTokenStore: CTraderTokenStore {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "scripted: the disk is full" }
    }

    let entered: AsyncStream<CTraderTokenPair>
    private let enteredContinuation: AsyncStream<CTraderTokenPair>.Continuation
    private let gate: AsyncStream<Bool>
    private let gateContinuation: AsyncStream<Bool>.Continuation
    let saved = Locked<[CTraderTokenPair]>([])

    init() {
        (entered, enteredContinuation) = AsyncStream.makeStream()
        (gate, gateContinuation) = AsyncStream.makeStream()
    }

    /// Lets the waiting save end: it succeeds, or throws ``Refused``.
    func open(succeeding: Bool) { gateContinuation.yield(succeeding) }

    func load(account: Int64?) async throws -> CTraderTokenPair? {
        saved.withLock { pairs in pairs.last { $0.ctidTraderAccountId == account } }
    }

    func save(_ pair: CTraderTokenPair) async throws {
        enteredContinuation.yield(pair)
        var iterator = gate.makeAsyncIterator()
        guard await iterator.next() == true else { throw Refused() }
        saved.withLock { $0.append(pair) }
    }
}

@Suite(.timeLimit(.minutes(5))) struct CTraderTokenStoreTests {
    /// A machine that authorized account 5, was refused the token, refreshed it and got a pair.
    private func refreshedMachine() throws -> (Machine, Machine.ConnectionID, [Machine.Action]) {
        var (machine, connection) = try readyMachine()
        let auth = machine.authorize(
            id(10), account: 5, accessToken: "expired-abcdefghijkl", refreshToken: "refresh-abcdefghijkl", now: .zero
        ).sent[0]
        let refresh = machine.received(errorReply("CH_ACCESS_TOKEN_INVALID", to: auth), on: connection, now: .zero)
        var res = ProtoOARefreshTokenRes()
        res.accessToken = "new-access-abcdefghijkl"
        res.refreshToken = "new-refresh-abcdefghijkl"
        res.expiresIn = 3600
        let actions = machine.received(reply(res, to: refresh.sent[0]), on: connection, now: .seconds(1))
        return (machine, connection, actions)
    }

    private let newPair = CTraderTokenPair(
        ctidTraderAccountId: 5,
        accessToken: "new-access-abcdefghijkl",
        refreshToken: "new-refresh-abcdefghijkl",
        expiresIn: 3600
    )

    @Test func theMachineSavesBeforeItAuthorizesWithTheNewToken() throws {
        let (ready, connection, actions) = try refreshedMachine()
        var machine = ready
        let stored = actions.compactMap { if case .storeTokens(let pair) = $0 { pair } else { nil } }
        #expect(stored == [newPair])
        #expect(actions.sent.isEmpty)
        #expect(actions.completions.isEmpty)
        // Time passing does not send it either.
        #expect(!machine.tick(now: .seconds(2)).sent.contains { $0.payloadType == .protoOaAccountAuthReq })
        let saved = machine.tokensSaved(newPair, now: .seconds(3))
        let auth = try #require(saved.sent.first?.message(as: ProtoOAAccountAuthReq.self))
        #expect(auth.accessToken == "new-access-abcdefghijkl")
        let done = machine.received(reply(ProtoOAAccountAuthRes(), to: saved.sent[0]), on: connection, now: .seconds(3))
        #expect(done.succeeded(id(10)))
        #expect(machine.authorizedAccounts == [5])
    }

    @Test func aFailedSaveFailsTheAuthorizationAndTheTokenIsNeverSent() throws {
        var machine = try refreshedMachine().0
        let actions = machine.tokenSaveFailed(newPair, error: GatedTokenStore.Refused(), now: .seconds(2))
        #expect(actions.sent.isEmpty)
        let error = try #require(actions.failure(of: id(10)))
        #expect(error.code == .tokenStoreFailed)
        #expect(error.ctidTraderAccountId == 5)
        #expect(error.reason.contains("the disk is full"))
        #expect(!error.reason.contains("new-access"))
        #expect(!error.reason.contains("new-refresh"))
        #expect(machine.authorizedAccounts.isEmpty)
        // A late success report changes nothing.
        #expect(machine.tokensSaved(newPair, now: .seconds(3)).isEmpty)
    }

    @Test func aDropWhileSavingFailsTheWaiterAndKeepsTheSaveGoing() throws {
        let (ready, connection, _) = try refreshedMachine()
        var machine = ready
        let dropped = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "scripted drop"), now: .seconds(2))
        #expect(dropped.failure(of: id(10))?.code == .connectionLost)
        #expect(machine.tokensSaved(newPair, now: .seconds(3)).sent.isEmpty)
    }

    /// A client whose account authorization was refused for its token, with the server's answer
    /// to the refresh already sent: what follows depends on `store`.
    private static func authorizationAfterRefresh(
        saving store: GatedTokenStore
    ) async throws -> (FakeServer, CTraderClient, ServerConnection, Task<Void, any Error>) {
        let server = FakeServer()
        var configuration = makeConfiguration(server: server, clock: ManualClock())
        configuration.tokenStorage = store
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        let connection = try await connectClient(client, server: server)
        let authorized = Task {
            _ = try await client.authorize(
                account: 9, accessToken: "old-access-token-999999", refreshToken: "old-refresh-token-888888")
        }
        try await connection.refuseTokenThenRefresh(to: "new-access-token-777777", "new-refresh-token-666666")
        return (server, client, connection, authorized)
    }

    @Test func theClientHoldsTheReauthorizationUntilTheSaveReturned() async throws {
        let store = GatedTokenStore()
        let (server, client, connection, authorized) = try await Self.authorizationAfterRefresh(saving: store)
        defer { withExtendedLifetime(server) {} }
        var entered = store.entered.makeAsyncIterator()
        let saving = try #require(await entered.next())
        #expect(saving.refreshToken.value == "new-refresh-token-666666")
        // While the save waits, a request sent now is the next thing the server sees: the
        // re-authorization has not been sent before it.
        async let version = client.send(ProtoOAVersionReq())
        let (_, versionRequest) = try await connection.expect(ProtoOAVersionReq.self)
        try await connection.reply(to: versionRequest, with: versionRes())
        _ = try await version
        store.open(succeeding: true)
        let (second, secondRequest) = try await connection.expect(ProtoOAAccountAuthReq.self)
        #expect(second.accessToken == "new-access-token-777777")
        var auth = ProtoOAAccountAuthRes()
        auth.ctidTraderAccountID = 9
        try await connection.reply(to: secondRequest, with: auth)
        try await authorized.value
        #expect(try await store.load(account: 9)?.accessToken.value == "new-access-token-777777")
        await client.shutdown()
    }

    @Test func theClientFailsTheAuthorizationWhenTheSaveFails() async throws {
        let store = GatedTokenStore()
        let (server, client, connection, authorized) = try await Self.authorizationAfterRefresh(saving: store)
        defer { withExtendedLifetime(server) {} }
        store.open(succeeding: false)
        do {
            try await authorized.value
            Issue.record("the authorization succeeded")
        } catch let error as CTraderError {
            #expect(error.code == .tokenStoreFailed)
            #expect(!error.reason.contains("new-access-token"))
        }
        // The next request the server sees is not an authorization with the new token.
        async let version = client.send(ProtoOAVersionReq())
        let (_, versionRequest) = try await connection.expect(ProtoOAVersionReq.self)
        try await connection.reply(to: versionRequest, with: versionRes())
        _ = try await version
        #expect(store.saved.withLock { $0.isEmpty })
        await client.shutdown()
    }
}

@Suite(.timeLimit(.minutes(5))) struct OwnerTokenRefreshSaveTests {
    @Test func anExplicitRefreshReturnsOnceItsPairIsSaved() async throws {
        let server = FakeServer()
        let store = GatedTokenStore()
        var configuration = makeConfiguration(server: server, clock: ManualClock())
        configuration.tokenStorage = store
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        let connection = try await connectClient(client, server: server)
        let refreshed = Task { try await client.refreshToken("refresh-abcdefghijkl") }
        let (_, request) = try await connection.expect(ProtoOARefreshTokenReq.self)
        var res = ProtoOARefreshTokenRes()
        res.accessToken = "new-access-token-777777"
        res.refreshToken = "new-refresh-token-666666"
        res.tokenType = "bearer"
        res.expiresIn = 2_628_000
        try await connection.reply(to: request, with: res)
        var entered = store.entered.makeAsyncIterator()
        _ = try #require(await entered.next())
        store.open(succeeding: true)
        let pair = try await refreshed.value
        // Returned only after the save: the store holds the pair already.
        #expect(try await store.load(account: nil) == pair)
        await client.shutdown()
    }
}
