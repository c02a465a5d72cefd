// swift-ctrader: the cTrader Open API message layer.

public import SwiftProtobuf

/// A message of the cTrader Open API catalogue: a generated swift-protobuf message that knows the
/// payloadType it travels as.
///
/// Every message type generated from the `.proto` files that has a `payloadType` field conforms,
/// and so does ``ProtoMessage`` (the binary wire format's container).
public protocol CTraderMessage: SwiftProtobuf.Message {
    /// The payloadType this message travels as, e.g. ``PayloadType/protoOaSpotEvent`` for
    /// `ProtoOASpotEvent`.
    static var messagePayloadType: PayloadType { get }
}

/// A message whose `payloadType` field is a `ProtoOAPayloadType` (the Open API messages,
/// 2100–2188). Its ``CTraderMessage/messagePayloadType`` is that field's default in the `.proto`
/// (generated as a constant; a test checks the two agree).
public protocol OpenAPIPayloadMessage: CTraderMessage {
    /// The generated `payloadType` field; its default is this message's payload type.
    var payloadType: ProtoOAPayloadType { get }
}

/// A message whose `payloadType` field is a `ProtoPayloadType` (the common messages 50 and 51).
/// Its ``CTraderMessage/messagePayloadType`` is that field's default in the `.proto` (generated as
/// a constant; a test checks the two agree).
public protocol CommonPayloadMessage: CTraderMessage {
    /// The generated `payloadType` field; its default is this message's payload type.
    var payloadType: ProtoPayloadType { get }
}

extension ProtoMessage: CTraderMessage {
    /// ``PayloadType/protoMessage`` (5): the container of the binary wire format.
    public static var messagePayloadType: PayloadType {
        .protoMessage
    }
}
