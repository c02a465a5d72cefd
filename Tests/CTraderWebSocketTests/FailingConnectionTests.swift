// swift-ctrader: failing a connection after a protocol error over real loopback TCP: close frame,
// half-close, drain, then close, so that unread data cannot turn our close into a reset.

import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Testing

@Suite(.timeLimit(.minutes(5))) struct FailingConnectionTests {
    @Test func aPeerThatKeepsSendingAfterAViolationStillReadsOurCloseFrame() async throws {
        try await withTimeout(.seconds(180)) {
            let listener = try await TCPListener.bind(port: 0, logger: testLogger)
            defer { Task { await listener.close() } }
            async let accepted = listener.accept()
            let clientTransport = try await TCPTransport.connect(
                host: "127.0.0.1", port: listener.port, logger: testLogger)
            let serverTransport = try await accepted
            async let raw = RawPeer.acceptingServer(serverTransport)
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "127.0.0.1", logger: testLogger)
            var peer = try await raw

            // A frame with a reserved opcode (0x3) is a protocol violation: 1002. More data follows
            // at once, which the client has not read when it fails the connection.
            var bytes: [UInt8] = [0x83, 0x00]
            let junk = [UInt8](repeating: 0x61, count: 16 * 1024)
            for _ in 0..<8 {
                try peer.encoder.encode(opcode: .binary, payload: junk[...], fin: true, into: &bytes)
            }
            try await serverTransport.write(bytes[...])
            // Keep sending while reading, like a peer that has not noticed yet.
            let encoder = peer.encoder
            let writer = Task {
                var more: [UInt8] = []
                try encoder.encode(opcode: .binary, payload: junk[...], fin: true, into: &more)
                for _ in 0..<256 {
                    try await serverTransport.write(more[...])
                }
            }
            let code = try await peer.closeCode()
            #expect(code == .protocolError)
            writer.cancel()
            _ = await writer.result
            await serverTransport.close()

            let status = await client.waitUntilClosed()
            #expect(status.code == .protocolError)
            #expect(!status.wasClean)
        }
    }

    @Test func afterFailingTheClientHalfClosesAndClosesOnceThePeerDoes() async throws {
        try await withTimeout(.seconds(180)) {
            let listener = try await TCPListener.bind(port: 0, logger: testLogger)
            defer { Task { await listener.close() } }
            async let accepted = listener.accept()
            let clientTransport = try await TCPTransport.connect(
                host: "127.0.0.1", port: listener.port, logger: testLogger)
            let serverTransport = try await accepted
            async let raw = RawPeer.acceptingServer(serverTransport)
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "127.0.0.1", logger: testLogger)
            var peer = try await raw
            try await serverTransport.write([0x83, 0x00][...])
            #expect(try await peer.closeCode() == .protocolError)
            // The client half-closed: the peer reads end of stream, not a reset.
            var rest: [UInt8] = []
            #expect(try await serverTransport.read(into: &rest, maxLength: 1024) == 0)
            // The peer may still write; the client drains it, then closes once the peer closes.
            try await peer.send(.binary, [1, 2, 3])
            await serverTransport.close()
            let status = await client.waitUntilClosed()
            #expect(status.code == .protocolError)
        }
    }
}
