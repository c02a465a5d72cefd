// swift-ctrader: the WebSocket message limit through a channel listener, as a server uses it.

import CTraderChannel
import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Logging
import Testing

/// A client that sends a message over the server's `maxMessageSize` to a
/// `CTraderChannelListener.webSocket` over TCP, plain (in frames under the frame limit) or as a
/// deflate bomb (8 MiB of zeros in one compressed frame of a few KiB): the server's channel
/// delivers nothing and ends, and the client sees close code 1009.
@Suite struct WebSocketChannelLimitTests {
    @Test(arguments: [false, true])
    func anOversizedMessageEndsTheChannelWith1009(deflate: Bool) async throws {
        try await withTimeout {
            var server = patientWebSocket
            server.maxMessageSize = 64 * 1024
            server.maxFrameSize = 64 * 1024
            let tcp = try await TCPListener.bind(port: 0, logger: .init(label: "test"))
            let listener = CTraderChannelListener.webSocket(tcp, configuration: server)
            async let accepted = listener.accept()
            var client = patientWebSocket
            client.maxMessageSize = 64 << 20
            client.maxFrameSize = 64 << 20
            if deflate { client.perMessageDeflateOffer = .perMessageDeflate(PerMessageDeflateClientConfiguration()) }
            let connection = try await WebSocketConnection.connect(
                to: "ws://127.0.0.1:\(tcp.port)/", configuration: client, logger: .init(label: "test"))
            let channel = try await accepted
            await listener.close()
            #expect((connection.negotiatedExtensions != nil) == deflate)

            if deflate {
                try? await connection.send([UInt8](repeating: 0, count: 8 << 20))
            } else {
                try? await connection.send([UInt8](repeating: 0x20, count: 256 * 1024), fragmentSize: 16 * 1024)
            }
            let element = try? await channel.next()
            #expect(element == nil)
            #expect(await connection.waitUntilClosed().code == .messageTooBig)
            await channel.close()
        }
    }
}
