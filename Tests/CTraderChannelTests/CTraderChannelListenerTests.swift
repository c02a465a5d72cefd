// swift-ctrader: tests of the channel listener.

import CTraderChannel
import CTraderMessaging
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Logging
import Testing

@Suite struct CTraderChannelListenerTests {
    /// Serves with an echo handler; returns once `body` is done and serving stopped.
    static func withEchoServer(
        _ listener: CTraderChannelListener,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        let serving = Task {
            await listener.serve { channel in
                while let envelope = try? await channel.receive() {
                    try? await channel.send(envelope)
                }
            }
        }
        do {
            try await body()
        } catch {
            await listener.close()
            await serving.value
            throw error
        }
        await listener.close()
        try await withTimeout { await serving.value }
    }

    @Test func servesProtobufChannels() async throws {
        let memory = InMemoryListener()
        let listener = CTraderChannelListener.protobuf(memory)
        #expect(listener.port == memory.port)
        try await Self.withEchoServer(listener) {
            for id in ["a", "b"] {
                let client = ProtobufChannel(transport: try memory.connect())
                try await client.send(Envelope(ProtoHeartbeatEvent(), clientMsgId: id))
                #expect(try await withTimeout { try await client.receive() }?.clientMsgId == id)
                await client.close()
            }
        }
    }

    @Test func servesWebSocketChannelsAndSkipsAFailedHandshake() async throws {
        let memory = InMemoryListener()
        let listener = CTraderChannelListener.webSocket(memory, configuration: patientWebSocket)
        try await Self.withEchoServer(listener) {
            // Not a WebSocket client: the handshake fails, the listener goes on.
            let stray = try memory.connect()
            try await stray.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
            try await withTimeout {
                var buffer: [UInt8] = []
                while try await stray.read(into: &buffer, maxLength: 4096) > 0 { buffer.removeAll() }
            }
            await stray.close()

            let connector = CTraderConnector.webSocket(host: "localhost", configuration: patientWebSocket) {
                try memory.connect()
            }
            let client = try await withTimeout { try await connector.open(logger: .init(label: "test")) }
            try await client.send(Envelope(ProtoHeartbeatEvent(), clientMsgId: "ws"))
            #expect(try await withTimeout { try await client.receive() }?.clientMsgId == "ws")
            await client.close()
        }
    }

    @Test func closesTheChannelWhenTheHandlerReturns() async throws {
        let memory = InMemoryListener()
        let listener = CTraderChannelListener.protobuf(memory)
        let serving = Task { await listener.serve { _ in } }
        let client = ProtobufChannel(transport: try memory.connect())
        #expect(try await withTimeout { try await client.next() } == nil)
        await listener.close()
        try await withTimeout { await serving.value }
    }
}
