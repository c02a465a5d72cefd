import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Foundation
import Testing

/// The server's handshake deadlines against a slowloris client, which opens a connection and
/// dribbles its opening handshake one byte at a time and never finishes it:
/// `WebSocketConfiguration.handshakeTimeout` bounds the HTTP upgrade, and
/// `TLSConfiguration.handshakeTimeout` the TLS handshake. End to end through the listeners.
@Suite struct HandshakeDeadlineTests {
    /// Short, so that the tests end soon. It binds the polite clients too, which retry a
    /// handshake that misses it (see ``echoOnce(url:tls:)``).
    static let deadline = Duration.milliseconds(300)

    /// An upgrade request that never ends: a request line and a header, then more headers
    /// forever, each sent a byte at a time.
    private static func endlessRequest(_ index: Int) -> UInt8 {
        let head = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
        let filler = Array("X-Slow: yes\r\n".utf8)
        return index < head.count ? head[index] : filler[(index - head.count) % filler.count]
    }

    /// Writes `byte(i)` one byte at a time, 10 ms apart, until a write fails: the server hung
    /// up (the first write after the hang-up meets a reset, the next one fails). Returns how
    /// many bytes went out. Fails past `limit` bytes: the server never hung up (the header-size
    /// limit would answer 400 only at 16 KiB).
    private static func dribble(
        over transport: any Transport, limit: Int = 4_096, _ byte: @escaping @Sendable (Int) -> UInt8
    ) async throws -> Int {
        var sent = 0
        while sent < limit {
            do {
                try await transport.write([byte(sent)])
            } catch {
                return sent
            }
            sent += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the server did not hang up on a client that dribbled \(sent) bytes")
        return sent
    }

    @Test func aDribbledUpgradeRequestFailsWithHandshakeTimeout() async throws {
        try await withTimeout {
            var configuration = WebSocketConfiguration()
            configuration.handshakeTimeout = Self.deadline
            let listener = try await TCPListener.bind(port: 0, logger: testLogger)
            let slow = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
            let dribbling = Task { try await Self.dribble(over: slow, Self.endlessRequest) }
            let error = await #expect(throws: WebSocketError.self) {
                _ = try await WebSocketConnection.accept(
                    try await listener.accept(), configuration: configuration, logger: testLogger)
            }
            #expect(error?.code == .handshakeTimeout)
            #expect(try await dribbling.value > 0)
            await slow.close()
            await listener.close()
        }
    }

    /// A TLS listener with the test certificates and this TLS handshake deadline.
    private static func tlsListener(
        _ certificates: TestCertificates, handshakeTimeout: Duration
    ) async throws -> TLSListener {
        try await TLSListener.bind(
            port: 0,
            configuration: .server(
                certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
                handshakeTimeout: handshakeTimeout),
            logger: testLogger)
    }

    /// Connects to `port` and dribbles a ClientHello that never completes: a TLS record header
    /// announcing a 16 KiB handshake record, then its bytes, one at a time.
    private static func dribbleClientHello(to port: Int) async throws -> (TCPTransport, Task<Int, any Error>) {
        let slow = try await TCPTransport.connect(host: "127.0.0.1", port: port, logger: testLogger)
        let record: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3F, 0xFC, 0x03, 0x03]
        let dribbling = Task {
            try await Self.dribble(over: slow) { $0 < record.count ? record[$0] : UInt8(truncatingIfNeeded: $0) }
        }
        return (slow, dribbling)
    }

    @Test func aDribblingClientIsCutOffAndOthersStillConnect() async throws {
        try await withTimeout {
            var configuration = WebSocketConfiguration()
            configuration.handshakeTimeout = Self.deadline
            let listener = try await TCPListener.bind(port: 0, logger: testLogger)
            let (server, serving) = Self.echoServer(listener, configuration)
            let slow = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
            let dribbling = Task { try await Self.dribble(over: slow, Self.endlessRequest) }
            try await Self.echoOnce(url: "ws://127.0.0.1:\(listener.port)/")
            #expect(try await dribbling.value > 0)
            await slow.close()
            await server.close()
            await serving.value
        }
    }

    /// The TLS listener handshakes concurrently: a client that dribbles its ClientHello holds up
    /// no other (the polite client gets through while it dribbles), and the TLS handshake deadline
    /// cuts it off. (`TLSListenerConcurrencyTests` shows the ordering without any deadline.)
    @Test(.enabled(if: TestPeers.available(TestPeers.openssl)))
    func aDribbledClientHelloIsCutOffByTheTLSDeadline() async throws {
        let certificates = try await TestCertificates.shared.value
        try await withTimeout {
            let listener = try await Self.tlsListener(certificates, handshakeTimeout: Self.deadline)
            let (server, serving) = Self.echoServer(listener, WebSocketConfiguration())
            let (slow, dribbling) = try await Self.dribbleClientHello(to: listener.port)
            try await Self.echoOnce(
                url: "wss://localhost:\(listener.port)/", tls: .client(trustedCAFile: certificates.caFile))
            #expect(try await dribbling.value > 0)
            await slow.close()
            await server.close()
            await serving.value
        }
    }

    /// With a TLS deadline far beyond the test, a client dribbling its ClientHello is still
    /// connected when a polite `wss://` client connects, echoes and closes: nothing waits for the
    /// slow handshake (a listener that handshook one connection at a time would hang here until
    /// the hang guard). Closing the server then cuts the slow client off.
    @Test(.enabled(if: TestPeers.available(TestPeers.openssl)))
    func aDribbledClientHelloDoesNotStallOtherClients() async throws {
        let certificates = try await TestCertificates.shared.value
        try await withTimeout {
            let listener = try await Self.tlsListener(certificates, handshakeTimeout: .seconds(600))
            let (server, serving) = Self.echoServer(listener, WebSocketConfiguration())
            let (slow, dribbling) = try await Self.dribbleClientHello(to: listener.port)
            try await Self.echoOnce(
                url: "wss://localhost:\(listener.port)/", tls: .client(trustedCAFile: certificates.caFile))
            await server.close()
            #expect(try await dribbling.value > 0)
            await slow.close()
            await serving.value
        }
    }

    /// After a complete TLS handshake, the WebSocket deadline bounds the dribbled upgrade.
    @Test(.enabled(if: TestPeers.available(TestPeers.openssl)))
    func aDribbledUpgradeOverTLSIsCutOff() async throws {
        let certificates = try await TestCertificates.shared.value
        try await withTimeout {
            var configuration = WebSocketConfiguration()
            configuration.handshakeTimeout = Self.deadline
            let listener = try await TLSListener.bind(
                port: 0,
                configuration: .server(
                    certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
                logger: testLogger)
            let (server, serving) = Self.echoServer(listener, configuration)
            let slow = try await TLSTransport.connect(
                host: "127.0.0.1", port: listener.port, serverName: "localhost",
                configuration: .client(trustedCAFile: certificates.caFile), logger: testLogger)
            let dribbling = Task { try await Self.dribble(over: slow, Self.endlessRequest) }
            try await Self.echoOnce(
                url: "wss://localhost:\(listener.port)/", tls: .client(trustedCAFile: certificates.caFile))
            #expect(try await dribbling.value > 0)
            await slow.close()
            await server.close()
            await serving.value
        }
    }

    // MARK: - Helpers

    private static func echoServer(
        _ listener: any TransportListener, _ configuration: WebSocketConfiguration
    ) -> (WebSocketServer, Task<Void, Never>) {
        let server = WebSocketServer(listener: listener, configuration: configuration, logger: testLogger) {
            connection in
            for await message in connection.messages {
                try? await connection.send(message.data, opcode: message.opcode)
            }
        }
        return (server, Task { await server.run() })
    }

    /// A polite client: connects, sends one message, expects it back and closes. The short
    /// deadline applies to it too, and a loaded machine (or a sanitizer) can make its own
    /// handshake miss it: a handshake that fails is retried (the test's hang guard bounds that).
    private static func echoOnce(url: String, tls: TLSConfiguration = .client()) async throws {
        var connected: WebSocketConnection?
        while connected == nil {
            do {
                connected = try await WebSocketConnection.connect(to: url, tls: tls, logger: testLogger)
            } catch let error as WebSocketError where error.code != .invalidURL {
                try Task.checkCancellation()
            }
        }
        guard let client = connected else { return }
        try await client.send(text: "polite")
        var iterator = client.messages.makeAsyncIterator()
        #expect(await iterator.next()?.text == "polite")
        await client.close()
    }
}
