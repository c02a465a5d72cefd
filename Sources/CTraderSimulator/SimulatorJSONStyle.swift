// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging
import SwiftProtobuf

/// How the simulator writes JSON payloads. The server writes 64-bit integers as numbers and enums
/// as numbers (``server``); the other styles follow the proto3 JSON mapping instead, to test that
/// a client also reads those.
public struct SimulatorJSONStyle: Sendable, Hashable {
    /// Whether `int64`/`uint64` fields are written as strings (`"ctidTraderAccountId":"1000001"`).
    public var int64AsStrings: Bool
    /// Whether enum fields are written as names (`"executionType":"ORDER_FILLED"`).
    public var enumsAsNames: Bool

    /// Makes a style.
    public init(int64AsStrings: Bool = false, enumsAsNames: Bool = false) {
        self.int64AsStrings = int64AsStrings
        self.enumsAsNames = enumsAsNames
    }

    /// The real server's JSON: numbers for both.
    public static let server = SimulatorJSONStyle()

    /// Encodes an envelope in this style; `codec` is used as is for ``server``.
    public func encode(_ envelope: Envelope, codec: JSONEnvelopeCodec) throws -> String {
        guard self != .server, let message = envelope.message else {
            return try codec.encodeString(envelope)
        }
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        options.alwaysPrintInt64sAsNumbers = !int64AsStrings
        options.alwaysPrintEnumsAsInts = !enumsAsNames
        let payload = try message.jsonString(options: options)
        var text = "{"
        if let clientMsgId = envelope.clientMsgId {
            text += "\"clientMsgId\":" + Self.quoted(clientMsgId) + ","
        }
        text += "\"payloadType\":\(envelope.payloadType.rawValue)"
        if payload != "{}" { text += ",\"payload\":" + payload }
        return text + "}"
    }

    /// ``encode(_:codec:)`` as UTF-8 bytes; for ``server``, `codec`'s bytes with no `String` on
    /// the way.
    func encodeBytes(_ envelope: Envelope, codec: JSONEnvelopeCodec) throws -> [UInt8] {
        guard self != .server, envelope.message != nil else { return try codec.encode(envelope) }
        return Array(try encode(envelope, codec: codec).utf8)
    }

    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
