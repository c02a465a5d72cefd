import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Testing

/// `WebSocketConfiguration.maxMessageSize` through a whole connection over TCP: a message over
/// the limit, plain (in frames each under the frame limit) or compressed (a deflate bomb: a
/// frame of a few KiB that inflates to megabytes), ends the connection with 1009 on both ends,
/// in either role, and is never delivered.
@Suite struct MessageSizeLimitTests {
    /// The limit of the receiving end.
    static let limit = 64 * 1024

    /// A client connected to a server through a TCP listener; `limited` is the receiving role.
    private func connect(
        limited: WebSocketRole, deflate: Bool
    ) async throws -> (client: WebSocketConnection, server: WebSocketConnection) {
        var bounded = WebSocketConfiguration()
        bounded.maxMessageSize = Self.limit
        bounded.maxFrameSize = Self.limit
        var generous = WebSocketConfiguration()
        generous.maxMessageSize = 64 << 20
        generous.maxFrameSize = 64 << 20
        // Not what these tests are about: a loaded machine must not fail them at the handshake.
        bounded.handshakeTimeout = .seconds(60)
        generous.handshakeTimeout = .seconds(60)
        var client = limited == .client ? bounded : generous
        let server = limited == .server ? bounded : generous
        if deflate { client.perMessageDeflateOffer = .perMessageDeflate(PerMessageDeflateClientConfiguration()) }
        let listener = try await TCPListener.bind(port: 0, logger: testLogger)
        async let accepted = WebSocketConnection.accept(
            try await listener.accept(), configuration: server, logger: testLogger)
        let connected = try await WebSocketConnection.connect(
            to: "ws://127.0.0.1:\(listener.port)/", configuration: client, logger: testLogger)
        let serverConnection = try await accepted
        await listener.close()
        #expect((connected.negotiatedExtensions != nil) == deflate)
        return (connected, serverConnection)
    }

    @Test(arguments: [WebSocketRole.server, .client], [false, true])
    func anOversizedMessageEndsTheConnectionWith1009(limited: WebSocketRole, deflate: Bool) async throws {
        try await withTimeout {
            let (client, server) = try await connect(limited: limited, deflate: deflate)
            let (sender, receiver) = limited == .server ? (client, server) : (server, client)
            // Deflate: 8 MiB of zeros compress to about 8 KiB, one frame well under the frame
            // limit; plain: 256 KiB in 16 KiB frames, each under the frame limit.
            if deflate {
                try? await sender.send([UInt8](repeating: 0, count: 8 << 20))
            } else {
                try? await sender.send(pattern(256 * 1024), fragmentSize: 16 * 1024)
            }
            var delivered = 0
            for await _ in receiver.messages { delivered += 1 }
            #expect(delivered == 0)
            #expect(await receiver.waitUntilClosed().code == .messageTooBig)
            #expect(await sender.waitUntilClosed().code == .messageTooBig)
        }
    }

    @Test(arguments: [false, true])
    func aMessageAtTheLimitIsDelivered(deflate: Bool) async throws {
        try await withTimeout {
            let (client, server) = try await connect(limited: .server, deflate: deflate)
            let message = deflate ? [UInt8](repeating: 0, count: Self.limit) : pattern(Self.limit)
            try await client.send(message, fragmentSize: 16 * 1024)
            var iterator = server.messages.makeAsyncIterator()
            #expect(await iterator.next()?.data == message)
            await client.close()
            #expect(await server.waitUntilClosed().code == .normalClosure)
        }
    }
}
