// swift-ctrader: the whole code flow against the simulator's authorization server.

import CTraderAuth
import CTraderSession
import CTraderSimulator
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite(.timeLimit(.minutes(3))) struct CTraderLoginTests {
    @Test func theCodeIsExchangedAndThePairSavedPrivately() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let directory = try makeTemporaryDirectory()
        let path = directory + "/tokens.json"
        let store = CTraderFileTokenStore(path: path)
        let browsing = Box<Task<CTraderHTTPClientResponseStatus, any Error>>()
        let tokens = try await CTraderLogin.run(
            client: harness.oauthClient(), scope: .trading, store: store, timeout: .seconds(120),
            logger: AuthHarness.quiet,
            present: { url in
                browsing.value = Task { CTraderHTTPClientResponseStatus(try await harness.browse(url).status) }
            })
        #expect(try await browsing.value?.value.status == 200)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let saved = try #require(try await store.newestPair(account: nil))
        #expect(saved.accessToken == tokens.pair.accessToken)
        #expect(saved.refreshToken == tokens.pair.refreshToken)
        #expect(saved.expiresIn == 2_628_000)
        #expect(tokens.tokenType == "bearer")
        // The token works on the simulator's WebSocket side.
        let accounts = try await harness.accounts(accessToken: saved.accessToken.value)
        #expect(accounts == [SimulatorIdentity.demoHedgedAccountId, SimulatorIdentity.demoNettedAccountId])
        #expect(harness.server.codesIssued == 1)
    }

    @Test func aWrongStateIsRefusedAndNothingIsExchanged() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let browsing = Box<Task<CTraderHTTPClientResponseStatus, any Error>>()
        await #expect {
            _ = try await CTraderLogin.run(
                client: harness.oauthClient(), scope: .trading, store: nil, timeout: .seconds(120),
                logger: AuthHarness.quiet,
                present: { url in
                    browsing.value = Task {
                        CTraderHTTPClientResponseStatus(try await harness.browse(url, state: "forged").status)
                    }
                })
        } throws: { ($0 as? CTraderOAuthError)?.code == .stateMismatch }
        #expect(try await browsing.value?.value.status == 400)
        #expect(harness.server.tokenRequests == 0)
    }

    @Test func aDeniedScopeNamesTheDenial() async throws {
        let harness = try await AuthHarness.start(grantedScopes: ["accounts"])
        defer { Task { await harness.stop() } }
        let browsing = Box<Task<CTraderHTTPClientResponseStatus, any Error>>()
        await #expect {
            _ = try await CTraderLogin.run(
                client: harness.oauthClient(), scope: .trading, store: nil, timeout: .seconds(120),
                logger: AuthHarness.quiet,
                present: { url in
                    browsing.value = Task { CTraderHTTPClientResponseStatus(try await harness.browse(url).status) }
                })
        } throws: { ($0 as? CTraderOAuthError)?.code == .accessDenied }
        _ = try await browsing.value?.value
        #expect(harness.server.codesIssued == 0)
    }
}

/// A `Sendable` status (the response holds no secret, but its body need not cross tasks).
struct CTraderHTTPClientResponseStatus: Sendable {
    var status: Int
    init(_ status: Int) { self.status = status }
}
