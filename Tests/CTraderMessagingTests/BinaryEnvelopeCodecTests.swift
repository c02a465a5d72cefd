// swift-ctrader: tests of the message layer.

import CTraderMessaging
import Foundation
import SwiftProtobuf
import Testing

@Suite(.timeLimit(.minutes(5))) struct BinaryEnvelopeCodecTests {
    let codec = BinaryEnvelopeCodec()

    /// ProtoMessage{payloadType: 2101} behind its length: field 1 varint 2101 = 08 b5 10.
    @Test func goldenFrame() throws {
        let frame = try codec.encodeFrame(ProtoOAApplicationAuthRes())
        #expect(frame == [0, 0, 0, 3, 0x08, 0xB5, 0x10])
        var decoder = BinaryFrameDecoder()
        decoder.append(frame)
        let envelope = try codec.decode(try #require(try decoder.nextFrame()))
        #expect(envelope.message is ProtoOAApplicationAuthRes)
        #expect(try decoder.nextFrame() == nil)
    }

    /// A ProtoMessage around `payload` (protobuf bytes) of `payloadType`.
    private func container(_ payloadType: PayloadType, _ payload: [UInt8], clientMsgId: String) throws -> [UInt8] {
        var message = ProtoMessage()
        message.payloadType = UInt32(payloadType.rawValue)
        message.payload = Data(payload)
        message.clientMsgID = clientMsgId
        return try message.serializedBytes()
    }

    /// As from JSON: an enum number the catalogue lacks, in a required field, is kept.
    @Test func unknownEnumNumberOfARequiredFieldIsKept() throws {
        var event = ProtoOAExecutionEvent()
        event.ctidTraderAccountID = 1
        let known: [UInt8] = try event.serializedBytes(partial: true)
        // Field 3 (executionType), varint 99.
        let envelope = try codec.decode(try container(.protoOaExecutionEvent, known + [0x18, 99], clientMsgId: "m1"))
        let decoded = try #require(envelope.message(as: ProtoOAExecutionEvent.self))
        #expect(decoded.unrecognizedEnumValue(field: "executionType") == 99)
        #expect(!decoded.hasExecutionType)
    }

    @Test func aPayloadErrorNamesTheClientMsgId() throws {
        let missing = #expect(throws: MessagingError.self) {
            try codec.decode(try container(.protoOaExecutionEvent, [], clientMsgId: "m2"))
        }
        #expect(missing?.code == .missingRequiredField)
        #expect(missing?.clientMsgId == "m2")
        let invalid = #expect(throws: MessagingError.self) {
            try codec.decode(try container(.protoOaVersionRes, [0xFF], clientMsgId: "m3"))
        }
        #expect(invalid?.code == .invalidPayload)
        #expect(invalid?.clientMsgId == "m3")
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64, 1000])
    func framesSurviveAnyChunking(chunkSize: Int) throws {
        var stream: [UInt8] = []
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 9_007_199_254_740_993
        spot.symbolID = 1
        spot.bid = 112_345
        for index in 0..<10 {
            stream += try codec.encodeFrame(Envelope(spot, clientMsgId: "c\(index)"))
        }
        stream += try codec.encodeFrame(ProtoHeartbeatEvent())
        var decoder = BinaryFrameDecoder()
        var envelopes: [Envelope] = []
        var offset = 0
        while offset < stream.count {
            decoder.append(stream[offset..<min(offset + chunkSize, stream.count)])
            offset += chunkSize
            while let body = try decoder.nextFrame() { envelopes.append(try codec.decode(body)) }
        }
        #expect(envelopes.count == 11)
        #expect(envelopes.first?.message(as: ProtoOASpotEvent.self) == spot)
        #expect(envelopes.map(\.clientMsgId).prefix(3) == ["c0", "c1", "c2"])
        #expect(envelopes.last?.payloadType == .heartbeatEvent)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func frameLongerThanTheMaximumIsRejectedFromItsPrefix() {
        var decoder = BinaryFrameDecoder(maximumFrameLength: 10)
        decoder.append([0, 0, 0, 11])
        let error = #expect(throws: MessagingError.self) { try decoder.nextFrame() }
        #expect(error?.code == .messageTooLarge)
    }

    @Test func unknownPayloadTypeKeepsTheProtobufBytes() throws {
        let raw = RawPayload(bytes: [0x08, 0x01], format: .protobuf)
        let body = try codec.encode(Envelope(payloadType: 2999, clientMsgId: "z", rawPayload: raw))
        let envelope = try codec.decode(body)
        #expect(envelope.payloadType.rawValue == 2999)
        #expect(envelope.rawPayload == raw)
        #expect(envelope.clientMsgId == "z")
        let error = #expect(throws: MessagingError.self) { try JSONEnvelopeCodec().encode(envelope) }
        #expect(error?.code == .encodingFailed)
    }

    @Test func missingRequiredFieldIsNamed() throws {
        var partial = ProtoOAAccountAuthReq()
        partial.ctidTraderAccountID = 1
        let encodeError = #expect(throws: MessagingError.self) { try codec.encode(Envelope(partial)) }
        #expect(encodeError?.fieldPath == "accessToken")

        var container = ProtoMessage()
        container.payloadType = 2102
        container.payload = try partial.serializedBytes(partial: true)
        let decodeError = #expect(throws: MessagingError.self) { try codec.decode(try container.serializedBytes()) }
        #expect(decodeError?.code == .missingRequiredField)
        #expect(decodeError?.fieldPath == "accessToken")
    }

    @Test func garbageIsAnInvalidFrame() {
        let error = #expect(throws: MessagingError.self) { try codec.decode([0xFF, 0xFF, 0xFF]) }
        #expect(error?.code == .invalidFrame)
    }
}
