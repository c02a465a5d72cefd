import CTraderTestSupport
import Testing

@testable import CTraderTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every transport test runs serially: the descriptor and thread counts must not see other
/// tests' sockets come and go.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TransportTests {}

extension TransportTests {
    @Suite struct TCP {
        @Test func listenerOnPortZeroReportsItsPortAndEchoesBothWays() async throws {
            try await withTimeout {
                let listener = try await TCPListener.bind(port: 0, logger: testLogger)
                #expect(listener.port > 0)
                #expect(listener.localAddress == "127.0.0.1:\(listener.port)")
                async let acceptedConnection = listener.accept()
                let client = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                let server = try await acceptedConnection
                #expect(client.remoteAddress == "127.0.0.1:\(listener.port)")
                #expect(server.remoteAddress == client.localAddress)

                try await client.write(Array("ping".utf8))
                #expect(try await server.read(exactly: 4) == Array("ping".utf8))
                try await server.write(Array("pong".utf8))
                #expect(try await client.read(exactly: 4) == Array("pong".utf8))
                await client.close()
                await server.close()
                await listener.close()
                return ()
            }
        }

        @Test func fourMebibytesEachWayConcurrently() async throws {
            try await withTimeout {
                let (client, server) = try await makeTCPPair()
                let size = 4 << 20
                async let clientSent: Void = {
                    try await client.write(pattern(size))
                    try await client.shutdownWrite()
                }()
                async let serverSent: Void = {
                    try await server.write(pattern(size, offset: 7))
                    try await server.shutdownWrite()
                }()
                async let atServer = readToEnd(server)
                async let atClient = readToEnd(client)
                try await clientSent
                try await serverSent
                #expect(try await atServer == pattern(size))
                #expect(try await atClient == pattern(size, offset: 7))
                await client.close()
                await server.close()
            }
        }

        @Test func ipv6LoopbackWhenAvailable() async throws {
            let listener: TCPListener
            do {
                listener = try await TCPListener.bind(host: "::1", port: 0, logger: testLogger)
            } catch {
                return  // No IPv6 loopback on this machine.
            }
            try await withTimeout {
                async let accepted = listener.accept()
                let client = try await TCPTransport.connect(host: "::1", port: listener.port, logger: testLogger)
                let server = try await accepted
                #expect(client.remoteAddress == "[::1]:\(listener.port)")
                try await client.write(Array("six".utf8))
                #expect(try await server.read(exactly: 3) == Array("six".utf8))
                await client.close()
                await server.close()
                await listener.close()
            }
        }

        @Test func connectionRefusedOnAClosedPortIsTyped() async throws {
            let listener = try await TCPListener.bind(port: 0, logger: testLogger)
            let port = listener.port
            await listener.close()
            let error = await #expect(throws: TransportError.self) {
                _ = try await TCPTransport.connect(host: "127.0.0.1", port: port, logger: testLogger)
            }
            #expect(error?.code == .connectionRefused)
            #expect(error?.description.contains("refused") == true)
        }

        @Test func unknownHostIsTyped() async throws {
            let error = await #expect(throws: TransportError.self) {
                _ = try await TCPTransport.connect(host: "no-such-host.invalid", port: 1, logger: testLogger)
            }
            #expect(error?.code == .hostNotFound)
        }

        @Test func endOfStreamAndHalfClose() async throws {
            try await withTimeout {
                let (client, server) = try await makeTCPPair()
                // The server half-closes first (as a WebSocket server closes TCP first); the client
                // still writes after reading end of stream, and the server still reads it.
                try await server.write(Array("bye".utf8))
                try await server.shutdownWrite()
                #expect(try await readToEnd(client) == Array("bye".utf8))
                #expect(try await client.read(maxLength: 10) == [])  // EOF repeats
                try await client.write(Array("late".utf8))
                #expect(try await server.read(exactly: 4) == Array("late".utf8))
                await client.close()
                #expect(try await readToEnd(server) == [])
                await server.close()
            }
        }

        /// The poller is edge-triggered, and a read that returns less than it asked for waits for
        /// the next edge before it calls `recv` again. The peer's FIN raises its edge once, maybe
        /// together with the last bytes, and the read that takes those bytes is short: the end of
        /// stream must still be seen (the poller keeps the hang-up).
        @Test func endOfStreamRightAfterTheLastBytesIsSeen() async throws {
            try await withTimeout {
                for round in 0..<50 {
                    let (client, server) = try await makeTCPPair()
                    let reader = Task { try await client.read(maxLength: 1000) }
                    try await waitUntil { Poller.shared.waiterCount(on: client.socket.descriptor, for: .readable) == 1 }
                    let bytes = pattern(100, offset: round)
                    try await server.write(bytes)
                    try await server.shutdownWrite()
                    var received = try await reader.value
                    while received.count < bytes.count {
                        received += try await client.read(maxLength: 1000)
                    }
                    #expect(received == bytes)
                    #expect(try await client.read(maxLength: 1000) == [], "round \(round)")
                    await client.close()
                    await server.close()
                }
            }
        }

        @Test func closeWakesAPendingReadAndLaterCallsThrowClosed() async throws {
            try await withTimeout {
                let (client, server) = try await makeTCPPair()
                let reader = Task { try await client.read(maxLength: 10) }
                // Wait until the read is parked on the poller.
                while Poller.shared.waiterCount(on: client.socket.descriptor, for: .readable) == 0 {
                    await Task.yield()
                }
                await client.close()
                let result = await reader.result
                #expect(throws: TransportError(.closed, reason: "")) { try result.get() }
                await #expect(throws: TransportError(.closed, reason: "")) { try await client.write([1]) }
                await client.close()  // idempotent
                await server.close()
            }
        }

        @Test func listenerCloseWakesAPendingAccept() async throws {
            try await withTimeout {
                let listener = try await TCPListener.bind(port: 0, logger: testLogger)
                let accepting = Task { try await listener.accept() }
                try await waitUntil { Poller.shared.waiterCount(on: listener.socket.descriptor, for: .readable) == 1 }
                await listener.close()
                let result = await accepting.result
                #expect(throws: TransportError(.closed, reason: "")) { try result.get() }
                await #expect(throws: TransportError(.closed, reason: "")) { _ = try await listener.accept() }
            }
        }

        @Test func connectTimeoutAgainstAFullBacklog() async throws {
            // A listener that never accepts, with the smallest backlog: once its queue is full the
            // kernel drops further SYNs, so a connect stays pending until our timeout. Loopback only.
            let listener = try await TCPListener.bind(port: 0, backlog: 1, logger: testLogger)
            var connected: [TCPTransport] = []
            var timedOut: TransportError?
            for _ in 0..<32 {
                do {
                    connected.append(
                        try await TCPTransport.connect(
                            host: "127.0.0.1", port: listener.port, connectTimeout: .milliseconds(300),
                            logger: testLogger))
                } catch let error as TransportError {
                    timedOut = error
                    break
                }
            }
            #expect(timedOut?.code == .connectTimeout)
            for transport in connected { await transport.close() }
            await listener.close()
        }
    }
}
