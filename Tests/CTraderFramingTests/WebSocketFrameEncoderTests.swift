import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketFrameEncoderTests {
    static let rfcKey = WebSocketMaskingKey(rawValue: 0x37FA_213D)
    static let hello = Array("Hello".utf8)
    let server = WebSocketFrameEncoder(role: .server)
    let client = WebSocketFrameEncoder(role: .client)

    // MARK: - RFC 6455 §5.7 examples

    @Test func rfcSingleFrameUnmaskedText() throws {
        var output: [UInt8] = []
        try server.encode(opcode: .text, payload: Self.hello, into: &output)
        #expect(output == hex("81 05 48 65 6c 6c 6f"))
    }

    @Test func rfcSingleFrameMaskedText() throws {
        var output: [UInt8] = []
        try client.encode(opcode: .text, payload: Self.hello, maskingKey: Self.rfcKey, into: &output)
        #expect(output == hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
    }

    @Test func rfcFragmentedUnmaskedText() throws {
        var output: [UInt8] = []
        try server.encode(opcode: .text, payload: Array("Hel".utf8), fin: false, into: &output)
        try server.encode(opcode: .continuation, payload: Array("lo".utf8), into: &output)
        #expect(output == hex("01 03 48 65 6c 80 02 6c 6f"))

        var fragmented: [UInt8] = []
        try server.encodeMessage(Self.hello[...], opcode: .text, fragmentCount: 2, into: &fragmented)
        #expect(fragmented == output)
    }

    @Test func rfcUnmaskedPingAndMaskedPong() throws {
        var ping: [UInt8] = []
        try server.encode(opcode: .ping, payload: Self.hello, into: &ping)
        #expect(ping == hex("89 05 48 65 6c 6c 6f"))
        var pong: [UInt8] = []
        try client.encode(opcode: .pong, payload: Self.hello, maskingKey: Self.rfcKey, into: &pong)
        #expect(pong == hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))
    }

    @Test func rfc256ByteAnd64KiBBinary() throws {
        var short: [UInt8] = []
        try server.encode(opcode: .binary, payload: pattern(256), into: &short)
        #expect(short == hex("82 7E 01 00") + pattern(256))
        var long: [UInt8] = []
        try server.encode(opcode: .binary, payload: pattern(65536), into: &long)
        #expect(long == hex("82 7F 00 00 00 00 00 01 00 00") + pattern(65536))
    }

    // MARK: - Round trips

    @Test(arguments: [0, 125, 126, 65535, 65536, 1 << 20])
    func roundTripsInBothRoles(length: Int) throws {
        let payload = pattern(length, seed: 3)
        for (encoderRole, decoderRole) in [(WebSocketRole.client, WebSocketRole.server), (.server, .client)] {
            var output: [UInt8] = []
            try WebSocketFrameEncoder(role: encoderRole).encode(opcode: .binary, payload: payload, into: &output)
            let masked = encoderRole == .client
            let headerLength = WebSocketFrameEncoder.headerLength(payloadLength: length, masked: masked)
            #expect(output.count == headerLength + length)
            #expect(headerLength == 2 + (length < 126 ? 0 : length <= 65535 ? 2 : 8) + (masked ? 4 : 0))
            #expect(output[1] & 0x80 == (masked ? 0x80 : 0))
            let frames = try decodeFrames(output, decoder: WebSocketFrameDecoder(role: decoderRole))
            #expect(frames.count == 1)
            #expect(frames.first?.opcode == .binary)
            #expect(frames.first?.fin == true)
            #expect(frames.first?.payload.elementsEqual(payload) == true, "length \(length), \(encoderRole)")
            #expect((frames.first?.maskingKey != nil) == masked)
        }
    }

    @Test func frameRoundTripKeepsEveryField() throws {
        let frame = WebSocketFrame(
            fin: false, rsv1: true, rsv2: true, rsv3: true, opcode: .binary,
            maskingKey: WebSocketMaskingKey(rawValue: 0x0102_0304), payload: pattern(9)[...])
        var output: [UInt8] = []
        try client.encode(frame, into: &output)
        let decoded = try decodeFrames(
            output,
            decoder: WebSocketFrameDecoder(role: .server, allowedReservedBits: [.rsv1, .rsv2, .rsv3])
        )
        #expect(decoded == [frame])
    }

    @Test func clientAlwaysMasksAndServerNever() throws {
        var clientOutput: [UInt8] = []
        try client.encode(opcode: .text, payload: Self.hello, into: &clientOutput)
        #expect(clientOutput[1] == 0x85)
        let frames = try decodeFrames(clientOutput, decoder: WebSocketFrameDecoder(role: .server))
        #expect(frames.first?.payload.elementsEqual(Self.hello) == true)

        var serverOutput: [UInt8] = []
        try server.encode(opcode: .text, payload: Self.hello, maskingKey: Self.rfcKey, into: &serverOutput)
        #expect(serverOutput == hex("81 05 48 65 6c 6c 6f"))
    }

    @Test func reusedOutputBufferKeepsItsStorage() throws {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        let address = output.withUnsafeBytes { Int(bitPattern: $0.baseAddress) }
        for _ in 0..<100 {
            output.removeAll(keepingCapacity: true)
            try client.encode(opcode: .binary, payload: pattern(500), maskingKey: Self.rfcKey, into: &output)
            #expect(output.withUnsafeBytes { Int(bitPattern: $0.baseAddress) } == address)
        }
    }

    // MARK: - Helpers

    @Test func fragmentsAMessage() throws {
        var output: [UInt8] = []
        try client.encodeMessage(
            pattern(10)[...], opcode: .binary, rsv1: true, fragmentCount: 4,
            maskingKey: Self.rfcKey, into: &output)
        let frames = try decodeFrames(output, decoder: WebSocketFrameDecoder(role: .server, allowedReservedBits: .rsv1))
        #expect(frames.map(\.opcode) == [.binary, .continuation, .continuation, .continuation])
        #expect(frames.map(\.fin) == [false, false, false, true])
        #expect(frames.map(\.rsv1) == [true, false, false, false])
        #expect(frames.map(\.payload.count) == [3, 3, 2, 2])
        #expect(Array(frames.map(\.payload).joined()) == pattern(10))
    }

    @Test func encodesCloseFrames() throws {
        var output: [UInt8] = []
        try server.encodeClose(WebSocketClosePayload(code: .normalClosure, reason: "bye"), into: &output)
        #expect(output == hex("88 05 03 e8 62 79 65"))
        output.removeAll()
        try server.encodeClose(WebSocketClosePayload(code: .noStatusReceived), into: &output)
        #expect(output == hex("88 00"))
    }

    @Test func closeReasonLimitIs123Bytes() throws {
        var output: [UInt8] = []
        try server.encodeClose(
            WebSocketClosePayload(code: .goingAway, reason: String(repeating: "a", count: 123)),
            into: &output)
        #expect(output.count == 2 + 125)
        var rejected: [UInt8] = [0xAB]
        expectFramingError(.controlFrameTooLong, closeCode: .protocolError) {
            try server.encodeClose(
                WebSocketClosePayload(code: .goingAway, reason: String(repeating: "é", count: 62)),
                into: &rejected)
        }
        #expect(rejected == [0xAB], "a rejected frame leaves the output unchanged")
    }

    @Test func refusesFramesRFC6455Forbids() {
        var output: [UInt8] = []
        expectFramingError(.controlFrameTooLong, closeCode: .protocolError) {
            try server.encode(opcode: .ping, payload: pattern(126), into: &output)
        }
        expectFramingError(.fragmentedControlFrame, closeCode: .protocolError) {
            try server.encode(opcode: .pong, payload: [], fin: false, into: &output)
        }
        expectFramingError(.reservedOpcode, closeCode: .protocolError) {
            try server.encode(opcode: WebSocketOpcode(rawValue: 0x3), payload: [], into: &output)
        }
        expectFramingError(.invalidCloseCode, closeCode: .protocolError) {
            try server.encodeClose(WebSocketClosePayload(code: .abnormalClosure), into: &output)
        }
        #expect(output.isEmpty)
    }

    /// A deflater that "compresses" by reversing, and declines messages under 4 bytes.
    struct ReversingDeflater: WebSocketMessageDeflater {
        var calls = 0
        mutating func deflate(_ message: ArraySlice<UInt8>) throws(WebSocketFramingError) -> [UInt8]? {
            calls += 1
            return message.count < 4 ? nil : Array(message.reversed())
        }
    }

    @Test func deflaterSetsRSV1OnlyWhenItCompresses() throws {
        var deflater = ReversingDeflater()
        var output: [UInt8] = []
        try server.encodeMessage(
            [1, 2, 3, 4, 5][...], opcode: .binary, deflater: &deflater, fragmentCount: 2,
            into: &output)
        #expect(output == hex("42 03 05 04 03 80 02 02 01"))
        output.removeAll()
        try server.encodeMessage([1, 2][...], opcode: .binary, deflater: &deflater, into: &output)
        #expect(output == hex("82 02 01 02"))
        #expect(deflater.calls == 2)
    }
}
