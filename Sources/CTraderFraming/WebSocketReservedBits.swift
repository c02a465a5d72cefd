/// A set of the RSV1, RSV2 and RSV3 bits of a frame header (RFC 6455 §5.2).
///
/// A decoder rejects a frame with an RSV bit set unless a negotiated extension defines that bit
/// (RFC 6455 §5.8); permessage-deflate (RFC 7692) defines ``rsv1``. The raw values are the bits'
/// positions in the first header octet.
public struct WebSocketReservedBits: OptionSet, Hashable, Sendable {
    /// The bits, at their positions in the first header octet (`0x40`, `0x20`, `0x10`).
    public let rawValue: UInt8

    /// Creates a set from bits at their header positions; other bits are dropped.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0x70
    }

    /// RSV1 (`0x40`): "compressed message" under permessage-deflate.
    public static let rsv1 = WebSocketReservedBits(rawValue: 0x40)
    /// RSV2 (`0x20`).
    public static let rsv2 = WebSocketReservedBits(rawValue: 0x20)
    /// RSV3 (`0x10`).
    public static let rsv3 = WebSocketReservedBits(rawValue: 0x10)
}
