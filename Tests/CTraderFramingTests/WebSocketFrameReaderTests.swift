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
        let input = hex("81 05 48 65 6c 6c 6f") + hex("01 03 48 65 6c") + hex("89 05 48 65 6c 6c 6f")
            + hex("80 02 6c 6f") + hex("82 7E 01 00") + pattern(256) + hex("88 02 03 e8")
        let result = try events(input, reader: WebSocketFrameReader(role: .client), chunkSize: chunkSize)
        #expect(result == [
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
            _ = try events(hex("82 7E 01 00"), reader: WebSocketFrameReader(role: .client, maxFrameSize: 255), chunkSize: 4)
        }
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try events(hex("81 02 c3 28"), reader: WebSocketFrameReader(role: .client), chunkSize: 4)
        }
    }
}
