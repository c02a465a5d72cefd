// swift-ctrader: tests of the message layer.

import CTraderMessaging
import Foundation
import SwiftProtobuf
import Testing

@Suite(.timeLimit(.minutes(5))) struct PayloadRegistryTests {
    let registry = PayloadRegistry.standard

    /// Every entry of both generated payload-type enums is registered with a message type whose
    /// `payloadType` default is that entry (ProtoMessage, the container, has no default: its
    /// `payloadType` is a required uint32).
    @Test func coversTheWholeCatalogue() throws {
        let catalogue =
            ProtoOAPayloadType.allCases.map(PayloadType.init) + ProtoPayloadType.allCases.map(PayloadType.init)
        #expect(catalogue.count == 92)
        for payloadType in catalogue {
            let type = try #require(registry.messageType(for: payloadType), "\(payloadType) is not registered")
            #expect(
                type.messagePayloadType == payloadType,
                "\(type.protoMessageName) defaults to \(type.messagePayloadType)"
            )
            #expect(registry.payloadType(for: type) == payloadType)
            switch type.init() {
            case let message as any OpenAPIPayloadMessage:
                #expect(PayloadType(message.payloadType) == payloadType)
            case let message as any CommonPayloadMessage:
                #expect(PayloadType(message.payloadType) == payloadType)
            default:
                #expect(payloadType == .protoMessage)
            }
        }
        #expect(registry.entries.count == catalogue.count)
    }

    @Test func requestsAreAnsweredByTheNextNumberByDefault() {
        #expect(registry.answers(to: .protoOaApplicationAuthReq) == [.protoOaApplicationAuthRes])
        #expect(registry.answers(to: .protoOaVersionReq) == [.protoOaVersionRes])
        #expect(registry.answers(to: .protoOaGetPositionUnrealizedPnlReq) == [.protoOaGetPositionUnrealizedPnlRes])
        for entry in registry.entries where entry.kind == .request {
            for answer in entry.answers {
                #expect(registry.contains(answer), "\(entry.payloadType) answered by unregistered \(answer)")
                #expect(registry.entry(for: answer)?.kind != .request)
            }
            let name = entry.payloadType.name ?? ""
            if entry.answers == [PayloadType(rawValue: entry.payloadType.rawValue + 1)] {
                #expect(
                    PayloadType(rawValue: entry.payloadType.rawValue + 1).name
                        == name.replacingOccurrences(of: "_REQ", with: "_RES")
                )
            }
        }
    }

    @Test func exceptionsToTheNextNumberRule() {
        let trading: [PayloadType] = [
            .protoOaNewOrderReq, .protoOaCancelOrderReq, .protoOaAmendOrderReq, .protoOaAmendPositionSltpReq,
            .protoOaClosePositionReq,
        ]
        #expect(trading.map(\.rawValue) == [2106, 2108, 2109, 2110, 2111])
        for request in trading {
            #expect(Set(registry.answers(to: request)) == [.protoOaExecutionEvent, .protoOaOrderErrorEvent])
            #expect(registry.isAnswer(2126, to: request))
            #expect(registry.isAnswer(2132, to: request))
            #expect(!registry.isAnswer(PayloadType(rawValue: request.rawValue + 1), to: request))
        }
        #expect(registry.answers(to: 2135) == [2165])
        #expect(registry.answers(to: 2136) == [2166])
    }

    @Test func errorsAnswerAnyRequest() {
        for entry in registry.entries where entry.kind == .request {
            #expect(registry.isAnswer(2142, to: entry.payloadType))
            #expect(registry.isAnswer(50, to: entry.payloadType))
        }
        #expect(!registry.isAnswer(2142, to: .protoOaSpotEvent))
    }

    @Test func unsolicitedEvents() {
        let events: Set<PayloadType> = [
            51, 2107, 2120, 2123, 2126, 2131, 2132, 2141, 2147, 2148, 2155, 2164, 2171, 2172,
        ]
        #expect(Set(registry.entries.filter { registry.isEvent($0.payloadType) }.map(\.payloadType)) == events)
        #expect(!registry.isEvent(.protoOaApplicationAuthRes))
        #expect(registry.entry(for: .protoMessage)?.kind == .container)
    }

    @Test func isAValueThatCanBeExtended() {
        var entries = registry.entries
        entries.append(PayloadRegistry.Entry(payloadType: 2999, messageType: ProtoOAVersionRes.self, kind: .response))
        let custom = PayloadRegistry(entries: entries)
        #expect(custom.contains(2999))
        #expect(!registry.contains(2999))
    }
}
