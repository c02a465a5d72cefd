// swift-ctrader: tests of the message layer.

import CTraderMessaging
import Testing

@Suite(.timeLimit(.minutes(5))) struct JSONEnvelopeCodecTests {
    let codec = JSONEnvelopeCodec()

    private func json(_ envelope: Envelope) throws -> String {
        try codec.encodeString(envelope)
    }

    /// A market buy of `volume` of symbol 1 for `account`.
    private func marketBuyOrder(account: Int64, volume: Int64) -> ProtoOANewOrderReq {
        var order = ProtoOANewOrderReq()
        order.ctidTraderAccountID = account
        order.symbolID = 1
        order.orderType = .market
        order.tradeSide = .buy
        order.volume = volume
        return order
    }

    // MARK: - Golden messages

    /// The shape of the documentation's first message (shared/ctrader-exchanging-messages.txt),
    /// with its example credentials replaced by placeholders.
    @Test func applicationAuthRequest() throws {
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = "docs-example-client-id"
        auth.clientSecret = "docs-example-client-secret"
        let text =
            #"{"payloadType":2100,"payload":{"clientId":"docs-example-client-id","clientSecret":"docs-example-client-secret"}}"#
        #expect(try json(Envelope(auth)) == text)
        let decoded = try codec.decode(text)
        #expect(decoded.payloadType == .protoOaApplicationAuthReq)
        #expect(decoded.clientMsgId == nil)
        #expect(decoded.message(as: ProtoOAApplicationAuthReq.self) == auth)
    }

    @Test func applicationAuthResponseWithoutPayload() throws {
        let decoded = try codec.decode(#"{"payloadType":2101}"#)
        #expect(decoded.payloadType == .protoOaApplicationAuthRes)
        #expect(decoded.clientMsgId == nil)
        #expect(decoded.message(as: ProtoOAApplicationAuthRes.self) == ProtoOAApplicationAuthRes())
        #expect(try json(decoded) == #"{"payloadType":2101,"payload":{}}"#)
        // The server's form leaves the empty payload out.
        #expect(try JSONEnvelopeCodec(omitsEmptyPayload: true).encodeString(decoded) == #"{"payloadType":2101}"#)
    }

    @Test func heartbeat() throws {
        let decoded = try codec.decode(#"{"payloadType":51}"#)
        #expect(decoded.message is ProtoHeartbeatEvent)
        #expect(try json(Envelope(ProtoHeartbeatEvent())) == #"{"payloadType":51,"payload":{}}"#)
        #expect(
            try JSONEnvelopeCodec(omitsEmptyPayload: true).encodeString(Envelope(ProtoHeartbeatEvent()))
                == #"{"payloadType":51}"#)
    }

    /// The server's answer to `hello`, from the official introduction to exchanging messages
    /// (help.ctrader.com/open-api, "Exchanging Messages").
    @Test func malformedJSONErrorResponse() throws {
        let text =
            #"{"payloadType":2142,"payload":{"errorCode":"INVALID_REQUEST","description":"Malformed JSON message at 1:6"}}"#
        let decoded = try codec.decode(text)
        let error = try #require(decoded.message(as: ProtoOAErrorRes.self))
        #expect(error.errorCode == "INVALID_REQUEST")
        #expect(error.description_p == "Malformed JSON message at 1:6")
        #expect(!error.hasCtidTraderAccountID)
        #expect(try json(decoded) == text)
    }

    /// The example of https://help.ctrader.com/open-api/sending-receiving-json/ (with its spaces).
    @Test func documentationExampleWithSpaces() throws {
        let text =
            #"{"clientMsgId": "cm_id_2", "payloadType": 2100, "payload": {"clientId": "34Rsd_T098asHkl","clientSecret": "validClientSecret"}}"#
        let decoded = try codec.decode(text)
        #expect(decoded.clientMsgId == "cm_id_2")
        let auth = try #require(decoded.message(as: ProtoOAApplicationAuthReq.self))
        #expect(auth.clientID == "34Rsd_T098asHkl")
        #expect(auth.clientSecret == "validClientSecret")
        #expect(
            try json(decoded)
                == #"{"clientMsgId":"cm_id_2","payloadType":2100,"payload":{"clientId":"34Rsd_T098asHkl","clientSecret":"validClientSecret"}}"#
        )
    }

    // MARK: - Field encoding

    @Test func requiredFieldsEqualToTheirDefaultAreSent() throws {
        let order = marketBuyOrder(account: 5_291_983, volume: 100_000)
        #expect(
            try json(Envelope(order, clientMsgId: "o-1"))
                == #"{"clientMsgId":"o-1","payloadType":2106,"payload":{"ctidTraderAccountId":5291983,"symbolId":1,"orderType":1,"tradeSide":1,"volume":100000}}"#
        )
    }

    @Test func int64AndUInt64AreNumbersAndKeepPrecision() throws {
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 9_007_199_254_740_993
        spot.symbolID = 1
        spot.bid = UInt64.max
        spot.timestamp = Int64.min
        let text = try json(Envelope(spot))
        #expect(
            text
                == #"{"payloadType":2131,"payload":{"ctidTraderAccountId":9007199254740993,"symbolId":1,"bid":18446744073709551615,"timestamp":-9223372036854775808}}"#
        )
        let decoded = try #require(try codec.decode(text).message(as: ProtoOASpotEvent.self))
        #expect(decoded.ctidTraderAccountID == 9_007_199_254_740_993)
        #expect(decoded.bid == UInt64.max)
        #expect(decoded.timestamp == Int64.min)
    }

    @Test func int64AsStringAndEnumAsNameDecode() throws {
        let text =
            #"{"payloadType":2106,"payload":{"ctidTraderAccountId":"9007199254740993","symbolId":"1","orderType":"LIMIT","tradeSide":"SELL","volume":"100000","limitPrice":1.1}}"#
        let order = try #require(try codec.decode(text).message(as: ProtoOANewOrderReq.self))
        #expect(order.ctidTraderAccountID == 9_007_199_254_740_993)
        #expect(order.orderType == .limit)
        #expect(order.tradeSide == .sell)
        #expect(order.volume == 100_000)
        #expect(try json(Envelope(order)).contains(#""orderType":2,"tradeSide":2"#))
    }

    @Test func unsetOptionalFieldsAreOmitted() throws {
        var reconcile = ProtoOAReconcileReq()
        reconcile.ctidTraderAccountID = 7
        #expect(try json(Envelope(reconcile)) == #"{"payloadType":2124,"payload":{"ctidTraderAccountId":7}}"#)
    }

    @Test func clientMsgIdIsEscaped() throws {
        let id = "a\"b\\c\n\u{01}✓"
        let text = try json(Envelope(ProtoOAVersionReq(), clientMsgId: id))
        #expect(text == #"{"clientMsgId":"a\"b\\c\n\u0001✓","payloadType":2104,"payload":{}}"#)
        #expect(try codec.decode(text).clientMsgId == id)
        #expect(try codec.decode(#"{"clientMsgId":"\ud83d\ude00\u00e9","payloadType":2104}"#).clientMsgId == "😀é")
    }

    // MARK: - Envelope rules

    @Test func clientMsgIdAndPayloadMayBeNullOrMissingInAnyOrder() throws {
        let decoded = try codec.decode(#" { "payload" : null , "clientMsgId" : null, "payloadType" : 2104 } "#)
        #expect(decoded.payloadType == .protoOaVersionReq)
        #expect(decoded.clientMsgId == nil)
        #expect(decoded.message is ProtoOAVersionReq)
    }

    @Test func unknownPayloadTypeKeepsThePayloadBytes() throws {
        let text = #"{"clientMsgId":"x","payloadType":2999,"payload":{"future":[1,2,{"a":"b"}]}}"#
        let decoded = try codec.decode(text)
        #expect(decoded.payloadType.rawValue == 2999)
        #expect(decoded.message == nil)
        #expect(decoded.rawPayload == RawPayload(bytes: Array(#"{"future":[1,2,{"a":"b"}]}"#.utf8), format: .json))
        #expect(try json(decoded) == text)
    }

    @Test func unknownPayloadKeysAreIgnoredByDefaultAndRejectedOnRequest() throws {
        let text = #"{"payloadType":2105,"payload":{"version":"100","addedLater":{"x":1}}}"#
        #expect(try codec.decode(text).message(as: ProtoOAVersionRes.self)?.version == "100")
        let strict = JSONEnvelopeCodec(ignoreUnknownFields: false)
        let error = #expect(throws: MessagingError.self) { try strict.decode(text) }
        #expect(error?.code == .invalidPayload)
        #expect(error?.fieldPath == "addedLater")
    }

    /// A server newer than the catalogue: an unknown number in a required enum field is kept as
    /// its raw value (as protobuf decoding keeps it) and the message decodes; encoding stays strict.
    @Test func unknownEnumNumberOfARequiredFieldIsKeptAsItsRawValue() throws {
        let text =
            #"{"payloadType":2106,"payload":{"ctidTraderAccountId":1,"symbolId":1,"orderType":99,"tradeSide":1,"volume":1}}"#
        let order = try #require(try codec.decode(text).message(as: ProtoOANewOrderReq.self))
        #expect(!order.hasOrderType)
        #expect(order.unrecognizedEnumValue(field: "orderType") == 99)
        #expect(order.unrecognizedEnumValue(field: "4") == 99)
        #expect(order.unrecognizedEnumValue(field: "tradeSide") == nil)
        #expect(order.firstMissingRequiredFieldPath == nil)
        let error = #expect(throws: MessagingError.self) { try codec.encode(order) }
        #expect(error?.code == .missingRequiredField)
        #expect(error?.fieldPath == "orderType")
        let binary = #expect(throws: MessagingError.self) { try BinaryEnvelopeCodec().encode(Envelope(order)) }
        #expect(binary?.code == .missingRequiredField)
    }

    @Test func unknownEnumNumbersInNestedRequiredFieldsAreKept() throws {
        let text = #"""
            {"payloadType":2126,"payload":{"ctidTraderAccountId":1,"executionType":42,"order":{"orderId":5,            "tradeData":{"symbolId":1,"volume":1,"tradeSide":7},"orderType":1,"orderStatus":-3}}}
            """#
        let event = try #require(try codec.decode(text).message(as: ProtoOAExecutionEvent.self))
        #expect(event.unrecognizedEnumValue(field: "executionType") == 42)
        #expect(event.order.orderID == 5)
        #expect(event.order.orderType == .market)
        #expect(event.order.unrecognizedEnumValue(field: "orderStatus") == -3)
        #expect(event.order.tradeData.unrecognizedEnumValue(field: "tradeSide") == 7)
        #expect(event.order.tradeData.symbolID == 1)
    }

    @Test func anUnknownEnumNameOrAMissingFieldIsStillAnError() {
        let name =
            #"{"payloadType":2106,"payload":{"ctidTraderAccountId":1,"symbolId":1,"orderType":"FANCY","tradeSide":1,"volume":1}}"#
        let named = #expect(throws: MessagingError.self) { try codec.decode(name) }
        #expect(named?.code == .missingRequiredField)
        #expect(named?.fieldPath == "orderType")
        let absent = #"{"payloadType":2106,"payload":{"ctidTraderAccountId":1,"symbolId":1,"tradeSide":1,"volume":1}}"#
        let missing = #expect(throws: MessagingError.self) { try codec.decode(absent) }
        #expect(missing?.fieldPath == "orderType")
        #expect(missing?.payloadType == .protoOaNewOrderReq)
    }

    @Test func aDecodingErrorNamesTheEnvelopesClientMsgId() {
        let text = #"{"clientMsgId":"m7","payloadType":2105,"payload":{"version":5}}"#
        let error = #expect(throws: MessagingError.self) { try codec.decode(text) }
        #expect(error?.code == .invalidPayload)
        #expect(error?.clientMsgId == "m7")
        #expect(error?.payloadType == .protoOaVersionRes)
    }

    @Test func outboundEncodingOfAValidMessageIsUnchanged() throws {
        let order = marketBuyOrder(account: 1, volume: 1)
        let text = String(decoding: try codec.encode(order, clientMsgId: "a"), as: UTF8.self)
        #expect(
            text
                == #"{"clientMsgId":"a","payloadType":2106,"payload":{"ctidTraderAccountId":1,"symbolId":1,"orderType":1,"tradeSide":1,"volume":1}}"#
        )
        #expect(try codec.decode(text).message(as: ProtoOANewOrderReq.self) == order)
    }

    /// The trap of skipping unknown fields: swift-protobuf then also drops an unknown enum
    /// value, so an optional enum reads as its default and only `has…` tells.
    @Test func unknownEnumValueOfAnOptionalFieldIsDroppedUnlessStrict() throws {
        let text =
            #"{"payloadType":2106,"payload":{"ctidTraderAccountId":1,"symbolId":1,"orderType":1,"tradeSide":1,"volume":1,"timeInForce":99}}"#
        let order = try #require(try codec.decode(text).message(as: ProtoOANewOrderReq.self))
        #expect(!order.hasTimeInForce)
        let strict = JSONEnvelopeCodec(ignoreUnknownFields: false)
        let error = #expect(throws: MessagingError.self) { try strict.decode(text) }
        #expect(error?.code == .invalidPayload)
    }

    @Test func payloadTypesByNameNumberOrMessageName() {
        let registry = PayloadRegistry.standard
        #expect(registry.payloadType(named: "2100") == .protoOaApplicationAuthReq)
        #expect(registry.payloadType(named: "PROTO_OA_APPLICATION_AUTH_REQ") == .protoOaApplicationAuthReq)
        #expect(registry.payloadType(named: "ProtoOAApplicationAuthReq") == .protoOaApplicationAuthReq)
        #expect(registry.payloadType(named: "ProtoHeartbeatEvent") == .heartbeatEvent)
        #expect(registry.payloadType(named: "nothing") == nil)
    }

    @Test func invalidEnvelopes() {
        for text in [
            #"{"payload":{}}"#, #"[1,2]"#, #"{"payloadType":"x"}"#, #"{"payloadType":2100,"payloadType":2100}"#,
            #"{"payloadType":2104,"payload":[]}"#, #"{"payloadType":2104,"clientMsgId":5}"#, #"{"payloadType":1.5}"#,
        ] {
            let error = #expect(throws: MessagingError.self, "\(text)") { try codec.decode(text) }
            #expect(error?.code == .invalidEnvelope, "\(text)")
        }
    }

    @Test func payloadTypeMayBeANumericString() throws {
        #expect(try codec.decode(#"{"payloadType":"2101"}"#).payloadType == .protoOaApplicationAuthRes)
    }

    // MARK: - Errors

    @Test func missingRequiredFieldIsNamed() {
        let error = #expect(throws: MessagingError.self) {
            try codec.decode(#"{"payloadType":2100,"payload":{"clientId":"abc"}}"#)
        }
        #expect(error?.code == .missingRequiredField)
        #expect(error?.fieldPath == "clientSecret")
        #expect(error?.messageName == "ProtoOAApplicationAuthReq")
        #expect(error?.description.contains("clientSecret") == true)
    }

    @Test func missingRequiredFieldInANestedMessageIsNamedByPath() {
        let text =
            #"{"payloadType":2117,"payload":{"ctidTraderAccountId":1,"symbol":[{"symbolId":1,"digits":5,"pipPosition":4},{"symbolId":2,"digits":5}]}}"#
        let error = #expect(throws: MessagingError.self) { try codec.decode(text) }
        #expect(error?.fieldPath == "symbol[1].pipPosition")
    }

    @Test func encodingRefusesAMissingRequiredField() {
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = "id"
        let error = #expect(throws: MessagingError.self) { try codec.encode(auth) }
        #expect(error?.code == .missingRequiredField)
        #expect(error?.fieldPath == "clientSecret")
    }

    @Test func malformedJSONCarriesLineAndColumnLikeTheServer() {
        let hello = #expect(throws: MessagingError.self) { try codec.decode("hello") }
        #expect(hello?.code == .malformedJSON)
        #expect(hello?.line == 1)
        #expect(hello?.column == 6)

        let multiline = "{\n  \"payloadType\": 2100,\n  \"payload\": {\"clientId\": \"a\",, }\n}"
        let error = #expect(throws: MessagingError.self) { try codec.decode(multiline) }
        #expect(error?.code == .malformedJSON)
        #expect(error?.line == 3)
        #expect(error?.column == 31)
        #expect(error?.description.hasPrefix("malformedJSON at 3:31") == true)

        for text in [
            "", "{", #"{"payloadType":2101"#, #"{"payloadType":2101}x"#, #"{"a":tru}"#, #"{"a":"\x"}"#, #"{"a":01}"#,
            "{\"a\":\"\u{01}\"}",
        ] {
            let error = #expect(throws: MessagingError.self, "\(text)") { try codec.decode(text) }
            #expect(error?.code == .malformedJSON, "\(text)")
            #expect(error?.line != nil)
        }
    }

    @Test func maximumMessageSizeIsCheckedBeforeParsing() {
        let small = JSONEnvelopeCodec(maximumMessageSize: 16)
        let error = #expect(throws: MessagingError.self) { try small.decode("{ this is not even JSON }") }
        #expect(error?.code == .messageTooLarge)
        #expect(JSONEnvelopeCodec().maximumMessageSize == JSONEnvelopeCodec.defaultMaximumMessageSize)
    }

    @Test func decodePayloadValidatesAPayloadAlone() throws {
        let message = try codec.decodePayload(
            #"{"clientId":"a","clientSecret":"b"}"#,
            payloadType: .protoOaApplicationAuthReq
        )
        #expect((message as? ProtoOAApplicationAuthReq)?.clientSecret == "b")
        let unknown = #expect(throws: MessagingError.self) { try codec.decodePayload("{}", payloadType: 2999) }
        #expect(unknown?.code == .unknownPayloadType)
        let malformed = #expect(throws: MessagingError.self) {
            try codec.decodePayload(#"{"clientId":}"#, payloadType: 2100)
        }
        #expect(malformed?.code == .malformedJSON)
        #expect(malformed?.column == 13)
    }
}
