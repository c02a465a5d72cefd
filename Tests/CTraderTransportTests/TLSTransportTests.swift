import CTraderTestSupport
import Foundation
import Testing

@testable import CTraderTransport

extension TransportTests {
    @Suite(.enabled(if: TestPeers.available(TestPeers.openssl)))
    struct TLS {
        /// Starts a TLS listener presenting `certificate` and serves one echo connection.
        private func startEchoServer(
            certificate: String, key: String
        ) async throws -> (TLSListener, Task<Void, any Error>) {
            let listener = try await TLSListener.bind(
                port: 0,
                configuration: .server(certificateChainFile: certificate, privateKeyFile: key),
                logger: testLogger
            )
            let server = Task {
                let connection = try await listener.accept()
                let received = try await readToEnd(connection)
                try await connection.write(received)
                try await connection.shutdownWrite()
                await connection.close()
            }
            return (listener, server)
        }

        @Test func ourClientAndOurServerEcho() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                // By name (SNI + host name check), then by IP address (IP SAN check, no SNI).
                for serverName in ["localhost", nil as String?] {
                    let (listener, server) = try await startEchoServer(
                        certificate: certificates.serverCertificate, key: certificates.serverKey)
                    let client = try await TLSTransport.connect(
                        host: "127.0.0.1", port: listener.port, serverName: serverName,
                        configuration: .client(trustedCAFile: certificates.caFile), logger: testLogger
                    )
                    #expect(client.negotiatedProtocol.hasPrefix("TLSv1."))
                    let message = pattern(1 << 20)
                    try await client.write(message)
                    try await client.shutdownWrite()
                    #expect(try await readToEnd(client) == message)
                    await client.close()
                    try await server.value
                    await listener.close()
                }
            }
        }

        @Test func certificateForAnotherHostIsRefused() async throws {
            let certificates = try await TestCertificates.shared.value
            let (listener, server) = try await startEchoServer(
                certificate: certificates.wrongCertificate, key: certificates.wrongKey)
            let error = await #expect(throws: TransportError.self) {
                _ = try await TLSTransport.connect(
                    host: "127.0.0.1", port: listener.port, serverName: "localhost",
                    configuration: .client(trustedCAFile: certificates.caFile), logger: testLogger
                )
            }
            #expect(error?.code == .tlsCertificateVerificationFailed)
            #expect(
                error?.description.lowercased().contains("hostname mismatch") == true, "\(String(describing: error))")
            server.cancel()
            await listener.close()
        }

        @Test func certificateFromAnUntrustedCAIsRefused() async throws {
            let certificates = try await TestCertificates.shared.value
            let (listener, server) = try await startEchoServer(
                certificate: certificates.serverCertificate, key: certificates.serverKey)
            let error = await #expect(throws: TransportError.self) {
                _ = try await TLSTransport.connect(host: "localhost", port: listener.port, logger: testLogger)
            }
            #expect(error?.code == .tlsCertificateVerificationFailed)
            #expect(
                error?.description.contains("certificate verify failed: unable to get local issuer certificate")
                    == true, "\(String(describing: error))")
            server.cancel()
            await listener.close()
        }

        @Test func insecureNoVerificationAcceptsAnyCertificate() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (listener, server) = try await startEchoServer(
                    certificate: certificates.wrongCertificate, key: certificates.wrongKey)
                let client = try await TLSTransport.connect(
                    host: "127.0.0.1", port: listener.port,
                    configuration: .client(certificateVerification: .insecureNoVerification), logger: testLogger
                )
                try await client.write(Array("x".utf8))
                try await client.shutdownWrite()
                #expect(try await readToEnd(client) == Array("x".utf8))
                await client.close()
                try await server.value
                await listener.close()
            }
        }

        @Test func handshakeTimesOutAgainstASilentServer() async throws {
            try await withTimeout {
                // A TCP listener that accepts and never answers the ClientHello.
                let listener = try await TCPListener.bind(port: 0, logger: testLogger)
                let error = await #expect(throws: TransportError.self) {
                    _ = try await TLSTransport.connect(
                        host: "127.0.0.1", port: listener.port,
                        configuration: .client(handshakeTimeout: .milliseconds(200)), logger: testLogger
                    )
                }
                #expect(error?.code == .tlsHandshakeTimeout)
                await listener.close()
            }
        }

        @Test func listenerSkipsAFailedHandshakeAndServesTheNextClient() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (listener, server) = try await startEchoServer(
                    certificate: certificates.serverCertificate, key: certificates.serverKey)
                // A client that speaks plain text instead of TLS: its handshake fails on the server.
                let plain = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                try await plain.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))
                _ = try? await readToEnd(plain)
                await plain.close()
                let client = try await TLSTransport.connect(
                    host: "localhost", port: listener.port, configuration: .client(trustedCAFile: certificates.caFile),
                    logger: testLogger
                )
                try await client.write([1, 2, 3])
                try await client.shutdownWrite()
                #expect(try await readToEnd(client) == [1, 2, 3])
                await client.close()
                try await server.value
                await listener.close()
            }
        }

        @Test func missingKeyFileIsATypedConfigurationError() async throws {
            let error = await #expect(throws: TransportError.self) {
                _ = try await TLSListener.bind(
                    port: 0,
                    configuration: .server(
                        certificateChainFile: "/nonexistent/cert.pem", privateKeyFile: "/nonexistent/key.pem"),
                    logger: testLogger
                )
            }
            #expect(error?.code == .tlsConfigurationInvalid)
        }

        @Test func opensslClientHandshakesWithOurServer() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await TLSListener.bind(
                    port: 0,
                    configuration: .server(
                        certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
                    logger: testLogger
                )
                let client = try PeerProcess(
                    try TestPeers.openssl(),
                    [
                        "s_client", "-connect", "127.0.0.1:\(listener.port)", "-CAfile", certificates.caFile,
                        "-verify_return_error", "-servername", "localhost", "-ign_eof",
                    ])
                let connection = try await listener.accept()
                try await connection.write(Array("hello from swift\n".utf8))
                try await connection.shutdownWrite()
                _ = try await client.waitForLine { $0 == "hello from swift" }
                #expect(client.output.contains { $0.contains("Verify return code: 0 (ok)") })
                await connection.close()
                await listener.close()
                client.terminate()
            }
        }

        @Test func ourClientHandshakesWithOpensslServer() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                // s_server cannot report a port it chose, so borrow a free one from our own listener
                // and retry if another process takes it first.
                var server: PeerProcess?
                var port = 0
                for _ in 0..<5 where server == nil {
                    let probe = try await TCPListener.bind(port: 0, logger: testLogger)
                    port = probe.port
                    await probe.close()
                    let candidate = try PeerProcess(
                        try TestPeers.openssl(),
                        [
                            "s_server", "-accept", "\(port)", "-cert", certificates.serverCertificate,
                            "-key", certificates.serverKey, "-naccept", "1", "-rev",
                        ])
                    do {
                        _ = try await candidate.waitForLine { $0 == "ACCEPT" }
                        server = candidate
                    } catch is PeerExited {
                        continue  // e.g. "bind failed": the port was taken meanwhile.
                    }
                }
                let peer = try #require(server)
                let client = try await TLSTransport.connect(
                    host: "localhost", port: port, configuration: .client(trustedCAFile: certificates.caFile),
                    logger: testLogger
                )
                try await client.write(Array("hello\n".utf8))
                #expect(try await client.read(exactly: 6) == Array("olleh\n".utf8))
                await client.close()
                peer.terminate()
            }
        }
    }
}
