/// The opcode of a WebSocket frame (RFC 6455 §5.2).
///
/// An open struct rather than an enum: every 4-bit value is representable, so a decoder can name
/// a reserved opcode in its error instead of losing it.
public struct WebSocketOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 4-bit value as it appears on the wire (0x0…0xF).
    public let rawValue: UInt8

    /// Creates an opcode from its wire value. Only the low four bits are kept.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0x0F
    }

    /// `0x0`: a continuation fragment of a message.
    public static let continuation = WebSocketOpcode(rawValue: 0x0)
    /// `0x1`: the first frame of a text message (UTF-8).
    public static let text = WebSocketOpcode(rawValue: 0x1)
    /// `0x2`: the first frame of a binary message.
    public static let binary = WebSocketOpcode(rawValue: 0x2)
    /// `0x8`: a close control frame.
    public static let close = WebSocketOpcode(rawValue: 0x8)
    /// `0x9`: a ping control frame.
    public static let ping = WebSocketOpcode(rawValue: 0x9)
    /// `0xA`: a pong control frame.
    public static let pong = WebSocketOpcode(rawValue: 0xA)

    /// Whether this is a control opcode (the high bit of the nibble is set: `0x8`…`0xF`).
    @inlinable
    public var isControl: Bool { rawValue & 0x8 != 0 }

    /// Whether RFC 6455 reserves this opcode (`0x3`…`0x7` and `0xB`…`0xF`).
    @inlinable
    public var isReserved: Bool {
        switch rawValue {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: false
        default: true
        }
    }

    public var description: String {
        switch rawValue {
        case 0x0: "continuation"
        case 0x1: "text"
        case 0x2: "binary"
        case 0x8: "close"
        case 0x9: "ping"
        case 0xA: "pong"
        default: "reserved(0x\(String(rawValue, radix: 16)))"
        }
    }
}
