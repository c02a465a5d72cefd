// swift-ctrader: the cTrader Open API message layer.

import SwiftProtobuf

/// What role a message plays in the conversation.
public struct MessageKind: Hashable, Sendable, CustomStringConvertible {
    private let name: String

    private init(_ name: String) {
        self.name = name
    }

    /// A request the client sends (`…_REQ`); the registry knows its answers.
    public static let request = MessageKind("request")
    /// A response to a request (`…_RES`), including the error responses 2142 and 50.
    public static let response = MessageKind("response")
    /// An event the server may send at any time (`…_EVENT`), such as spots, execution events or
    /// heartbeats. Some also answer requests: 2126 and 2132 answer the trading requests.
    public static let event = MessageKind("event")
    /// Neither: the binary wire format's container ``ProtoMessage`` (5).
    public static let container = MessageKind("container")

    /// `request`, `response`, `event` or `container`.
    public var description: String { name }
}

/// The immutable table from each payloadType to its message type and back, with the answers to
/// every request.
///
/// ``standard`` covers the whole catalogue of the `.proto` files. The table is a value: make a
/// different one with ``init(entries:)`` (for instance to add a server's private messages) and
/// hand it to the codecs.
///
/// Answers follow the catalogue's rule, request N is answered by N+1, with these exceptions:
/// the trading requests 2106, 2108, 2109, 2110 and 2111 are answered by 2126
/// (`ProtoOAExecutionEvent`) or 2132 (`ProtoOAOrderErrorEvent`); 2135 is answered by 2165 and
/// 2136 by 2166. Any request may be answered by the errors 2142 (`ProtoOAErrorRes`) and 50
/// (`ProtoErrorRes`).
public struct PayloadRegistry: Sendable {
    /// One message type of the table.
    public struct Entry: Sendable {
        /// The payloadType on the wire.
        public var payloadType: PayloadType
        /// The generated message type.
        public var messageType: any CTraderMessage.Type
        /// Request, response, event or container.
        public var kind: MessageKind
        /// For a request, the payload types of its successful answers (errors excluded; see
        /// ``PayloadRegistry/errorPayloadTypes``); empty otherwise.
        public var answers: [PayloadType]

        /// Makes an entry.
        public init(
            payloadType: PayloadType,
            messageType: any CTraderMessage.Type,
            kind: MessageKind,
            answers: [PayloadType] = []
        ) {
            self.payloadType = payloadType
            self.messageType = messageType
            self.kind = kind
            self.answers = answers
        }
    }

    /// The payload types that answer any request as an error: 2142 `PROTO_OA_ERROR_RES` and 50
    /// `ERROR_RES`.
    public static let errorPayloadTypes: [PayloadType] = [.protoOaErrorRes, .errorRes]

    /// The registry of the whole catalogue generated from the `.proto` files.
    public static let standard = PayloadRegistry(entries: standardEntries())

    /// Every entry, ordered by payloadType.
    public let entries: [Entry]
    private let byPayloadType: [PayloadType: Int]
    private let byMessageName: [String: Int]

    /// Makes a table from entries; a later entry for the same payloadType replaces an earlier one.
    public init(entries: [Entry]) {
        var unique: [PayloadType: Entry] = [:]
        for entry in entries { unique[entry.payloadType] = entry }
        let sorted = unique.values.sorted { $0.payloadType < $1.payloadType }
        self.entries = sorted
        var byPayloadType: [PayloadType: Int] = [:]
        var byMessageName: [String: Int] = [:]
        for (index, entry) in sorted.enumerated() {
            byPayloadType[entry.payloadType] = index
            byMessageName[entry.messageType.protoMessageName] = index
        }
        self.byPayloadType = byPayloadType
        self.byMessageName = byMessageName
    }

    /// The entry for a payloadType; `nil` if it is not registered.
    public func entry(for payloadType: PayloadType) -> Entry? {
        byPayloadType[payloadType].map { entries[$0] }
    }

    /// The message type a payloadType carries; `nil` if it is not registered.
    public func messageType(for payloadType: PayloadType) -> (any CTraderMessage.Type)? {
        entry(for: payloadType)?.messageType
    }

    /// The payloadType a message type travels as; `nil` if it is not registered.
    public func payloadType(for messageType: any CTraderMessage.Type) -> PayloadType? {
        byMessageName[messageType.protoMessageName].map { entries[$0].payloadType }
    }

    /// Whether the payloadType is registered.
    public func contains(_ payloadType: PayloadType) -> Bool {
        byPayloadType[payloadType] != nil
    }

    /// The payload types of the successful answers to a request (e.g. 2101 for 2100; 2126 and
    /// 2132 for 2106); empty for a message that is not a registered request.
    public func answers(to request: PayloadType) -> [PayloadType] {
        entry(for: request)?.answers ?? []
    }

    /// Whether `response` answers `request`: one of its successful answers, or an error
    /// (``errorPayloadTypes``).
    public func isAnswer(_ response: PayloadType, to request: PayloadType) -> Bool {
        guard let entry = entry(for: request), entry.kind == .request else { return false }
        return entry.answers.contains(response) || PayloadRegistry.errorPayloadTypes.contains(response)
    }

    /// Whether the server may send the message unprompted (an `…_EVENT`, including heartbeats).
    public func isEvent(_ payloadType: PayloadType) -> Bool {
        entry(for: payloadType)?.kind == .event
    }

    /// The catalogue's table, built from the generated message types.
    private static func standardEntries() -> [Entry] {
        Catalogue.messageTypes.map { type in
            let payloadType = type.messagePayloadType
            let name = payloadType.name ?? ""
            let kind: MessageKind
            var answers: [PayloadType] = []
            if type is ProtoMessage.Type {
                kind = .container
            } else if name.hasSuffix("_REQ") {
                kind = .request
                answers = specialAnswers[payloadType] ?? [PayloadType(rawValue: payloadType.rawValue + 1)]
            } else if name.hasSuffix("_EVENT") {
                kind = .event
            } else {
                kind = .response
            }
            return Entry(payloadType: payloadType, messageType: type, kind: kind, answers: answers)
        }
    }

    /// The requests not answered by N+1.
    private static let specialAnswers: [PayloadType: [PayloadType]] = [
        .protoOaNewOrderReq: [.protoOaExecutionEvent, .protoOaOrderErrorEvent],
        .protoOaCancelOrderReq: [.protoOaExecutionEvent, .protoOaOrderErrorEvent],
        .protoOaAmendOrderReq: [.protoOaExecutionEvent, .protoOaOrderErrorEvent],
        .protoOaAmendPositionSltpReq: [.protoOaExecutionEvent, .protoOaOrderErrorEvent],
        .protoOaClosePositionReq: [.protoOaExecutionEvent, .protoOaOrderErrorEvent],
        .protoOaSubscribeLiveTrendbarReq: [.protoOaSubscribeLiveTrendbarRes],
        .protoOaUnsubscribeLiveTrendbarReq: [.protoOaUnsubscribeLiveTrendbarRes],
    ]
}

extension PayloadRegistry {
    /// The payload type a user wrote: a number (`2100`), a proto name
    /// (`PROTO_OA_APPLICATION_AUTH_REQ`) or a registered message's name (`ProtoOAApplicationAuthReq`);
    /// `nil` if it is none of them.
    public func payloadType(named text: String) -> PayloadType? {
        if let number = Int(text) { return PayloadType(rawValue: number) }
        if let named = PayloadType(name: text) { return named }
        return entries.first { $0.messageType.protoMessageName == text }?.payloadType
    }
}
