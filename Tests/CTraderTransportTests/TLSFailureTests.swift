import CTraderTestSupport
import Foundation
import Testing

@testable import CTraderTransport

/// The TLS failure modes of issue 19: each bad certificate and a too-old protocol version is a
/// typed error naming its cause; a close without close_notify is a truncation, not an end of
/// stream; and shutting down returns even when the peer stopped reading.
extension TransportTests {
    @Suite(.enabled(if: TestPeers.available(TestPeers.openssl)))
    struct TLSFailures {
        /// A server certificate a client must refuse, and the cause it must name.
        enum BadCertificate: String, CaseIterable, Sendable {
            case expired, notYetValid, selfSigned, wrongHost, missingIntermediate, untrustedRoot

            /// The chain the server presents, and its key.
            func files(_ certificates: TestCertificates) -> (chain: String, key: String) {
                switch self {
                case .expired: (certificates.expiredCertificate, certificates.serverKey)
                case .notYetValid: (certificates.notYetValidCertificate, certificates.serverKey)
                case .selfSigned: (certificates.selfSignedCertificate, certificates.serverKey)
                case .wrongHost: (certificates.wrongCertificate, certificates.wrongKey)
                case .missingIntermediate: (certificates.leafOfIntermediate, certificates.serverKey)
                case .untrustedRoot: (certificates.chainToUntrustedRoot, certificates.serverKey)
                }
            }

            var expectedFailure: TransportError.TLSFailure {
                switch self {
                case .expired: .certificateExpired
                case .notYetValid: .certificateNotYetValid
                case .selfSigned: .certificateSelfSigned
                case .wrongHost: .hostnameMismatch
                case .missingIntermediate: .issuerNotFound
                case .untrustedRoot: .untrustedRoot
                }
            }
        }

        /// A TLS listener presenting `chain` that attempts one server handshake, whose outcome
        /// the returned task reports.
        private func startServer(
            chain: String, key: String
        ) async throws -> (TLSListener, Task<Result<TLSTransport, any Error>, Never>) {
            let listener = try await TLSListener.bind(
                port: 0, configuration: .server(certificateChainFile: chain, privateKeyFile: key), logger: testLogger
            )
            let server = Task {
                await Result { () async throws -> TLSTransport in
                    let tcp = try await listener.acceptTCP()
                    return try await listener.handshake(over: tcp)
                }
            }
            return (listener, server)
        }

        /// A client of the server on localhost at `port`, trusting the test CA.
        private func connectClient(port: Int, _ certificates: TestCertificates) async throws -> TLSTransport {
            try await TLSTransport.connect(
                host: "localhost", port: port, configuration: .client(trustedCAFile: certificates.caFile),
                logger: testLogger
            )
        }

        /// A listener presenting `chain`, a client connected to it, and the server's end of that connection.
        private func connectedPair(
            _ certificates: TestCertificates, chain: String
        ) async throws -> (listener: TLSListener, client: TLSTransport, connection: TLSTransport) {
            let (listener, server) = try await startServer(chain: chain, key: certificates.serverKey)
            let client = try await connectClient(port: listener.port, certificates)
            let connection = try await server.value.get()
            return (listener, client, connection)
        }

        @Test(arguments: BadCertificate.allCases)
        func badServerCertificateIsATypedErrorNamingTheCause(_ certificate: BadCertificate) async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (chain, key) = certificate.files(certificates)
                let (listener, server) = try await startServer(chain: chain, key: key)
                let error = await #expect(throws: TransportError.self) {
                    _ = try await connectClient(port: listener.port, certificates)
                }
                // The coarse code stays what callers already match on; the cause is the finer field.
                #expect(error?.code == .tlsCertificateVerificationFailed, "\(String(describing: error))")
                #expect(error?.tlsFailure == certificate.expectedFailure, "\(String(describing: error))")
                #expect(
                    error?.description.contains("(\(certificate.expectedFailure))") == true,
                    "\(String(describing: error))")
                // The server sees the client's alert: its handshake fails too.
                let outcome = await server.value
                #expect(throws: TransportError.self) { try outcome.get() }
                await listener.close()
            }
        }

        @Test func theCompleteChainThroughTheIntermediateVerifies() async throws {
            // The control for `missingIntermediate`: the same leaf verifies once the intermediate is sent.
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (listener, client, connection) = try await connectedPair(
                    certificates, chain: certificates.chainThroughIntermediate)
                try await connection.write([7])
                #expect(try await client.read(exactly: 1) == [7])
                await client.close()
                await connection.close()
                await listener.close()
            }
        }

        @Test func aServerOfferingOnlyTLS1_1IsRefusedAsTooOld() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                // OpenSSL 3 allows TLS 1.1 only at security level 0. (-rev keeps s_server off its
                // standard input, whose end would make it close the connection at once.)
                let (peer, port) = try await startOpenSSLServer([
                    "-cert", certificates.serverCertificate, "-key", certificates.serverKey,
                    "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-naccept", "1", "-rev",
                ])
                defer { peer.terminate() }
                let error = await #expect(throws: TransportError.self) {
                    _ = try await connectClient(port: port, certificates)
                }
                #expect(error?.code == .tlsHandshakeFailed, "\(String(describing: error))")
                #expect(error?.tlsFailure == .protocolVersionTooOld, "\(String(describing: error))")
            }
        }

        @Test func aClientOfferingOnlyTLS1_1IsRefusedAsTooOld() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (listener, server) = try await startServer(
                    chain: certificates.serverCertificate, key: certificates.serverKey)
                let client = try PeerProcess(
                    try TestPeers.openssl(),
                    [
                        "s_client", "-connect", "127.0.0.1:\(listener.port)", "-tls1_1", "-cipher",
                        "DEFAULT:@SECLEVEL=0",
                    ])
                defer { client.terminate() }
                let outcome = await server.value
                let error = #expect(throws: TransportError.self) { try outcome.get() }
                #expect(error?.code == .tlsHandshakeFailed, "\(String(describing: error))")
                #expect(error?.tlsFailure == .protocolVersionTooOld, "\(String(describing: error))")
                await listener.close()
            }
        }

        // MARK: - Truncation

        /// `openssl s_server` presenting the test server certificate for one connection, answering
        /// each line reversed (-rev keeps it off its standard input, whose end would close the connection).
        private func startOpenSSLReversingServer(_ certificates: TestCertificates) async throws -> (PeerProcess, Int) {
            try await startOpenSSLServer([
                "-cert", certificates.serverCertificate, "-key", certificates.serverKey, "-naccept", "1", "-rev",
            ])
        }

        @Test func aPeerEndingTCPWithoutCloseNotifyIsATruncation() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (peer, port) = try await startOpenSSLReversingServer(certificates)
                let client = try await connectClient(port: port, certificates)
                try await client.write(Array("hello\n".utf8))
                #expect(try await client.read(exactly: 6) == Array("olleh\n".utf8))
                // s_server has read everything we sent, so killing it makes its kernel send a FIN,
                // with no TLS alert before it.
                peer.terminate()
                let error = await #expect(throws: TransportError.self) { _ = try await readToEnd(client) }
                #expect(error?.code == .tlsTruncated, "\(String(describing: error))")
                // It stays a truncation: a later read never turns it into an end of stream.
                let again = await #expect(throws: TransportError.self) { _ = try await client.read(maxLength: 100) }
                #expect(again?.code == .tlsTruncated)
                await client.close()
            }
        }

        @Test func ourPeerEndingTCPWithoutCloseNotifyIsATruncation() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (listener, client, connection) = try await connectedPair(
                    certificates, chain: certificates.serverCertificate)
                try await connection.write([1, 2, 3])
                // A FIN straight on the socket, bypassing TLS: what an attacker cutting the stream sends.
                try await connection.tcp.shutdownWrite()
                var received: [UInt8] = []
                let error = await #expect(throws: TransportError.self) {
                    while try await client.read(into: &received, maxLength: 100) > 0 {}
                }
                #expect(received == [1, 2, 3])
                #expect(error?.code == .tlsTruncated, "\(String(describing: error))")
                await client.close()
                await connection.close()
                await listener.close()
            }
        }

        @Test func closeNotifyFromOpenSSLIsACleanEndOfStream() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (peer, port) = try await startOpenSSLReversingServer(certificates)
                defer { peer.terminate() }
                let client = try await connectClient(port: port, certificates)
                try await client.write(Array("hello\n".utf8))
                #expect(try await client.read(exactly: 6) == Array("olleh\n".utf8))
                // In -rev mode, the line CLOSE makes s_server end the session with close_notify.
                try await client.write(Array("CLOSE\n".utf8))
                #expect(try await readToEnd(client) == [])
                #expect(try await client.read(maxLength: 100) == [])  // and it stays ended
                await client.close()
            }
        }

        @Test func closeNotifyFromOurPeerIsACleanEndOfStream() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (listener, client, connection) = try await connectedPair(
                    certificates, chain: certificates.serverCertificate)
                try await connection.write([1, 2, 3])
                try await connection.shutdownWrite()
                #expect(try await readToEnd(client) == [1, 2, 3])
                await client.close()
                await connection.close()
                await listener.close()
            }
        }

        // MARK: - Shutting down while the peer does not read

        /// A connected pair whose server end never reads, and a task on the client writing until
        /// the connection fails; returns once that writer waits for room in the send buffer.
        private func clientBlockedOnAPeerThatDoesNotRead(
            _ certificates: TestCertificates, closeNotifyTimeout: Duration
        ) async throws -> (
            client: TLSTransport, writer: Task<Void, any Error>, server: TLSTransport, listener: TLSListener
        ) {
            let (listener, server) = try await startServer(
                chain: certificates.serverCertificate, key: certificates.serverKey)
            var configuration = TLSConfiguration.client(trustedCAFile: certificates.caFile)
            configuration.closeNotifyTimeout = closeNotifyTimeout
            let client = try await TLSTransport.connect(
                host: "localhost", port: listener.port, configuration: configuration, logger: testLogger)
            let connection = try await server.value.get()
            let writer = Task {
                let chunk = [UInt8](repeating: 0x55, count: 1 << 20)
                while true { try await client.write(chunk) }
            }
            let descriptor = client.tcp.socket.descriptor
            while Poller.shared.waiterCount(on: descriptor, for: .writable) == 0 {
                try await Task.sleep(for: .milliseconds(1))
            }
            return (client, writer, connection, listener)
        }

        @Test func shutdownWriteGivesUpAfterItsTimeoutWhenThePeerStoppedReading() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let (client, writer, server, listener) = try await clientBlockedOnAPeerThatDoesNotRead(
                    certificates, closeNotifyTimeout: .milliseconds(100)
                )
                let error = await #expect(throws: TransportError.self) { try await client.shutdownWrite() }
                #expect(error?.code == .tlsShutdownTimeout, "\(String(describing: error))")
                await client.close()
                let writeError = await #expect(throws: TransportError.self) { try await writer.value }
                #expect(writeError?.code == .closed)
                await server.close()
                await listener.close()
            }
        }

        @Test func closeReturnsWhenThePeerStoppedReading() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                // A close-notify timeout the hang guard would catch: close() must not wait for it.
                let (client, writer, server, listener) = try await clientBlockedOnAPeerThatDoesNotRead(
                    certificates, closeNotifyTimeout: .seconds(3600)
                )
                await client.close()
                let writeError = await #expect(throws: TransportError.self) { try await writer.value }
                #expect(writeError?.code == .closed)
                await server.close()
                await listener.close()
            }
        }

        @Test func closeNotifyTimeoutIsAConfigurationParameter() {
            #expect(TLSConfiguration.client().closeNotifyTimeout == TLSConfiguration.defaultCloseNotifyTimeout)
            #expect(
                TLSConfiguration.server(certificateChainFile: "c", privateKeyFile: "k").closeNotifyTimeout
                    == .seconds(2))
        }
    }
}

/// Starts `openssl s_server` with `arguments` on a free port and waits for its `ACCEPT` line.
///
/// s_server cannot report a port it chose, so this borrows a free one from a listener of ours and
/// retries if another process takes it first.
func startOpenSSLServer(_ arguments: [String]) async throws -> (PeerProcess, Int) {
    var lastError: (any Error)? = nil
    for _ in 0..<5 {
        let probe = try await TCPListener.bind(port: 0, logger: testLogger)
        let port = probe.port
        await probe.close()
        let candidate = try PeerProcess(try TestPeers.openssl(), ["s_server", "-accept", "\(port)"] + arguments)
        do {
            _ = try await candidate.waitForLine { $0 == "ACCEPT" }
            return (candidate, port)
        } catch let error as PeerExited {
            lastError = error  // e.g. "bind failed": the port was taken meanwhile.
        }
    }
    throw lastError ?? CancellationError()
}

extension Result where Failure == any Error {
    /// Catches the error of an async throwing body.
    fileprivate init(_ body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
