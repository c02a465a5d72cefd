import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import Testing

@testable import CTraderWebSocket

@Suite(.timeLimit(.minutes(5))) struct WebSocketConfigurationTests {
    @Test func compressionDefaultsAreZlibsOwn() {
        let configuration = WebSocketConfiguration()
        #expect(configuration.compressionLevel == 6)
        #expect(configuration.compressionMemoryLevel == 8)
        #expect(configuration.minimumSizeToCompress == 64)
    }

    @Test(arguments: [(level: 1, memoryLevel: 1), (level: 9, memoryLevel: 2), (level: 6, memoryLevel: 9)])
    func messagesRoundTripAtEveryCompressionSetting(level: Int, memoryLevel: Int) async throws {
        try await withTimeout {
            var client = WebSocketConfiguration(compressionLevel: level, compressionMemoryLevel: memoryLevel)
            client.perMessageDeflateOffer = .perMessageDeflate(
                PerMessageDeflateClientConfiguration(clientMaxWindowBits: .valueless))
            let server = WebSocketConfiguration(
                perMessageDeflateAccept: PerMessageDeflateServerConfiguration(
                    serverMaxWindowBits: 9, clientMaxWindowBits: 9),
                compressionLevel: level, compressionMemoryLevel: memoryLevel)
            let (connected, accepted) = try await makeConnectedPair(client: client, server: server)
            let negotiated = try #require(connected.negotiatedExtensions)
            #expect(negotiated.contains("server_max_window_bits=9"))
            #expect(negotiated.contains("client_max_window_bits=9"))
            let echo = Task {
                for await message in accepted.messages { try await accepted.send(message.data, opcode: message.opcode) }
            }
            var iterator = connected.messages.makeAsyncIterator()
            // Larger than the 512-byte window, repetitive enough to be compressed with back references.
            for message in [
                WebSocketMessage(text: String(repeating: "EURUSD bid 1.07918 ask 1.07924; ", count: 300)),
                WebSocketMessage(binary: pattern(5_000)), WebSocketMessage(binary: []),
            ] {
                try await connected.send(message.data, opcode: message.opcode)
                #expect(await iterator.next() == message)
            }
            await connected.close(code: .normalClosure, reason: "done")
            #expect(await iterator.next() == nil)
            try await echo.value
        }
    }

    @Test func aMemoryLevelZlibRefusesFailsTheOpeningHandshake() async throws {
        try await withTimeout {
            var client = WebSocketConfiguration(compressionMemoryLevel: 0)
            client.perMessageDeflateOffer = .perMessageDeflate(PerMessageDeflateClientConfiguration())
            await #expect(throws: (any Error).self) { _ = try await makeConnectedPair(client: client) }
        }
    }
}
