import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketClosePayloadTests {
    @Test func emptyPayloadMeansNoStatus() throws {
        let close = try WebSocketClosePayload(decoding: [])
        #expect(close.code == .noStatusReceived)
        #expect(close.code.rawValue == 1005)
        #expect(close.reason.isEmpty)
        #expect(try close.encoded() == [])
    }

    @Test func oneOctetPayloadIsAProtocolError() {
        expectFramingError(.invalidClosePayload, closeCode: .protocolError) {
            _ = try WebSocketClosePayload(decoding: [0x03])
        }
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] as [UInt16])
    func codesNotValidOnTheWireAreRejected(code: UInt16) {
        let payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        expectFramingError(.invalidCloseCode, closeCode: .protocolError) {
            _ = try WebSocketClosePayload(decoding: payload[...])
        }
        // On the encode side 1005 means "send no status" (an empty payload); the others throw.
        if code != 1005 {
            expectFramingError(.invalidCloseCode, closeCode: .protocolError) {
                _ = try WebSocketClosePayload(code: WebSocketCloseCode(rawValue: code)).encoded()
            }
        }
    }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4000, 4999] as [UInt16])
    func validCodesRoundTrip(code: UInt16) throws {
        let payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)] + Array("ok ✓".utf8)
        let close = try WebSocketClosePayload(decoding: payload[...])
        #expect(close.code.rawValue == code)
        #expect(close.reason == "ok ✓")
        #expect(try close.encoded() == payload)
    }

    @Test func reasonMustBeUTF8() {
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try WebSocketClosePayload(decoding: hex("03 e8 61 ed a0 80")[...])
        }
        expectFramingError(.invalidUTF8, closeCode: .invalidFramePayloadData) {
            _ = try WebSocketClosePayload(decoding: hex("03 e8 61 e2 82")[...])  // truncated
        }
    }

    @Test func decodesFromANonZeroBasedSlice() throws {
        let bytes = hex("ff ff 0b b8 68 69")
        let close = try WebSocketClosePayload(decoding: bytes[2...])
        #expect(close == WebSocketClosePayload(code: WebSocketCloseCode(rawValue: 3000), reason: "hi"))
    }
}
