// swift-ctrader: tests of the message layer.

import CTraderMessaging
import Foundation
import SwiftProtobuf
import Testing

/// The generated account-scoped, symbol-scoped and trading-request facts, checked against the
/// `.proto` files read at test time.
@Suite(.timeLimit(.minutes(5))) struct MessageScopesTests {
    /// The Swift message type of every payload message, by proto message name.
    static func swiftTypes() -> [String: any CTraderMessage.Type] {
        Dictionary(
            PayloadRegistry.standard.entries.map { (String(describing: $0.messageType), $0.messageType) },
            uniquingKeysWith: { first, _ in first })
    }

    @Test func everyPayloadMessageIsInTheRegistry() throws {
        let protos = try ProtoFiles.load()
        let types = Self.swiftTypes()
        #expect(protos.payloadMessages.count > 90)
        for message in protos.payloadMessages {
            #expect(types[message.name] != nil, "\(message.name) has no Swift type in the registry")
        }
    }

    /// Expects `isScoped` to hold for exactly the payload messages with `field`; returns how many
    /// of the registry's messages have it.
    private func expectScopedExactlyWhere(
        field: String, _ isScoped: (any CTraderMessage.Type) -> Bool
    ) throws -> Int {
        let protos = try ProtoFiles.load()
        let types = Self.swiftTypes()
        var count = 0
        for message in protos.payloadMessages {
            guard let type = types[message.name] else { continue }
            let hasField = message.field(field) != nil
            if hasField { count += 1 }
            #expect(isScoped(type) == hasField, "\(message.name)")
        }
        return count
    }

    @Test func accountScopedAreExactlyTheMessagesWithAnAccountField() throws {
        let count = try expectScopedExactlyWhere(field: "ctidTraderAccountId") { $0 is any AccountScopedMessage.Type }
        #expect(count > 60)
        #expect(Self.swiftTypes()["ProtoMessage"].map { $0 is any AccountScopedMessage.Type } == false)
    }

    @Test func symbolScopedAreExactlyTheMessagesWithASymbolField() throws {
        let count = try expectScopedExactlyWhere(field: "symbolId") { $0 is any SymbolScopedMessage.Type }
        #expect(count > 10)
    }

    @Test func tradingRequestsAreTheMessagesThatNeedTradePermissions() throws {
        let protos = try ProtoFiles.load()
        let types = Self.swiftTypes()
        let needsTrade = Set(
            protos.payloadMessages.filter {
                $0.comment.range(of: "\"trade\" permissions", options: .caseInsensitive) != nil
            }
            .map(\.name))
        #expect(
            needsTrade == [
                "ProtoOANewOrderReq", "ProtoOACancelOrderReq", "ProtoOAAmendOrderReq", "ProtoOAAmendPositionSLTPReq",
                "ProtoOAClosePositionReq",
            ])
        var payloadTypes: Set<PayloadType> = []
        for message in protos.payloadMessages {
            guard let type = types[message.name] else { continue }
            #expect((type is any TradingRequest.Type) == needsTrade.contains(message.name), "\(message.name)")
            if needsTrade.contains(message.name) { payloadTypes.insert(type.messagePayloadType) }
        }
        #expect(PayloadType.tradingRequests == payloadTypes)
        for type in PayloadType.allNamed {
            #expect(type.isTradingRequest == payloadTypes.contains(type), "\(type)")
        }
        #expect(!PayloadType(rawValue: 9999).isTradingRequest)
    }

    /// The accessor reads the field: set through JSON by its proto name, whatever the label
    /// (required, optional, repeated) and type (int64, uint64).
    @Test func accessorsReadTheField() throws {
        let protos = try ProtoFiles.load()
        let types = Self.swiftTypes()
        for message in protos.payloadMessages {
            guard let type = types[message.name] else { continue }
            if let field = message.field("ctidTraderAccountId") {
                let set = try type.init(jsonString: #"{"ctidTraderAccountId":"42"}"#)
                #expect((set as? any AccountScopedMessage)?.accountId == 42, "\(message.name) \(field.label)")
                let unset = try type.init(jsonString: "{}")
                #expect((unset as? any AccountScopedMessage)?.accountId == nil, "\(message.name)")
            }
            if let field = message.field("symbolId") {
                let json = field.label == "repeated" ? #"{"symbolId":["7","8"]}"# : #"{"symbolId":"7"}"#
                let expected: [Int64] = field.label == "repeated" ? [7, 8] : [7]
                let set = try type.init(jsonString: json)
                #expect((set as? any SymbolScopedMessage)?.symbolIds == expected, "\(message.name) \(field.label)")
                let unset = try type.init(jsonString: "{}")
                #expect((unset as? any SymbolScopedMessage)?.symbolIds == [], "\(message.name)")
            }
        }
    }

    @Test func spotAndDepthEventsNameAnAccountAndOneSymbol() {
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 5
        spot.symbolID = 1
        var depth = ProtoOADepthEvent()
        depth.ctidTraderAccountID = 5
        depth.symbolID = 2
        let messages: [any CTraderMessage] = [spot, depth]
        let keys = messages.map { message -> [Int64] in
            guard let scoped = message as? any AccountScopedMessage & SymbolScopedMessage,
                let account = scoped.accountId
            else { return [] }
            return [account] + scoped.symbolIds
        }
        #expect(keys == [[5, 1], [5, 2]])
        depth.symbolID = UInt64(Int64.max) + 1
        #expect(depth.symbolIds == [])
    }

    @Test func optionalAccountOfAnErrorResponse() {
        var error = ProtoOAErrorRes()
        #expect(error.accountId == nil)
        error.ctidTraderAccountID = 7
        #expect(error.accountId == 7)
        let message: any CTraderMessage = error
        #expect((message as? any AccountScopedMessage)?.accountId == 7)
    }
}
