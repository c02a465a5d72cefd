// swift-ctrader: the cTrader Open API message layer.

/// The number that says which message an envelope carries: the `payloadType` of
/// `{"clientMsgId":"…","payloadType":N,"payload":{…}}`.
///
/// An open value: every entry of `ProtoOAPayloadType` (2100–2188) and `ProtoPayloadType` (5, 50,
/// 51) has a named constant such as ``protoOaApplicationAuthReq``, and any other number is
/// representable too, so a message type the server adds later still decodes (as a raw envelope).
///
/// ```swift
/// let type = PayloadType(name: "PROTO_OA_APPLICATION_AUTH_REQ")  // .protoOaApplicationAuthReq
/// type?.rawValue  // 2100
/// PayloadType(rawValue: 2131).name  // "PROTO_OA_SPOT_EVENT"
/// ```
public struct PayloadType: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The number on the wire.
    public let rawValue: Int

    /// Wraps any number, named or not.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// Wraps an integer literal: `let type: PayloadType = 2100`.
    public init(integerLiteral value: Int) {
        self.rawValue = value
    }

    /// The payload type of an entry of the generated `ProtoOAPayloadType` enum.
    public init(_ value: ProtoOAPayloadType) {
        self.rawValue = value.rawValue
    }

    /// The payload type of an entry of the generated `ProtoPayloadType` enum.
    public init(_ value: ProtoPayloadType) {
        self.rawValue = value.rawValue
    }

    /// The payload type with the given proto name, such as `"PROTO_OA_SPOT_EVENT"` or
    /// `"HEARTBEAT_EVENT"`; `nil` for a name not in the catalogue.
    public init?(name: String) {
        guard let value = PayloadType.byName[name] else { return nil }
        self = value
    }

    /// The proto name, such as `"PROTO_OA_APPLICATION_AUTH_REQ"`; `nil` for a number outside the
    /// catalogue.
    public var name: String? {
        PayloadType.names[self]
    }

    /// Whether the number is an entry of the catalogue.
    public var isNamed: Bool {
        name != nil
    }

    /// Whether this is the payload type of a trading request (see ``tradingRequests``).
    public var isTradingRequest: Bool {
        PayloadType.tradingRequests.contains(self)
    }

    /// Every payload type of the catalogue, in catalogue order (`ProtoPayloadType` first).
    public static var allNamed: [PayloadType] {
        catalogue.map(\.0)
    }

    /// The proto name, or the number for one outside the catalogue.
    public var description: String {
        name ?? String(rawValue)
    }

    /// Orders by number.
    public static func < (lhs: PayloadType, rhs: PayloadType) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    private static let names: [PayloadType: String] = Dictionary(
        catalogue.map { ($0.0, $0.1) },
        uniquingKeysWith: { first, _ in first }
    )
    private static let byName: [String: PayloadType] = Dictionary(
        catalogue.map { ($0.1, $0.0) },
        uniquingKeysWith: { first, _ in first }
    )
}
