// swift-ctrader: the loopback receiver serves other paths a 404, bounds requests, and times out.

import CTraderAuth
import CTraderTransport
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(2))) struct CTraderLoopbackReceiverTests {
    static let http = CTraderHTTPClient(configuration: .init(timeout: .seconds(60)), logger: AuthHarness.quiet)

    @Test func anotherPathGetsA404AndTheWaitGoesOn() async throws {
        let receiver = try await CTraderLoopbackReceiver.bind(
            redirectURI: "http://127.0.0.1:0/callback", logger: AuthHarness.quiet)
        let base = receiver.redirectURI
        #expect(!base.contains(":0/"))
        let browsing = Task {
            let favicon = try await Self.http.get(base.replacingOccurrences(of: "/callback", with: "/favicon.ico"))
            let redirect = try await Self.http.get(base + "?code=c%2B1&state=s1")
            return [favicon.status, redirect.status]
        }
        let code = try await receiver.waitForCode(state: "s1", timeout: .seconds(120))
        await receiver.close()
        #expect(code == "c+1")
        #expect(try await browsing.value == [404, 200])
    }

    @Test func anOversizedRequestIsRefused() async throws {
        let receiver = try await CTraderLoopbackReceiver.bind(
            redirectURI: "http://127.0.0.1:0/callback", limits: .init(maximumRequestSize: 512),
            logger: AuthHarness.quiet)
        let base = receiver.redirectURI
        let browsing = Task {
            // Refused with a 400, or reset when the receiver closes with the request's rest unread.
            let big = try? await Self.http.get(base + "?pad=" + String(repeating: "x", count: 2_000))
            let good = try await Self.http.get(base + "?code=c")
            return [big?.status ?? 400, good.status]
        }
        // No state echoed: accepted (the state is checked whenever the server echoes it).
        #expect(try await receiver.waitForCode(state: "s", timeout: .seconds(120)) == "c")
        await receiver.close()
        #expect(try await browsing.value == [400, 200])
    }

    @Test func noBrowserTimesOut() async throws {
        let receiver = try await CTraderLoopbackReceiver.bind(
            redirectURI: "http://127.0.0.1:0/callback", logger: AuthHarness.quiet)
        await #expect { _ = try await receiver.waitForCode(state: "s", timeout: .milliseconds(50)) } throws: {
            ($0 as? CTraderOAuthError)?.code == .timedOut
        }
        await receiver.close()
    }

    @Test func onlyLoopbackHTTPRedirectsAreServed() async throws {
        for uri in ["https://127.0.0.1:0/callback", "http://example.com/callback", "http://127.0.0.1:0/cb?x=1"] {
            await #expect { _ = try await CTraderLoopbackReceiver.bind(redirectURI: uri) } throws: {
                ($0 as? CTraderOAuthError)?.code == .invalidURL
            }
        }
    }
}
