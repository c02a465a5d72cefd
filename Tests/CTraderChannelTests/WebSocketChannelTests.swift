// swift-ctrader: tests of the JSON-over-WebSocket channel.

import CTraderChannel
import CTraderMessaging
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Logging
import Testing

@Suite struct WebSocketChannelTests {
    /// A client and a server channel over an in-memory pair.
    static func pair(
        encoder: WebSocketChannel.Encoder? = nil
    ) async throws -> (client: any CTraderChannel, server: any CTraderChannel) {
        let listener = CTraderChannelListener.webSocket(
            InMemoryListener(), configuration: patientWebSocket, encoder: encoder)
        let memory = try #require(listener.transportListener as? InMemoryListener)
        let connector = CTraderConnector.webSocket(host: "localhost", configuration: patientWebSocket) {
            try memory.connect()
        }
        async let server = listener.accept()
        let client = try await withTimeout { try await connector.open(logger: .init(label: "test")) }
        return (client, try await server)
    }

    @Test func envelopesRoundTripInBothDirections() async throws {
        let (client, server) = try await Self.pair()
        try await expectRequestAndAnswer(client: client, server: server)
        await client.close()
        #expect(try await withTimeout { try await server.next() } == nil)
    }

    @Test func aCustomEncoderWritesTheText() async throws {
        let text = #"{"clientMsgId":"custom","payloadType":51}"#
        let (client, server) = try await Self.pair(encoder: { _ in Array(text.utf8) })
        try await server.send(Envelope(ProtoHeartbeatEvent()))
        let envelope = try #require(try await withTimeout { try await client.receive() })
        #expect(envelope.clientMsgId == "custom")
        #expect(envelope.payloadType == .heartbeatEvent)
    }

    @Test func anUndecodableMessageIsSurfacedAndTheChannelGoesOn() async throws {
        let (client, server) = try await Self.pair()
        let connection = try #require(client as? WebSocketChannel).connection
        try await connection.send(text: "not json")
        try await client.send(Envelope(ProtoHeartbeatEvent()))

        let first = try await withTimeout { try await server.next() }
        guard case .undecodable(_, let bytes) = first else {
            Issue.record("expected an undecodable element")
            return
        }
        #expect(bytes == Array("not json".utf8))
        let next = try #require(try await withTimeout { try await server.receive() })
        #expect(next.payloadType == .heartbeatEvent)
    }

    @Test func closeIsACleanHandshakeAndAbortIsNot() async throws {
        let (politeClient, politeServer) = try await Self.pair()
        await politeServer.close()
        let polite = try #require(politeClient as? WebSocketChannel).connection
        #expect(await polite.waitUntilClosed().wasClean)

        let (rudeClient, rudeServer) = try await Self.pair()
        await rudeServer.abort()
        let rude = try #require(rudeClient as? WebSocketChannel).connection
        #expect(await !rude.waitUntilClosed().wasClean)
    }
}
