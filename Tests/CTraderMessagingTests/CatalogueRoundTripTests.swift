// swift-ctrader: tests of the message layer.

import CTraderMessaging
import SwiftProtobuf
import Testing

/// Every registered message type, filled generically (see ``SampleFiller``), survives JSON and
/// binary round trips.
@Suite(.timeLimit(.minutes(5))) struct CatalogueRoundTripTests {
    static let types: [any CTraderMessage.Type] = PayloadRegistry.standard.entries.map(\.messageType)
    let json = JSONEnvelopeCodec(ignoreUnknownFields: false)
    let binary = BinaryEnvelopeCodec()

    private func roundTrip(_ message: any CTraderMessage, clientMsgId: String?) throws {
        let name = type(of: message).protoMessageName
        #expect(message.isInitialized, "\(name) sample is not initialized")
        let envelope = Envelope(message, clientMsgId: clientMsgId)

        let text = try json.encode(envelope)
        let fromJSON = try json.decode(text)
        #expect(fromJSON.payloadType == envelope.payloadType)
        #expect(fromJSON.clientMsgId == clientMsgId)
        #expect(
            fromJSON.message?.isEqualTo(message: message) == true,
            "\(name) JSON: \(String(decoding: text, as: UTF8.self))"
        )
        #expect(try json.encode(fromJSON) == text, "\(name): JSON is not canonical")

        var frames = BinaryFrameDecoder()
        frames.append(try binary.encodeFrame(envelope))
        let body = try #require(try frames.nextFrame())
        let fromBinary = try binary.decode(body)
        #expect(fromBinary.payloadType == envelope.payloadType)
        #expect(fromBinary.clientMsgId == clientMsgId)
        #expect(fromBinary.message?.isEqualTo(message: message) == true, "\(name) binary")
    }

    @Test(arguments: types.indices)
    func requiredFieldsOnly(index: Int) throws {
        let type = Self.types[index]
        try roundTrip(SampleFiller.make(type, mode: .requiredOnly), clientMsgId: nil)
    }

    @Test(arguments: types.indices)
    func everyField(index: Int) throws {
        let type = Self.types[index]
        let message = SampleFiller.make(type, mode: .everyField)
        try roundTrip(message, clientMsgId: "id-\(index)")
    }

    @Test func requiredOnlySamplesLackEveryOptionalField() throws {
        // A required field equal to its default still travels: decoding would fail otherwise.
        let order = try #require(
            SampleFiller.makeTyped(ProtoOANewOrderReq.self, mode: .requiredOnly) as ProtoOANewOrderReq?
        )
        #expect(!order.hasLimitPrice)
        #expect(order.hasOrderType)
        let text = String(decoding: try json.encode(order), as: UTF8.self)
        #expect(text.contains(#""orderType":"#))
    }
}
