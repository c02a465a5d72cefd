import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketFrameReaderTests {
    /// Drains every event after appending `input` in chunks of `chunkSize`.
    private func events(
        _ input: [UInt8], reader: WebSocketFrameReader, chunkSize: Int
    ) throws -> [WebSocketMessageAssembler.Event] {
        var reader = reader
        var events: [WebSocketMessageAssembler.Event] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + chunkSize)
            reader.append(input[start..<end])
            while let event = try reader.nextEvent() {
                events.append(event)
            }
            start = end
        }
        return events
    }

    @Test(arguments: [1, 3, 1000])
    func rfcExamplesBecomeEvents(chunkSize: Int) throws {
        let input =
            hex("81 05 48 65 6c 6c 6f") + hex("01 03 48 65 6c") + hex("89 05 48 65 6c 6c 6f")
            + hex("80 02 6c 6f") + hex("82 7E 01 00") + pattern(256) + hex("88 02 03 e8")
        let result = try events(input, reader: WebSocketFrameReader(role: .client), chunkSize: chunkSize)
        #expect(
            result == [
                .message(WebSocketMessage(text: "Hello")),
                .ping(Array("Hello".utf8)[...]),
                .message(WebSocketMessage(text: "Hello")),
                .message(WebSocketMessage(binary: pattern(256))),
                .close(WebSocketClosePayload(code: .normalClosure)),
            ])
    }

    @Test func inflaterTurnsOnRSV1() throws {
        let compressed = hex("c1 02 68 69")  // RSV1 text "hi"
        expectFramingError(.reservedBitSet, closeCode: .protocolError) {
            _ = try events(compressed, reader: WebSocketFrameReader(role: .client), chunkSize: 100)
        }
        let reader = WebSocketFrameReader(role: .client, inflater: WebSocketMessageAssemblerTests.DoublingInflater())
        #expect(reader.decoder.allowedReservedBits == .rsv1)
        let result = try events(compressed, reader: reader, chunkSize: 1)
        #expect(result == [.message(WebSocketMessage(text: "hhii"))])
    }

    @Test func errorsCarryTheirCloseCode() {
        expectFramingError(.frameTooLarge, closeCode: .messageTooBig) {
            _ = try events(
                hex("82 7E 01 00"), reader: WebSocketFrameReader(role: .client, maxFrameSize: 255), chunkSize: 4)
        }
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try events(hex("81 02 c3 28"), reader: WebSocketFrameReader(role: .client), chunkSize: 4)
        }
    }

    // MARK: - Strict RFC 6455 behaviour (issue 19)

    /// Frames as `role`'s peer sends them: masked with a fixed key when `role` is a server.
    private func wire(_ frames: [(WebSocketOpcode, [UInt8], Bool)], to role: WebSocketRole) throws -> [UInt8] {
        let encoder = WebSocketFrameEncoder(role: role == .server ? .client : .server)
        var output: [UInt8] = []
        for (opcode, payload, fin) in frames {
            try encoder.encode(
                opcode: opcode, payload: payload, fin: fin,
                maskingKey: role == .server ? WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D) : nil, into: &output)
        }
        return output
    }

    /// Autobahn 4.1.3, 4.2.3 and 5.15: the message that came before a protocol error in the same
    /// read is an event of its own, before the error.
    @Test(arguments: [WebSocketRole.client, .server])
    func messageBeforeAProtocolErrorInTheSameReadComesFirst(role: WebSocketRole) throws {
        let hello = Array("Hello, world!".utf8)
        let reservedData =
            try wire([(.text, hello, true)], to: role)
            + (role == .server ? hex("85 80 00 00 00 00") : hex("85 00"))
            + wire([(.ping, [], true)], to: role)
        let reservedControl =
            try wire([(.text, hello, true)], to: role)
            + (role == .server ? hex("8d 80 00 00 00 00") : hex("8d 00"))
            + wire([(.ping, [], true)], to: role)
        let strayContinuation = try wire(
            [
                (.text, Array("fragment1".utf8), false), (.continuation, Array("fragment2".utf8), true),
                (.continuation, Array("fragment3".utf8), false), (.text, Array("fragment4".utf8), true),
            ], to: role)
        let cases: [([UInt8], WebSocketMessage, WebSocketFramingError.Code)] = [
            (reservedData, WebSocketMessage(text: "Hello, world!"), .reservedOpcode),
            (reservedControl, WebSocketMessage(text: "Hello, world!"), .reservedOpcode),
            (strayContinuation, WebSocketMessage(text: "fragment1fragment2"), .unexpectedContinuation),
        ]
        for (input, message, code) in cases {
            var reader = WebSocketFrameReader(role: role)
            reader.append(input)
            #expect(try reader.nextEvent() == .message(message))
            expectFramingError(code, closeCode: .protocolError) { _ = try reader.nextEvent() }
        }
    }

    /// The payload of Autobahn 6.4.3 and 6.4.4: valid text, then an octet no UTF-8 text can
    /// contain (U+110000 would follow `F4 90`), then more text.
    static let greek: [UInt8] = hex("ce ba e1 bd b9 cf 83 ce bc ce b5")
    static let rest: [UInt8] = hex("65 64 69 74 65 64")

    /// Autobahn 6.4.3 and 6.4.4: a text frame whose first part is valid and whose second part
    /// holds an invalid sequence fails (1007) when the second part arrives, with the rest of
    /// the frame still missing.
    @Test(arguments: [WebSocketRole.client, .server], [hex("f4 90 80 80"), hex("f4 90")])
    func invalidUTF8FailsBeforeTheRestOfTheFrameArrives(role: WebSocketRole, bad: [UInt8]) throws {
        let payload = Self.greek + hex("f4 90 80 80") + Self.rest
        let input = try wire([(.text, payload, true)], to: role)
        let header = input.count - payload.count
        var reader = WebSocketFrameReader(role: role)
        reader.append(input[..<(header + Self.greek.count)])
        #expect(try reader.nextEvent() == nil)
        reader.append(input[(header + Self.greek.count)..<(header + Self.greek.count + bad.count)])
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) { _ = try reader.nextEvent() }
    }

    /// The same inside the continuation of a fragmented text message.
    @Test(arguments: [WebSocketRole.client, .server])
    func invalidUTF8InAContinuationStillArrivingFails(role: WebSocketRole) throws {
        let first = try wire([(.text, Self.greek, false)], to: role)
        let second = try wire([(.continuation, hex("f4 90 80 80") + Self.rest, true)], to: role)
        var reader = WebSocketFrameReader(role: role)
        reader.append(first)
        #expect(try reader.nextEvent() == nil)
        reader.append(second.dropLast(Self.rest.count + 2))  // the header and F4 90
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) { _ = try reader.nextEvent() }
    }

    /// A frame cut anywhere, masked or not, still gives the same message: the parts checked
    /// early are unmasked once, with the key phase of their offset.
    @Test(arguments: [WebSocketRole.client, .server], [1, 2, 3, 5, 7, 64])
    func textArrivingInPiecesIsUnchanged(role: WebSocketRole, chunkSize: Int) throws {
        let text = "héllo wörld, κόσμε, 𝄞 " + String(repeating: "ascii ", count: 20)
        let input = try wire(
            [
                (.text, Array(text.utf8.prefix(50)), false), (.ping, [1, 2, 3], true),
                (.continuation, Array(text.utf8.dropFirst(50)), true), (.binary, pattern(300), true),
            ], to: role)
        let result = try events(input, reader: WebSocketFrameReader(role: role), chunkSize: chunkSize)
        #expect(
            result == [
                .ping([1, 2, 3]), .message(WebSocketMessage(text: text)),
                .message(WebSocketMessage(binary: pattern(300))),
            ])
    }

    /// A frame that breaks another rule is left to the whole-frame check, so its close code
    /// does not depend on where the bytes were cut: here the frame is over the message limit
    /// (1009) and its first octets are invalid UTF-8.
    @Test func partsOfAFrameOverTheLimitAreNotValidated() throws {
        var reader = WebSocketFrameReader(role: .client, maxMessageSize: 10)
        reader.append(hex("81 0c ff ff"))
        #expect(try reader.nextEvent() == nil)
        reader.append(pattern(10))
        expectFramingError(.messageTooLarge, closeCode: .messageTooBig) { _ = try reader.nextEvent() }
    }
}
