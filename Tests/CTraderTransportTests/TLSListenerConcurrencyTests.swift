import CTraderTestSupport
import Foundation
import Testing

@testable import CTraderTransport

extension TransportTests {
    /// ``TLSListener`` handshakes concurrently, within ``TLSConfiguration/maximumConcurrentHandshakes``:
    /// a slowloris client holding a handshake open delays no other client, the limit makes the
    /// listener stop accepting, and closing the listener ends the handshakes in progress.
    @Suite(.enabled(if: TestPeers.available(TestPeers.openssl)))
    struct TLSListenerConcurrency {
        /// A handshake deadline far beyond any test: a slowloris client is never cut off by it, so
        /// a listener that handshook one connection at a time would hang the test (caught by the
        /// hang guard) instead of passing.
        static let longDeadline = Duration.seconds(600)

        /// The start of a ClientHello: a record header announcing 16 KiB of handshake, then a few
        /// of its bytes. The server waits for the rest.
        static let partialClientHello: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3F, 0xFC, 0x03, 0x03]

        private func bind(
            _ certificates: TestCertificates, limit: Int = TLSConfiguration.defaultMaximumConcurrentHandshakes
        ) async throws -> TLSListener {
            var configuration = TLSConfiguration.server(
                certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey,
                handshakeTimeout: Self.longDeadline)
            configuration.maximumConcurrentHandshakes = limit
            return try await TLSListener.bind(port: 0, configuration: configuration, logger: testLogger)
        }

        private func connectPolitely(_ port: Int, _ certificates: TestCertificates) async throws -> TLSTransport {
            try await TLSTransport.connect(
                host: "127.0.0.1", port: port, serverName: "localhost",
                configuration: .client(trustedCAFile: certificates.caFile), logger: testLogger)
        }

        @Test func aDefaultLimitIsSet() {
            let configuration = TLSConfiguration.server(certificateChainFile: "a", privateKeyFile: "b")
            #expect(configuration.maximumConcurrentHandshakes == 64)
            #expect(TLSConfiguration.defaultMaximumConcurrentHandshakes == 64)
        }

        @Test(arguments: [true, false])
        func aPoliteClientIsAcceptedWhileASlowlorisHandshakeIsPending(dribbles: Bool) async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await bind(certificates)
                // The slow client connects first, so the listener accepts it first; it sends part
                // of a ClientHello, or nothing at all.
                let slow = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                if dribbles { try await slow.write(Self.partialClientHello) }
                async let accepted = listener.acceptConnection()
                let polite = try await connectPolitely(listener.port, certificates)
                let server = try await accepted
                #expect(server.remoteAddress == polite.localAddress)
                // The slowloris handshake is still in progress, and returned nothing.
                let snapshot = listener.pool.snapshot
                #expect(snapshot.handshakesInProgress == 1)
                #expect(snapshot.readyConnections == 0)
                // The polite connection works.
                try await polite.write(Array("hello".utf8))
                try await polite.shutdownWrite()
                #expect(try await readToEnd(server) == Array("hello".utf8))
                await server.close()
                await polite.close()
                await listener.close()
                await slow.close()
            }
        }

        @Test func connectionsAreReturnedInCompletionOrder() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await bind(certificates)
                let slow = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                try await slow.write(Self.partialClientHello)
                // Nobody is accepting yet: the first accept starts the loop. Two polite clients
                // complete their handshakes while the slow one (accepted first) is pending.
                let waiting = Task { try await listener.acceptConnection() }
                let first = try await connectPolitely(listener.port, certificates)
                #expect(try await waiting.value.remoteAddress == first.localAddress)
                let second = try await connectPolitely(listener.port, certificates)
                try await listener.pool.waitUntil { $0.readyConnections == 1 }
                #expect(try await listener.acceptConnection().remoteAddress == second.localAddress)
                await first.close()
                await second.close()
                await listener.close()
                await slow.close()
            }
        }

        @Test func withALimitOfOneTheSecondClientWaits() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await bind(certificates, limit: 1)
                let slow = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                let accepting = Task { try await listener.acceptConnection() }
                // The slow client holds the only slot: the listener stops accepting.
                try await listener.pool.waitUntil { $0.handshakesInProgress == 1 && $0.waitsForSlot }
                let port = listener.port
                let polite = Task { try await connectPolitely(port, certificates) }
                // The polite client's TCP connection waits in the backlog; its handshake has not
                // started (the slot is still the slow client's).
                let snapshot = listener.pool.snapshot
                #expect(snapshot.handshakesInProgress == 1)
                #expect(snapshot.waitsForSlot)
                // The slow client gives up: its handshake fails, the slot frees, the polite one
                // is accepted and handshaken.
                await slow.close()
                let client = try await polite.value
                #expect(try await accepting.value.remoteAddress == client.localAddress)
                await client.close()
                await listener.close()
            }
        }

        @Test func handshakenConnectionsNotYetReturnedHoldSlots() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await bind(certificates, limit: 1)
                let waiting = Task { try await listener.acceptConnection() }
                let first = try await connectPolitely(listener.port, certificates)
                #expect(try await waiting.value.remoteAddress == first.localAddress)
                // The loop goes on accepting: the next client is handshaken although no caller
                // waits, and it holds the only slot until accept returns it.
                let second = try await connectPolitely(listener.port, certificates)
                try await listener.pool.waitUntil { $0.readyConnections == 1 && $0.waitsForSlot }
                #expect(try await listener.acceptConnection().remoteAddress == second.localAddress)
                try await listener.pool.waitUntil { !$0.waitsForSlot }
                await first.close()
                await second.close()
                await listener.close()
            }
        }

        @Test func closeDuringAPendingHandshakeEndsItAndThePendingAccept() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await bind(certificates)
                let slow = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                try await slow.write(Self.partialClientHello)
                let accepting = Task { try await listener.acceptConnection() }
                try await listener.pool.waitUntil { $0.handshakesInProgress == 1 }
                await listener.close()
                let error = await #expect(throws: TransportError.self) { try await accepting.value }
                #expect(error?.code == .closed)
                #expect(listener.pool.snapshot.handshakesInProgress == 0)
                // The server closed the slow client's connection: it reads the end of the stream
                // (or a reset).
                var buffer: [UInt8] = []
                let read = try? await slow.read(into: &buffer, maxLength: 1024)
                #expect(read == 0 || read == nil)
                await slow.close()
                // Later calls fail the same way.
                await #expect(throws: TransportError.self) { try await listener.acceptConnection() }
            }
        }

        @Test func closeReturnsConnectionsHandshakenButNotYetTaken() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await bind(certificates)
                let waiting = Task { try await listener.acceptConnection() }
                let first = try await connectPolitely(listener.port, certificates)
                _ = try await waiting.value
                let second = try await connectPolitely(listener.port, certificates)
                try await listener.pool.waitUntil { $0.readyConnections == 1 }
                await listener.close()
                #expect(listener.pool.snapshot.readyConnections == 0)
                // The second client sees its connection end.
                var buffer: [UInt8] = []
                let read = try? await second.read(into: &buffer, maxLength: 1024)
                #expect(read == 0 || read == nil)
                await first.close()
                await second.close()
            }
        }
    }
}
