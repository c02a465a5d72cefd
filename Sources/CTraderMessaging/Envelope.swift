// swift-ctrader: the cTrader Open API message layer.

import SwiftProtobuf

/// One message of the conversation: its payloadType, the optional `clientMsgId` that pairs a
/// response with its request, and the payload, typed when the payloadType is registered.
///
/// ```swift
/// var auth = ProtoOAApplicationAuthReq()
/// auth.clientID = "…"
/// auth.clientSecret = "…"
/// let envelope = Envelope(auth, clientMsgId: "1")
/// ```
public struct Envelope: Sendable {
    /// The payloadType on the wire.
    public var payloadType: PayloadType
    /// The client's request id, echoed in the response; `nil` when absent.
    public var clientMsgId: String?
    /// The typed payload, when the payloadType is registered (an absent payload decodes as the
    /// message type's empty value).
    public var message: (any CTraderMessage)?
    /// The payload's undecoded bytes, when the payloadType is not registered: kept so that a
    /// message from a newer server can still be logged or forwarded.
    public var rawPayload: RawPayload?

    /// An envelope for a typed message; its payloadType is the message type's.
    public init(_ message: some CTraderMessage, clientMsgId: String? = nil) {
        self.payloadType = type(of: message).messagePayloadType
        self.clientMsgId = clientMsgId
        self.message = message
        self.rawPayload = nil
    }

    /// An envelope for a payloadType the registry does not know, with its payload as bytes.
    public init(payloadType: PayloadType, clientMsgId: String? = nil, rawPayload: RawPayload?) {
        self.payloadType = payloadType
        self.clientMsgId = clientMsgId
        self.message = nil
        self.rawPayload = rawPayload
    }

    /// The typed payload as `M`; `nil` if it is another type or not typed.
    public func message<M: CTraderMessage>(as type: M.Type = M.self) -> M? {
        message as? M
    }

    /// The message type's proto name (e.g. `ProtoOASpotEvent`), or `nil` for a raw envelope.
    public var messageName: String? {
        message.map { type(of: $0).protoMessageName }
    }
}

/// The bytes of a payload whose type the registry does not know.
public struct RawPayload: Hashable, Sendable {
    /// The payload exactly as received: a JSON object, or a protobuf message.
    public var bytes: [UInt8]
    /// How ``bytes`` are encoded.
    public var format: WireFormat

    /// Wraps payload bytes.
    public init(bytes: [UInt8], format: WireFormat) {
        self.bytes = bytes
        self.format = format
    }
}

/// The two wire formats of the Open API.
public enum WireFormat: Hashable, Sendable {
    /// JSON text frames over WebSocket (port 5036): `{"clientMsgId":…,"payloadType":N,"payload":{…}}`.
    case json
    /// Protobuf `ProtoMessage` behind a 4-byte big-endian length (port 5035).
    case protobuf
}
