// swift-ctrader: tests of the message layer.

import CTraderMessaging
import Testing

@Suite(.timeLimit(.minutes(5))) struct PayloadTypeTests {
    @Test func namedValuesMatchTheGeneratedEnums() {
        for value in ProtoOAPayloadType.allCases {
            let type = PayloadType(value)
            #expect(type.isNamed, "\(value) has no name")
            #expect(PayloadType(name: type.name ?? "") == type)
        }
        for value in ProtoPayloadType.allCases {
            #expect(PayloadType(value).isNamed)
        }
        #expect(PayloadType.allNamed.count == ProtoOAPayloadType.allCases.count + ProtoPayloadType.allCases.count)
    }

    @Test func nameAndLookup() {
        #expect(PayloadType.protoOaApplicationAuthReq.rawValue == 2100)
        #expect(PayloadType.protoOaApplicationAuthReq.name == "PROTO_OA_APPLICATION_AUTH_REQ")
        #expect(PayloadType(name: "PROTO_OA_SPOT_EVENT") == .protoOaSpotEvent)
        #expect(PayloadType(name: "HEARTBEAT_EVENT")?.rawValue == 51)
        #expect(PayloadType(name: "NO_SUCH_TYPE") == nil)
        #expect(PayloadType.errorRes.description == "ERROR_RES")
    }

    @Test func unknownValuesStayRepresentable() {
        let future: PayloadType = 2999
        #expect(future.rawValue == 2999)
        #expect(future.name == nil)
        #expect(!future.isNamed)
        #expect(future.description == "2999")
        #expect(PayloadType(rawValue: 2999) == future)
    }
}
