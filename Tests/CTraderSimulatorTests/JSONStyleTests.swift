// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import Testing

@Suite("JSON styles", .timeLimit(.minutes(5)))
struct JSONStyleTests {
    let codec = JSONEnvelopeCodec(omitsEmptyPayload: true)

    func fill() -> Envelope {
        var event = ProtoOAExecutionEvent()
        event.ctidTraderAccountID = 1_000_001
        event.executionType = .orderFilled
        return Envelope(event, clientMsgId: "a\"b")
    }

    @Test func serverStyleIsTheCodecs() throws {
        let text = try SimulatorJSONStyle.server.encode(fill(), codec: codec)
        #expect(
            text
                == #"{"clientMsgId":"a\"b","payloadType":2126,"payload":{"ctidTraderAccountId":1000001,"executionType":3}}"#
        )
    }

    @Test func int64AsStringsAndEnumsAsNames() throws {
        let style = SimulatorJSONStyle(int64AsStrings: true, enumsAsNames: true)
        let text = try style.encode(fill(), codec: codec)
        #expect(
            text
                == #"{"clientMsgId":"a\"b","payloadType":2126,"payload":{"ctidTraderAccountId":"1000001","executionType":"ORDER_FILLED"}}"#
        )
        // And the client codec reads it back.
        let decoded = try codec.decode(text).message(as: ProtoOAExecutionEvent.self)
        #expect(decoded?.ctidTraderAccountID == 1_000_001)
        #expect(decoded?.executionType == .orderFilled)
        #expect(try style.encode(Envelope(ProtoOAApplicationAuthRes()), codec: codec) == #"{"payloadType":2101}"#)
    }
}
