import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketMessageAssemblerTests {
    private func frame(
        _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false
    ) -> WebSocketFrame {
        WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, payload: payload)
    }

    @Test func unfragmentedMessages() throws {
        var assembler = WebSocketMessageAssembler()
        let text = try assembler.process(frame(.text, Array("héllo".utf8)))
        #expect(text == .message(WebSocketMessage(text: "héllo")))
        let binary = try assembler.process(frame(.binary, [0xFF, 0x00]))
        #expect(binary == .message(WebSocketMessage(binary: [0xFF, 0x00])))
        let empty = try assembler.process(frame(.text, []))
        #expect(empty == .message(WebSocketMessage(text: "")))
    }

    @Test func fragmentsWithAPingBetweenThem() throws {
        var assembler = WebSocketMessageAssembler()
        let first = try assembler.process(frame(.text, Array("Hel".utf8), fin: false))
        #expect(first == nil)
        #expect(assembler.isAssemblingMessage)
        let ping = try assembler.process(frame(.ping, [1, 2]))
        #expect(ping == .ping([1, 2]))
        let pong = try assembler.process(frame(.pong, []))
        #expect(pong == .pong([]))
        let middle = try assembler.process(frame(.continuation, [], fin: false))
        #expect(middle == nil)
        let last = try assembler.process(frame(.continuation, Array("lo".utf8)))
        #expect(last == .message(WebSocketMessage(text: "Hello")))
        #expect(last.flatMap { if case .message(let m) = $0 { m.text } else { nil } } == "Hello")
        #expect(!assembler.isAssemblingMessage)
    }

    @Test func closeFramesAreParsed() throws {
        var assembler = WebSocketMessageAssembler()
        let close = try assembler.process(frame(.close, hex("03 e8 62 79 65")))
        #expect(close == .close(WebSocketClosePayload(code: .normalClosure, reason: "bye")))
        var other = WebSocketMessageAssembler()
        let empty = try other.process(frame(.close, []))
        #expect(empty == .close(WebSocketClosePayload(code: .noStatusReceived)))
    }

    @Test func closePayloadRulesApply() {
        for (payload, code, closeCode) in [
            ("03", WebSocketFramingError.Code.invalidClosePayload, WebSocketCloseCode.protocolError),
            ("03 ed", .invalidCloseCode, .protocolError),  // 1005
            ("03 e8 c0 80", .invalidUTF8, .invalidFramePayloadData),
        ] {
            var assembler = WebSocketMessageAssembler()
            expectFramingError(code, closeCode: closeCode) { _ = try assembler.process(frame(.close, hex(payload))) }
        }
    }

    @Test func maxMessageSize() throws {
        var atLimit = WebSocketMessageAssembler(maxMessageSize: 10)
        let full = try atLimit.process(frame(.binary, pattern(10)))
        #expect(full == .message(WebSocketMessage(binary: pattern(10))))

        var single = WebSocketMessageAssembler(maxMessageSize: 10)
        expectFramingError(.messageTooLarge, closeCode: .messageTooBig) {
            _ = try single.process(frame(.binary, pattern(11)))
        }

        var fragmented = WebSocketMessageAssembler(maxMessageSize: 10)
        let first = try fragmented.process(frame(.binary, pattern(6), fin: false))
        #expect(first == nil)
        // Fails when the fragment that passes the limit arrives, before FIN.
        expectFramingError(.messageTooLarge, closeCode: .messageTooBig) {
            _ = try fragmented.process(frame(.continuation, pattern(5), fin: false))
        }
    }

    @Test func maxFragmentCount() throws {
        var assembler = WebSocketMessageAssembler(maxFragmentCount: 3)
        for opcode in [WebSocketOpcode.binary, .continuation] {
            let event = try assembler.process(frame(opcode, [1], fin: false))
            #expect(event == nil)
        }
        let third = try assembler.process(frame(.continuation, [1]))
        #expect(third == .message(WebSocketMessage(binary: [1, 1, 1])))

        for opcode in [WebSocketOpcode.binary, .continuation, .continuation] {
            let event = try assembler.process(frame(opcode, [1], fin: false))
            #expect(event == nil)
        }
        expectFramingError(.tooManyFragments, closeCode: .messageTooBig) {
            _ = try assembler.process(frame(.continuation, [1], fin: false))
        }
        #expect(WebSocketMessageAssembler.defaultMaxFragmentCount == 1024)
        #expect(WebSocketMessageAssembler.defaultMaxMessageSize == 16 << 20)
    }

    @Test func invalidTextInOneFrame() {
        var assembler = WebSocketMessageAssembler()
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try assembler.process(frame(.text, hex("48 69 c0 80")))
        }
    }

    @Test func invalidOctetInSecondFragmentFailsBeforeFIN() throws {
        var assembler = WebSocketMessageAssembler()
        // Fragment 1 ends inside a valid 3-octet sequence (E2 82 …).
        let first = try assembler.process(frame(.text, hex("61 62 e2 82"), fin: false))
        #expect(first == nil)
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try assembler.process(frame(.continuation, hex("28 61"), fin: false))
        }
    }

    @Test func textSplitMidSequenceAcrossFragmentsIsValid() throws {
        let bytes = Array("€uro 🌍".utf8)
        for split in 0...bytes.count {
            var assembler = WebSocketMessageAssembler()
            let first = try assembler.process(frame(.text, Array(bytes[..<split]), fin: false))
            #expect(first == nil)
            let last = try assembler.process(frame(.continuation, Array(bytes[split...])))
            #expect(last == .message(WebSocketMessage(text: "€uro 🌍")), "split at \(split)")
        }
    }

    @Test func textEndingMidSequenceFailsAtFIN() throws {
        var assembler = WebSocketMessageAssembler()
        let first = try assembler.process(frame(.text, hex("61 e2"), fin: false))
        #expect(first == nil)
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try assembler.process(frame(.continuation, hex("82")))
        }
        var single = WebSocketMessageAssembler()
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try single.process(frame(.text, hex("61 f0 9f 8c")))
        }
    }

    @Test func binaryIsNotValidated() throws {
        var assembler = WebSocketMessageAssembler()
        let event = try assembler.process(frame(.binary, hex("c0 80 ff")))
        #expect(event == .message(WebSocketMessage(binary: hex("c0 80 ff"))))
    }

    @Test func fragmentOrderIsChecked() throws {
        var orphan = WebSocketMessageAssembler()
        expectFramingError(.unexpectedContinuation, closeCode: .protocolError) {
            _ = try orphan.process(frame(.continuation, [1]))
        }
        var interleaved = WebSocketMessageAssembler()
        _ = try interleaved.process(frame(.text, [0x61], fin: false))
        expectFramingError(.expectedContinuation, closeCode: .protocolError) {
            _ = try interleaved.process(frame(.binary, [1]))
        }
    }

    @Test func failedAssemblerStaysFailed() throws {
        var assembler = WebSocketMessageAssembler()
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try assembler.process(frame(.text, hex("ff")))
        }
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try assembler.process(frame(.binary, [1]))
        }
    }

    // MARK: - RSV1 and the inflater

    /// An "inflater" that doubles every byte, records its calls, and honours the limit.
    struct DoublingInflater: WebSocketMessageInflater {
        var finalFlags: [Bool] = []
        var ignoresLimit = false
        mutating func inflate(
            _ fragment: ArraySlice<UInt8>, isFinalFragment: Bool, into output: inout [UInt8], limit: Int
        ) throws(WebSocketFramingError) {
            finalFlags.append(isFinalFragment)
            for byte in fragment {
                if !ignoresLimit && output.count + 2 > limit {
                    throw .tooBig(.inflatedMessageTooLarge, "over \(limit)")
                }
                output.append(byte)
                output.append(byte)
            }
        }
    }

    @Test func rsv1WithoutInflaterIsAProtocolError() {
        var assembler = WebSocketMessageAssembler()
        expectFramingError(.reservedBitSet, closeCode: .protocolError) {
            _ = try assembler.process(frame(.binary, [1], rsv1: true))
        }
    }

    @Test func rsv1OnContinuationOrControlIsAProtocolError() throws {
        var continuation = WebSocketMessageAssembler(inflater: DoublingInflater())
        _ = try continuation.process(frame(.binary, [1], fin: false, rsv1: true))
        expectFramingError(.reservedBitSet, closeCode: .protocolError) {
            _ = try continuation.process(frame(.continuation, [1], rsv1: true))
        }
        var control = WebSocketMessageAssembler(inflater: DoublingInflater())
        expectFramingError(.reservedBitSet, closeCode: .protocolError) {
            _ = try control.process(frame(.ping, [], rsv1: true))
        }
    }

    @Test func compressedMessageIsInflatedPerFrame() throws {
        var assembler = WebSocketMessageAssembler(inflater: DoublingInflater())
        #expect(assembler.acceptsCompressedMessages)
        let first = try assembler.process(frame(.text, Array("ab".utf8), fin: false, rsv1: true))
        #expect(first == nil)
        let ping = try assembler.process(frame(.ping, []))
        #expect(ping == .ping([]))
        let last = try assembler.process(frame(.continuation, Array("c".utf8)))
        #expect(last == .message(WebSocketMessage(text: "aabbcc")))
        // An uncompressed message afterwards does not go through the inflater.
        let plain = try assembler.process(frame(.text, Array("xy".utf8)))
        #expect(plain == .message(WebSocketMessage(text: "xy")))
    }

    @Test func inflatedTextIsValidatedAsItGrows() throws {
        var assembler = WebSocketMessageAssembler(inflater: DoublingInflater())
        // "C3" doubles to C3 C3: invalid at the second octet, in the first frame.
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try assembler.process(frame(.text, [0xC3], fin: false, rsv1: true))
        }
    }

    @Test func inflatedSizeIsLimitedByMaxMessageSize() throws {
        var honest = WebSocketMessageAssembler(maxMessageSize: 10, inflater: DoublingInflater())
        _ = try honest.process(frame(.binary, pattern(4), fin: false, rsv1: true))  // 8 bytes
        expectFramingError(.inflatedMessageTooLarge, closeCode: .messageTooBig) {
            _ = try honest.process(frame(.continuation, pattern(2), fin: false))
        }
        var sloppy = WebSocketMessageAssembler(
            maxMessageSize: 10, inflater: DoublingInflater(ignoresLimit: true)
        )
        expectFramingError(.inflatedMessageTooLarge, closeCode: .messageTooBig) {
            _ = try sloppy.process(frame(.binary, pattern(6), rsv1: true))
        }
    }
}
