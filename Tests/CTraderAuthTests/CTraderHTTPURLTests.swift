// swift-ctrader: URL parsing and the query encoding.

import CTraderAuth
import Testing

@Suite struct CTraderHTTPURLTests {
    @Test func parsesAndRebuilds() throws {
        let url = try CTraderHTTPURL(parsing: "https://openapi.ctrader.com/apps/token?a=1")
        #expect(url.host == "openapi.ctrader.com")
        #expect(url.port == 443)
        #expect(url.target == "/apps/token?a=1")
        #expect(url.withoutQuery == "https://openapi.ctrader.com/apps/token")
        let v6 = try CTraderHTTPURL(parsing: "http://[::1]:5005/callback")
        #expect(v6.host == "::1")
        #expect(v6.isLoopback)
        #expect(v6.authority == "[::1]:5005")
    }

    @Test func refusesOtherSchemesAndFragments() {
        for text in ["ftp://x/", "https://x/#f", "https://user@x/", "http://:80/", "https://x:99999/"] {
            #expect(throws: CTraderOAuthError.self) { _ = try CTraderHTTPURL(parsing: text) }
        }
    }

    @Test func encodesEverythingButUnreserved() throws {
        let query = CTraderHTTPURL.encodeQuery([("redirect_uri", "http://127.0.0.1:5005/cb"), ("s", "a+b c&")])
        #expect(query == "redirect_uri=http%3A%2F%2F127.0.0.1%3A5005%2Fcb&s=a%2Bb%20c%26")
        let decoded = CTraderHTTPURL.decodeQuery(query)
        #expect(decoded.map(\.1) == ["http://127.0.0.1:5005/cb", "a+b c&"])
    }
}
