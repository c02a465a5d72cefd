import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketFrameDecoderTests {
    static let rfcKey = WebSocketMaskingKey(rawValue: 0x37FA_213D)
    static let hello = Array("Hello".utf8)

    // MARK: - RFC 6455 §5.7 examples

    @Test func rfcSingleFrameUnmaskedText() throws {
        let frames = try decodeFrames(hex("81 05 48 65 6c 6c 6f"), decoder: WebSocketFrameDecoder(role: .client))
        #expect(frames == [WebSocketFrame(opcode: .text, payload: Self.hello)])
    }

    @Test func rfcSingleFrameMaskedText() throws {
        let frames = try decodeFrames(
            hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
            decoder: WebSocketFrameDecoder(role: .server)
        )
        #expect(frames == [WebSocketFrame(opcode: .text, maskingKey: Self.rfcKey, payload: Self.hello)])
    }

    @Test func rfcFragmentedUnmaskedText() throws {
        var decoder = WebSocketFrameDecoder(role: .client)
        decoder.append(hex("01 03 48 65 6c"))
        let first = try decoder.nextFrame()
        #expect(first == WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)))
        #expect(decoder.isInFragmentedMessage)
        let none = try decoder.nextFrame()
        #expect(none == nil)
        decoder.append(hex("80 02 6c 6f"))
        let second = try decoder.nextFrame()
        #expect(second == WebSocketFrame(opcode: .continuation, payload: Array("lo".utf8)))
        #expect(!decoder.isInFragmentedMessage)
    }

    @Test func rfcUnmaskedPingAndMaskedPong() throws {
        let ping = try decodeFrames(hex("89 05 48 65 6c 6c 6f"), decoder: WebSocketFrameDecoder(role: .client))
        #expect(ping == [WebSocketFrame(opcode: .ping, payload: Self.hello)])
        let pong = try decodeFrames(
            hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
            decoder: WebSocketFrameDecoder(role: .server)
        )
        #expect(pong == [WebSocketFrame(opcode: .pong, maskingKey: Self.rfcKey, payload: Self.hello)])
    }

    @Test func rfc256ByteBinaryWith16BitLength() throws {
        let payload = pattern(256)
        let frames = try decodeFrames(hex("82 7E 01 00") + payload, decoder: WebSocketFrameDecoder(role: .client))
        #expect(frames == [WebSocketFrame(opcode: .binary, payload: payload)])
    }

    @Test func rfc64KiBBinaryWith64BitLength() throws {
        let payload = pattern(65536)
        let frames = try decodeFrames(
            hex("82 7F 00 00 00 00 00 01 00 00") + payload,
            decoder: WebSocketFrameDecoder(role: .client)
        )
        #expect(frames.count == 1)
        #expect(frames.first?.payload.count == 65536)
        #expect(frames == [WebSocketFrame(opcode: .binary, payload: payload)])
    }

    // MARK: - Chunking

    /// A stream of every kind of frame, as a server would receive it (masked).
    static func maskedStream() throws -> [UInt8] {
        let encoder = WebSocketFrameEncoder(role: .client)
        var output: [UInt8] = []
        let key = WebSocketMaskingKey(rawValue: 0xA1B2_C3D4)
        try encoder.encode(opcode: .text, payload: Self.hello, maskingKey: key, into: &output)
        try encoder.encode(opcode: .binary, payload: pattern(300), fin: false, maskingKey: key, into: &output)
        try encoder.encode(opcode: .ping, payload: pattern(125), maskingKey: key, into: &output)
        try encoder.encode(opcode: .continuation, payload: pattern(70_000), fin: false, maskingKey: key, into: &output)
        try encoder.encode(opcode: .continuation, payload: [], maskingKey: key, into: &output)
        try encoder.encode(opcode: .pong, payload: [], maskingKey: key, into: &output)
        try encoder.encodeClose(
            WebSocketClosePayload(code: .normalClosure, reason: "bye"), maskingKey: key, into: &output)
        return output
    }

    @Test(arguments: [WebSocketRole.server, .client])
    func anyChunkingGivesIdenticalFrames(role: WebSocketRole) throws {
        let input: [UInt8]
        if role == .server {
            input = try Self.maskedStream()
        } else {
            // The same frames unmasked, as a client would receive them.
            let masked = try decodeFrames(try Self.maskedStream(), decoder: WebSocketFrameDecoder(role: .server))
            var output: [UInt8] = []
            for frame in masked {
                try WebSocketFrameEncoder(role: .server).encode(frame, into: &output)
            }
            input = output
        }
        let decoder = WebSocketFrameDecoder(role: role)
        let whole = try decodeFrames(input, decoder: decoder)
        #expect(whole.count == 7)
        #expect(whole.map(\.opcode) == [.text, .binary, .ping, .continuation, .continuation, .pong, .close])

        let oneByte = try decodeFrames(input, decoder: decoder, chunkSizes: Array(repeating: 1, count: input.count))
        #expect(oneByte == whole)

        var generator = SeededGenerator(seed: 0xC0FFEE)
        for maxChunk in [2, 7, 64, 1000, 20_000] {
            let sizes = randomChunkSizes(total: input.count, maxChunk: maxChunk, generator: &generator)
            let chunked = try decodeFrames(input, decoder: decoder, chunkSizes: sizes)
            #expect(chunked == whole, "chunks up to \(maxChunk)")
        }
    }

    @Test func partialHeaderNeedsMoreData() throws {
        var decoder = WebSocketFrameDecoder(role: .server)
        for byte in hex("81 85 37 fa 21 3d 7f 9f 4d 51") {
            decoder.append([byte])
            let frame = try decoder.nextFrame()
            #expect(frame == nil)
        }
        decoder.append([0x58])
        let frame = try decoder.nextFrame()
        #expect(frame?.payload == Self.hello[...])
        let none = try decoder.nextFrame()
        #expect(none == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func steadyStateReusesTheBufferWithoutCopying() throws {
        // A decoder whose caller drops each frame keeps one buffer: every payload lands at the
        // same address, unmasked in place.
        var output: [UInt8] = []
        try WebSocketFrameEncoder(role: .client).encode(
            opcode: .binary, payload: pattern(200), maskingKey: Self.rfcKey, into: &output
        )
        var decoder = WebSocketFrameDecoder(role: .server)
        var addresses: Set<Int> = []
        for round in 0..<50 {
            decoder.append(output)
            let decoded = try decoder.nextFrame()
            let frame = try #require(decoded)
            #expect(frame.payload.elementsEqual(pattern(200)))
            if round > 0 {
                addresses.insert(frame.payload.withUnsafeBytes { Int(bitPattern: $0.baseAddress) })
            }
        }
        #expect(addresses.count == 1)
    }

    @Test func allowedRSV1PassesThrough() throws {
        var decoder = WebSocketFrameDecoder(role: .client, allowedReservedBits: .rsv1)
        decoder.append(hex("C1 02 61 62"))
        let decoded = try decoder.nextFrame()
        let frame = try #require(decoded)
        #expect(frame.rsv1 && !frame.rsv2 && !frame.rsv3)
        #expect(frame.payload.elementsEqual([0x61, 0x62]))
    }

    // MARK: - Rejections, each from the header alone

    /// Feeds `header` (only a header, never a payload) and expects the error.
    private func expectRejection(
        _ header: String,
        role: WebSocketRole = .client,
        maxFrameSize: Int = WebSocketFrameDecoder.defaultMaxFrameSize,
        allowed: WebSocketReservedBits = [],
        prefix: String? = nil,
        _ code: WebSocketFramingError.Code,
        _ closeCode: WebSocketCloseCode,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var decoder = WebSocketFrameDecoder(role: role, maxFrameSize: maxFrameSize, allowedReservedBits: allowed)
        if let prefix {
            decoder.append(hex(prefix))
            while (try? decoder.nextFrame()) != nil {}
        }
        decoder.append(hex(header))
        expectFramingError(code, closeCode: closeCode, sourceLocation: sourceLocation) {
            _ = try decoder.nextFrame()
        }
        #expect(decoder.hasFailed, sourceLocation: sourceLocation)
    }

    @Test(arguments: [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] as [UInt8])
    func rejectsReservedOpcodes(opcode: UInt8) {
        expectRejection(String(0x80 | opcode, radix: 16) + " 05", .reservedOpcode, .protocolError)
    }

    @Test func rejectsReservedBitsNotNegotiated() {
        expectRejection("C1 05", .reservedBitSet, .protocolError)
        expectRejection("A1 05", .reservedBitSet, .protocolError)
        expectRejection("91 05", .reservedBitSet, .protocolError)
        // RSV1 allowed does not allow RSV2.
        expectRejection("A1 05", allowed: .rsv1, .reservedBitSet, .protocolError)
    }

    @Test func rejectsFragmentedControlFrames() {
        expectRejection("09 00", .fragmentedControlFrame, .protocolError)
        expectRejection("08 02", .fragmentedControlFrame, .protocolError)
    }

    @Test func rejectsControlFramesOver125Bytes() {
        expectRejection("89 7E", .controlFrameTooLong, .protocolError)
        expectRejection("88 7F", .controlFrameTooLong, .protocolError)
    }

    @Test func rejectsContinuationWithoutMessage() {
        expectRejection("80 05", .unexpectedContinuation, .protocolError)
        expectRejection("00 05", .unexpectedContinuation, .protocolError)
    }

    @Test func rejectsNewDataFrameInsideFragmentedMessage() {
        expectRejection("81 05", prefix: "01 03 48 65 6c", .expectedContinuation, .protocolError)
        expectRejection("02 05", prefix: "01 03 48 65 6c", .expectedContinuation, .protocolError)
        // A control frame between fragments is fine; the message is still open afterwards.
        expectRejection("82 00", prefix: "01 03 48 65 6c 89 00", .expectedContinuation, .protocolError)
    }

    @Test func rejects64BitLengthWithHighBit() {
        expectRejection("82 7F 80 00 00 00 00 00 00 00", .invalidPayloadLength, .protocolError)
    }

    @Test func rejectsNonMinimalLengths() {
        expectRejection("82 7E 00 7D", .nonMinimalPayloadLength, .protocolError)
        expectRejection("82 7E 00 00", .nonMinimalPayloadLength, .protocolError)
        expectRejection("82 7F 00 00 00 00 00 00 FF FF", .nonMinimalPayloadLength, .protocolError)
        expectRejection("82 7F 00 00 00 00 00 00 00 05", .nonMinimalPayloadLength, .protocolError)
    }

    @Test func rejectsFramesOverMaxFrameSize() {
        expectRejection("82 7E 03 E9", maxFrameSize: 1000, .frameTooLarge, .messageTooBig)
        expectRejection("82 7F 00 00 00 00 00 01 00 00", maxFrameSize: 65535, .frameTooLarge, .messageTooBig)
        expectRejection("82 7F 00 00 00 01 00 00 00 00", .frameTooLarge, .messageTooBig)
        expectRejection("82 0B", maxFrameSize: 10, .frameTooLarge, .messageTooBig)
    }

    @Test func acceptsFrameOfExactlyMaxFrameSize() throws {
        var decoder = WebSocketFrameDecoder(role: .client, maxFrameSize: 10)
        decoder.append(hex("82 0A") + pattern(10))
        let frame = try decoder.nextFrame()
        #expect(frame?.payload.count == 10)
    }

    @Test func serverRejectsUnmaskedFrames() {
        expectRejection("81 05", role: .server, .unmaskedFrame, .protocolError)
    }

    @Test func clientRejectsMaskedFrames() {
        expectRejection("81 85", role: .client, .maskedFrame, .protocolError)
    }

    @Test func failedDecoderStaysFailed() throws {
        var decoder = WebSocketFrameDecoder(role: .client)
        decoder.append(hex("83 00"))
        expectFramingError(.reservedOpcode, closeCode: .protocolError) { _ = try decoder.nextFrame() }
        decoder.append(hex("81 05 48 65 6c 6c 6f"))
        expectFramingError(.reservedOpcode, closeCode: .protocolError) { _ = try decoder.nextFrame() }
        expectFramingError(.reservedOpcode, closeCode: .protocolError) { _ = try decoder.nextFrame() }
    }
}

@Suite(.timeLimit(.minutes(5))) struct WebSocketFrameDecoderRandomInputTests {
    /// Decodes until the first error, and returns the frames and the error (if any).
    private func outcome(
        _ input: [UInt8], role: WebSocketRole, chunkSizes: [Int]
    ) -> (frames: [WebSocketFrame], error: WebSocketFramingError?) {
        var decoder = WebSocketFrameDecoder(role: role, maxFrameSize: 300)
        var frames: [WebSocketFrame] = []
        var start = 0
        var sizes = chunkSizes[...]
        do {
            while start < input.count {
                let end = min(input.count, start + (sizes.popFirst() ?? input.count))
                decoder.append(input[start..<end])
                while let frame = try decoder.nextFrame() {
                    frames.append(frame)
                }
                start = end
            }
            return (frames, nil)
        } catch {
            return (frames, error)
        }
    }

    @Test(arguments: [WebSocketRole.client, .server])
    func randomInputGivesTheSameOutcomeWholeAndByteByByte(role: WebSocketRole) {
        var generator = SeededGenerator(seed: role == .client ? 1 : 2)
        // First octets that are mostly valid, so some inputs decode several frames before failing.
        let firstOctets: [UInt8] = [0x81, 0x82, 0x01, 0x80, 0x00, 0x89, 0x8A, 0x88, 0xC1, 0x83, 0x09]
        for _ in 0..<2000 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                input.append(firstOctets.randomElement(using: &generator)!)
                let masked: UInt8 = Bool.random(using: &generator) ? 0x80 : 0
                let length = [0, 1, 5, 125, 126, 127].randomElement(using: &generator)!
                input.append(masked | UInt8(length))
                let extra = Int.random(in: 0...20, using: &generator)
                input += (0..<extra).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            let whole = outcome(input, role: role, chunkSizes: [])
            let bytewise = outcome(input, role: role, chunkSizes: Array(repeating: 1, count: input.count))
            #expect(whole.frames == bytewise.frames, "\(input)")
            #expect(whole.error?.code == bytewise.error?.code, "\(input)")
        }
    }

    /// The octets of a frame still arriving come out unmasked with their offset, once each;
    /// the whole frame then carries the same payload.
    @Test(arguments: [1, 3, 4, 9])
    func partialFramesHandOutEachOctetOnce(chunkSize: Int) throws {
        let payload = pattern(40)
        var input: [UInt8] = []
        try WebSocketFrameEncoder(role: .client).encode(
            opcode: .text, payload: payload, fin: false, maskingKey: WebSocketMaskingKey(1, 2, 3, 4), into: &input)
        var decoder = WebSocketFrameDecoder(role: .server)
        var seen: [UInt8] = []
        var frames: [WebSocketFrame] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + chunkSize)
            decoder.append(input[start..<end])
            start = end
            while let frame = try decoder.nextFrame() { frames.append(frame) }
            if let part = decoder.nextPartialFrame() {
                #expect(part.offset == seen.count)
                #expect(part.opcode == .text && !part.fin && part.length == 40)
                seen += part.payload
                #expect(decoder.nextPartialFrame() == nil)
            }
        }
        #expect(seen == Array(payload.prefix(seen.count)))
        #expect(seen.count > 0 && seen.count < 40)
        #expect(frames.map { Array($0.payload) } == [payload])
    }
}
