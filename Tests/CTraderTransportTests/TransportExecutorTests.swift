import CTraderTestSupport
import Testing

@testable import CTraderTransport

#if os(Linux)
/// Tasks that prefer ``TransportExecutor`` run on the poller's thread, and their socket I/O, which
/// parks on that same thread, still completes.
@Suite(.timeLimit(.minutes(5))) struct TransportExecutorTests {
    @Test func aTaskThatPrefersItRunsOnTheIOThread() async throws {
        let executor = try #require(TransportExecutor.preferred)
        let inside = await withTaskExecutorPreference(executor) { Poller.shared.isCurrentThread }
        #expect(inside)
        let outside = await Task.detached { Poller.shared.isCurrentThread }.value
        #expect(!outside)
    }

    @Test func socketIOFromTheIOThreadCompletes() async throws {
        let executor = try #require(TransportExecutor.preferred)
        try await withTimeout(.seconds(180), "an echo on the I/O thread") {
            try await withTaskExecutorPreference(executor) {
                let listener = try await TCPListener.bind(port: 0, logger: testLogger)
                async let accepted = listener.acceptConnection()
                let client = try await TCPTransport.connect(host: "127.0.0.1", port: listener.port, logger: testLogger)
                let server = try await accepted
                // Larger than the socket buffers: both sides park and are resumed by this thread.
                let message = pattern(8 << 20)
                async let echoed: Void = {
                    try await server.write(try await readToEnd(server))
                    await server.close()
                }()
                async let sent: Void = {
                    try await client.write(message)
                    try await client.shutdownWrite()
                }()
                try await sent
                #expect(try await readToEnd(client) == message)
                try await echoed
                #expect(Poller.shared.isCurrentThread)
                await client.close()
                await listener.close()
            }
        }
    }
}
#endif
