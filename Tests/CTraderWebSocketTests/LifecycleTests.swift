import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Testing

extension ProcessTests {
    @Suite struct Lifecycle {
        @Test func thousandConnectCloseCyclesLeakNoDescriptorOrThread() async throws {
            try await withTimeout(.seconds(300)) {
                let listener = try await TCPListener.bind(port: 0, logger: testLogger)
                let server = WebSocketServer(listener: listener, logger: testLogger) { connection in
                    for await message in connection.messages {
                        try? await connection.send(message.data, opcode: message.opcode)
                    }
                }
                let serving = Task { await server.run() }
                let url = "ws://127.0.0.1:\(listener.port)/cycle"
                @Sendable func cycle(_ index: Int) async throws {
                    let client = try await WebSocketConnection.connect(to: url, logger: testLogger)
                    try await client.send(text: "cycle \(index)")
                    var iterator = client.messages.makeAsyncIterator()
                    #expect(await iterator.next()?.text == "cycle \(index)")
                    await client.close()
                    let status = await client.waitUntilClosed()
                    #expect(status.wasClean, "cycle \(index): \(status)")
                }
                for index in 0..<20 { try await cycle(index) }  // warm up: poller, cooperative pool
                let descriptorsBefore = ProcessResources.openDescriptorCount()
                let threadsBefore = ProcessResources.threadCount()
                for index in 0..<1000 { try await cycle(index) }
                // The server side closes its transport before the client sees end of stream, so
                // nothing should remain; allow the last handler a moment to return.
                var descriptorsAfter = ProcessResources.openDescriptorCount()
                for _ in 0..<100 where descriptorsAfter > descriptorsBefore {
                    try await Task.sleep(for: .milliseconds(20))
                    descriptorsAfter = ProcessResources.openDescriptorCount()
                }
                let threadsAfter = ProcessResources.threadCount()
                // Slack for other test targets running in the same process (a leak would
                // be ≥ 1000).
                #expect(
                    descriptorsAfter <= descriptorsBefore + 64, "descriptors \(descriptorsBefore) → \(descriptorsAfter)"
                )
                if let threadsBefore, let threadsAfter {
                    #expect(threadsAfter <= threadsBefore + 32, "threads \(threadsBefore) → \(threadsAfter)")
                }
                await server.close()
                await serving.value
            }
        }
    }
}
