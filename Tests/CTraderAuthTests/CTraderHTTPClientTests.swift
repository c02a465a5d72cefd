// swift-ctrader: the HTTP client reads chunked and length-delimited answers, bounds their size,
// and refuses plain http:// off loopback.

import CTraderAuth
import CTraderTransport
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(2))) struct CTraderHTTPClientTests {
    /// Serves one connection with `answer` (after reading the request head), then stops.
    static func serveOnce(_ answer: String) async throws -> (port: Int, done: Task<Void, any Error>) {
        let listener = try await TCPListener.bind(port: 0, logger: AuthHarness.quiet)
        let done = Task {
            let connection = try await listener.accept()
            var buffer: [UInt8] = []
            while !String(decoding: buffer, as: UTF8.self).hasSuffix("\r\n\r\n") {
                guard try await connection.read(into: &buffer, maxLength: 4_096) > 0 else { break }
            }
            try await connection.write(Array(answer.utf8))
            try await connection.shutdownWrite()
            await connection.close()
            await listener.close()
        }
        return (listener.port, done)
    }

    @Test func readsAChunkedAnswer() async throws {
        let (port, done) = try await Self.serveOnce(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3;x=y\r\n 1}\r\n0\r\n\r\n")
        let response = try await CTraderHTTPClient(logger: AuthHarness.quiet).get("http://127.0.0.1:\(port)/x")
        try await done.value
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"a\": 1}")
    }

    @Test func readsALengthDelimitedAnswer() async throws {
        let (port, done) = try await Self.serveOnce("HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}extra")
        let response = try await CTraderHTTPClient(logger: AuthHarness.quiet).get("http://127.0.0.1:\(port)/x")
        try await done.value
        #expect(response.status == 400)
        #expect(response.body == Array("{}".utf8))
    }

    @Test func refusesAnOversizedAnswer() async throws {
        let (port, done) = try await Self.serveOnce(
            "HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 4_000))
        let client = CTraderHTTPClient(configuration: .init(maximumResponseSize: 1_024), logger: AuthHarness.quiet)
        await #expect { _ = try await client.get("http://127.0.0.1:\(port)/x") } throws: {
            ($0 as? CTraderOAuthError)?.code == .invalidResponse
        }
        _ = try? await done.value
    }

    @Test func refusesPlainHTTPOffLoopback() async throws {
        await #expect { _ = try await CTraderHTTPClient().get("http://openapi.ctrader.com/apps/token") } throws: {
            ($0 as? CTraderOAuthError)?.code == .invalidURL
        }
    }
}
