// swift-ctrader: a client starts from the token pair its store holds, when it holds one.

import CTraderMessaging
import CTraderSession
import Testing

/// A token store in memory: the pairs in the order they were saved, one per account.
final class InMemoryTokenStore: CTraderTokenStore {
    let pairs: Locked<[CTraderTokenPair]>

    init(_ pairs: [CTraderTokenPair] = []) {
        self.pairs = Locked(pairs)
    }

    func load(account: Int64?) async throws -> CTraderTokenPair? {
        pairs.withLock { pairs in pairs.last { $0.ctidTraderAccountId == account } }
    }

    func save(_ pair: CTraderTokenPair) async throws {
        pairs.withLock { pairs in
            pairs.removeAll { $0.ctidTraderAccountId == pair.ctidTraderAccountId }
            pairs.append(pair)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct StoredTokensTests {
    private static let stored = CTraderTokenPair(
        ctidTraderAccountId: 9,
        accessToken: "stored-access-token-111111",
        refreshToken: "stored-refresh-token-222222",
        expiresIn: 3600
    )

    private static func client(
        _ server: FakeServer, store: (any CTraderTokenStore)?
    ) -> CTraderClient {
        var configuration = makeConfiguration(server: server, clock: ManualClock())
        configuration.tokenStorage = store
        return CTraderClient(configuration: configuration, logger: quietLogger)
    }

    @Test func theStoredPairIsPreferredAndItsRefreshTokenIsTheOneSpent() async throws {
        let server = FakeServer()
        let store = InMemoryTokenStore([Self.stored])
        let client = Self.client(server, store: store)
        #expect(try await client.storedTokens(account: 9) == Self.stored)
        let connection = try await connectClient(client, server: server)
        let authorized = Task {
            try await client.authorizeWithStoredTokens(
                account: 9, accessToken: "given-access-token-333333", refreshToken: "given-refresh-token-444444")
        }
        let (first, refresh) = try await connection.refuseTokenThenRefresh(
            to: "new-access-token-555555", "new-refresh-token-666666")
        #expect(first.accessToken == "stored-access-token-111111")
        #expect(refresh.refreshToken == "stored-refresh-token-222222")
        #expect(try await connection.acceptedAccountAuth().accessToken == "new-access-token-555555")
        _ = try await authorized.value
        // The refreshed pair replaced the stored one: the next start uses it.
        #expect(try await client.storedTokens(account: 9)?.refreshToken.value == "new-refresh-token-666666")
        await client.shutdown()
    }

    @Test func withoutAStoredPairTheGivenTokensAreUsed() async throws {
        let server = FakeServer()
        let client = Self.client(server, store: InMemoryTokenStore())
        #expect(try await client.storedTokens(account: 9) == nil)
        let connection = try await connectClient(client, server: server)
        let authorized = Task { try await client.authorizeWithStoredTokens(account: 9, accessToken: "given-access-33") }
        #expect(try await connection.acceptedAccountAuth().accessToken == "given-access-33")
        _ = try await authorized.value
        #expect(await client.authorizedAccounts == [9])
        await client.shutdown()
    }

    @Test func noStoredPairAndNoTokenFailsBeforeSendingAnything() async throws {
        let server = FakeServer()
        let client = Self.client(server, store: nil)
        #expect(try await client.storedTokens(account: 9) == nil)
        _ = try await connectClient(client, server: server)
        do {
            try await client.authorizeWithStoredTokens(account: 9)
            Issue.record("the authorization succeeded")
        } catch {
            expectCTraderError(error, .authenticationFailed)
        }
        #expect(await client.authorizedAccounts.isEmpty)
        await client.shutdown()
    }

    @Test func theDefaultNewestPairIsTheAccountsElseTheAccountlessOne() async throws {
        let server = FakeServer()
        let accountless = CTraderTokenPair(
            ctidTraderAccountId: nil, accessToken: "app-access-777777", refreshToken: "app-refresh-888888", expiresIn: 1
        )
        let client = Self.client(server, store: InMemoryTokenStore([Self.stored, accountless]))
        #expect(try await client.storedTokens(account: 9) == Self.stored)
        #expect(try await client.storedTokens(account: 10) == accountless)
        #expect(try await client.storedTokens(account: nil) == accountless)
    }

    @Test func aStoreThatFailsToLoadIsATokenStoreError() async throws {
        struct Unreadable: CTraderTokenStore {
            struct Failure: Error {}
            func load(account: Int64?) async throws -> CTraderTokenPair? { throw Failure() }
            func save(_ pair: CTraderTokenPair) async throws {}
        }
        let client = Self.client(FakeServer(), store: Unreadable())
        do {
            _ = try await client.storedTokens(account: 9)
            Issue.record("the load succeeded")
        } catch {
            expectCTraderError(error, .tokenStoreFailed)
        }
    }
}
