import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Testing

/// Strict RFC 6455 / RFC 7692 behaviour through a whole in-memory connection (issue 19).
@Suite(.timeLimit(.minutes(5))) struct WebSocketConnectionStrictnessTests {
    /// Autobahn 4.1.3, 4.2.3 and 5.15: a message, then a protocol error, in one write. The
    /// application's echo of the message reaches the peer before the close frame (1002).
    @Test(arguments: [0, 1, 2])
    func aMessageBeforeAProtocolErrorIsEchoedBeforeTheClose(variant: Int) async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            var peer = try await RawPeer.connectingClient(clientTransport)
            let server = try await accepted
            let echo = Task {
                for await message in server.messages {
                    try? await server.send(message.data, opcode: message.opcode)
                }
            }
            var bytes: [UInt8] = []
            let expected: String
            switch variant {
            case 0, 1:
                expected = "Hello, world!"
                try peer.encoder.encode(opcode: .text, payload: Array(expected.utf8), into: &bytes)
                bytes += variant == 0 ? [0x85, 0x80, 0, 0, 0, 0] : [0x8D, 0x80, 0, 0, 0, 0]  // reserved opcodes 5, 13
                try peer.encoder.encode(opcode: .ping, payload: [], into: &bytes)
            default:
                expected = "fragment1fragment2"
                try peer.encoder.encode(opcode: .text, payload: Array("fragment1".utf8), fin: false, into: &bytes)
                try peer.encoder.encode(opcode: .continuation, payload: Array("fragment2".utf8), into: &bytes)
                try peer.encoder.encode(
                    opcode: .continuation, payload: Array("fragment3".utf8), fin: false, into: &bytes)
                try peer.encoder.encode(opcode: .text, payload: Array("fragment4".utf8), into: &bytes)
            }
            try await peer.transport.write(bytes)
            var received: [WebSocketFrame] = []
            while let frame = try await peer.nextFrame() {
                received.append(frame)
                if frame.opcode == .close { break }
            }
            await peer.transport.close()
            #expect(received.map(\.opcode) == [.text, .close])
            #expect(received.first.map { Array($0.payload) } == Array(expected.utf8))
            if let close = received.last, close.opcode == .close {
                #expect(try WebSocketClosePayload(decoding: close.payload).code == .protocolError)
            }
            let status = await server.waitUntilClosed()
            #expect(status.code == .protocolError)
            echo.cancel()
        }
    }

    /// Autobahn 6.4.3 and 6.4.4: invalid UTF-8 in a text frame whose rest has not arrived fails
    /// the connection (1007) at once.
    @Test(arguments: [[0xF4, 0x90, 0x80, 0x80], [0xF4, 0x90]] as [[UInt8]])
    func invalidUTF8FailsWhileTheFrameIsStillArriving(bad: [UInt8]) async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            var peer = try await RawPeer.connectingClient(clientTransport)
            let server = try await accepted
            let drain = Task { for await _ in server.messages {} }
            let greek: [UInt8] = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5]
            let payload = greek + [0xF4, 0x90, 0x80, 0x80] + Array("edited".utf8)
            var bytes: [UInt8] = []
            try peer.encoder.encode(opcode: .text, payload: payload, into: &bytes)
            let header = bytes.count - payload.count
            try await peer.transport.write(bytes[..<(header + greek.count)])
            try await peer.transport.write(bytes[(header + greek.count)..<(header + greek.count + bad.count)])
            // The rest of the frame is never sent.
            #expect(try await peer.closeCode() == .invalidFramePayloadData)
            await peer.transport.close()
            #expect(await server.waitUntilClosed().code == .invalidFramePayloadData)
            await drain.value
        }
    }

    /// RFC 7692 §7.2.3.6: an empty message after a compressed one, with compression from the
    /// first octet (`minimumSizeToCompress` 0), with and without context takeover.
    @Test(arguments: [false, true])
    func anEmptyMessageAfterACompressedOneRoundTrips(noContextTakeover: Bool) async throws {
        try await withTimeout {
            var clientConfiguration = WebSocketConfiguration(minimumSizeToCompress: 0)
            clientConfiguration.perMessageDeflateOffer = .perMessageDeflate(
                PerMessageDeflateClientConfiguration(
                    serverNoContextTakeover: noContextTakeover, clientNoContextTakeover: noContextTakeover))
            let (client, server) = try await makeConnectedPair(
                client: clientConfiguration, server: WebSocketConfiguration(minimumSizeToCompress: 0))
            #expect(client.negotiatedExtensions != nil)
            let echo = Task {
                for await message in server.messages {
                    try await server.send(message.data, opcode: message.opcode)
                }
            }
            let sent: [WebSocketMessage] = [
                WebSocketMessage(text: String(repeating: "cTrader ", count: 20)),
                WebSocketMessage(text: ""), WebSocketMessage(binary: []),
                WebSocketMessage(text: "x"), WebSocketMessage(text: ""),
            ]
            var iterator = client.messages.makeAsyncIterator()
            for message in sent {
                try await client.send(message.data, opcode: message.opcode)
                #expect(await iterator.next() == message)
            }
            await client.close(code: .normalClosure, reason: "")
            try await echo.value
            #expect(await server.waitUntilClosed() == WebSocketCloseStatus(code: .normalClosure, wasClean: true))
        }
    }
}
