import CTraderTestSupport
import Testing

@testable import CTraderTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TransportTests {
    @Suite struct Lifecycle {
        @Test func cancelledTCPReadEndsPromptlyAndCloseClosesTheDescriptor() async throws {
            try await withTimeout {
                let (client, server) = try await makeTCPPair()
                let fd = client.socket.descriptor
                let reader = Task { try await client.read(maxLength: 100) }
                try await waitUntil { Poller.shared.waiterCount(on: fd, for: .readable) == 1 }
                reader.cancel()
                let result = await reader.result
                #expect(throws: CancellationError.self) { try result.get() }
                #expect(Poller.shared.waiterCount(on: fd, for: .readable) == 0)
                // Still usable after a cancelled read.
                try await server.write([42])
                #expect(try await client.read(maxLength: 100) == [42])
                #expect(fcntl(fd, F_GETFD) != -1)
                await client.close()
                #expect(fcntl(fd, F_GETFD) == -1)
                await server.close()
            }
        }

        @Test func cancelledTLSReadEndsPromptly() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                let listener = try await TLSListener.bind(
                    port: 0,
                    configuration: .server(
                        certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
                    logger: testLogger
                )
                async let accepted = listener.acceptConnection()
                let client = try await TLSTransport.connect(
                    host: "localhost", port: listener.port, configuration: .client(trustedCAFile: certificates.caFile),
                    logger: testLogger
                )
                let server = try await accepted
                let reader = Task { try await client.read(maxLength: 100) }
                reader.cancel()
                let result = await reader.result
                #expect(throws: CancellationError.self) { try result.get() }
                try await server.write([1, 2, 3])
                #expect(try await client.read(exactly: 3) == [1, 2, 3])
                await client.close()
                #expect(try await readToEnd(server) == [])  // close_notify was sent
                await server.close()
                await listener.close()
            }
        }

        @Test func writingToAClosedPeerFailsWithoutSIGPIPE() async throws {
            let certificates = try await TestCertificates.shared.value
            try await withTimeout {
                // Plain TCP.
                let (client, server) = try await makeTCPPair()
                await server.close()
                let tcpError = await #expect(throws: TransportError.self) {
                    for _ in 0..<1000 { try await client.write([UInt8](repeating: 1, count: 65536)) }
                }
                #expect(tcpError?.code == .connectionReset)
                await client.close()

                // TLS: OpenSSL's own socket BIO would raise SIGPIPE here; ours must not.
                let listener = try await TLSListener.bind(
                    port: 0,
                    configuration: .server(
                        certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
                    logger: testLogger
                )
                async let accepted = listener.acceptConnection()
                let tlsClient = try await TLSTransport.connect(
                    host: "localhost", port: listener.port, configuration: .client(trustedCAFile: certificates.caFile),
                    logger: testLogger
                )
                let tlsServer = try await accepted
                await tlsServer.close()
                await #expect(throws: TransportError.self) {
                    for _ in 0..<1000 { try await tlsClient.write([UInt8](repeating: 1, count: 65536)) }
                }
                await tlsClient.close()
                await listener.close()
            }
        }

        @Test func thousandConnectCloseCyclesLeakNoDescriptorOrThread() async throws {
            try await withTimeout(.seconds(120)) {
                let listener = try await TCPListener.bind(port: 0, logger: testLogger)
                func cycle() async throws {
                    async let accepted = listener.acceptConnection()
                    let client = try await TCPTransport.connect(
                        host: "127.0.0.1", port: listener.port, logger: testLogger)
                    let server = try await accepted
                    try await client.write([1])
                    #expect(try await server.read(maxLength: 1) == [1])
                    await client.close()
                    await server.close()
                }
                for _ in 0..<10 { try await cycle() }  // warm up: poller thread, cooperative pool
                let descriptorsBefore = openDescriptorCount()
                let threadsBefore = threadCount()
                for _ in 0..<1000 { try await cycle() }
                let descriptorsAfter = openDescriptorCount()
                let threadsAfter = threadCount()
                // Exactly equal when nothing else in the process opens files meanwhile; the slack
                // tolerates other test targets running in parallel (a leak would be ≥ 1000, and a
                // thread per connection ≥ 200).
                #expect(
                    descriptorsAfter <= descriptorsBefore + 64, "descriptors \(descriptorsBefore) → \(descriptorsAfter)"
                )
                if let threadsBefore, let threadsAfter {
                    #expect(threadsAfter <= threadsBefore + 32, "threads \(threadsBefore) → \(threadsAfter)")
                }
                await listener.close()
            }
        }

        @Test func twoHundredConcurrentConnectionsEcho() async throws {
            try await withTimeout(.seconds(120)) {
                let listener = try await TCPListener.bind(port: 0, backlog: 256, logger: testLogger)
                let threadsBefore = threadCount()
                let serverSide = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<200 {
                            let connection = try await listener.accept()
                            group.addTask {
                                try await connection.write(try await readToEnd(connection))
                                await connection.close()
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            let client = try await TCPTransport.connect(
                                host: "127.0.0.1", port: listener.port, logger: testLogger)
                            let message = pattern(10_000, offset: index)
                            try await client.write(message)
                            try await client.shutdownWrite()
                            #expect(try await readToEnd(client) == message)
                            await client.close()
                        }
                    }
                    try await group.waitForAll()
                }
                try await serverSide.value
                if let threadsBefore, let threadsAfter = threadCount() {
                    #expect(threadsAfter <= threadsBefore + 32, "threads \(threadsBefore) → \(threadsAfter)")
                }
                await listener.close()
            }
        }
    }
}
