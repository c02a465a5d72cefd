// swift-ctrader: the code exchange's and the refresh's errors, each named.

import CTraderAuth
import CTraderSession
import CTraderSimulator
import Foundation
import Testing

@Suite(.timeLimit(.minutes(3))) struct CTraderOAuthClientTests {
    static let registered = "http://127.0.0.1:5005/callback"

    @Test func anExpiredCodeIsInvalid() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let code = try await harness.code(redirectURI: Self.registered)
        harness.clock.advance(seconds: 61)
        await #expect {
            _ = try await harness.oauthClient(redirectURI: Self.registered).exchange(code: code)
        } throws: { error in
            let error = error as? CTraderOAuthError
            return error?.code == .invalidGrant && error?.reason.contains("expired") == true
        }
    }

    @Test func aCodeIsSingleUse() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let code = try await harness.code(redirectURI: Self.registered)
        let client = harness.oauthClient(redirectURI: Self.registered)
        _ = try await client.exchange(code: code)
        await #expect { _ = try await client.exchange(code: code) } throws: {
            ($0 as? CTraderOAuthError)?.code == .invalidGrant
        }
    }

    @Test func aWrongSecretIsNamed() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let code = try await harness.code(redirectURI: Self.registered)
        await #expect {
            _ = try await harness.oauthClient(clientSecret: "wrong", redirectURI: Self.registered).exchange(code: code)
        } throws: { ($0 as? CTraderOAuthError)?.code == .invalidClient }
    }

    @Test func aRedirectMismatchIsNamed() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let code = try await harness.code(redirectURI: Self.registered)
        await #expect {
            _ = try await harness.oauthClient(redirectURI: "http://127.0.0.1:5005/other").exchange(code: code)
        } throws: { ($0 as? CTraderOAuthError)?.code == .redirectURIMismatch }
    }

    @Test func refreshTokensAreSingleUseAndTheOldAccessTokenStops() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        let client = harness.oauthClient(redirectURI: Self.registered)
        let first = try await client.exchange(code: try await harness.code(redirectURI: Self.registered))
        let directory = try makeTemporaryDirectory()
        let store = CTraderFileTokenStore(path: directory + "/tokens.json")
        try await store.save(first.pair)
        let second = try await client.refresh(in: store)
        #expect(try await store.newestPair(account: nil) == second.pair)
        #expect(second.pair.accessToken != first.pair.accessToken)
        await #expect { _ = try await client.refresh(first.pair.refreshToken.value) } throws: {
            ($0 as? CTraderOAuthError)?.code == .invalidRefreshToken
        }
        // The WebSocket side agrees: the old access token is refused, the new one works.
        await #expect(throws: CTraderError.self) {
            _ = try await harness.accounts(accessToken: first.pair.accessToken.value)
        }
        #expect(try await harness.accounts(accessToken: second.pair.accessToken.value).count == 2)
    }

    @Test func anUntrustedCertificateIsAFailure() async throws {
        let harness = try await AuthHarness.start()
        defer { Task { await harness.stop() } }
        var configuration = harness.oauthClient().configuration
        configuration.http = CTraderHTTPClient.Configuration(timeout: .seconds(60))
        await #expect {
            _ = try await CTraderOAuthClient(configuration: configuration, logger: AuthHarness.quiet).refresh("x")
        } throws: { ($0 as? CTraderOAuthError)?.code == .network }
    }
}
