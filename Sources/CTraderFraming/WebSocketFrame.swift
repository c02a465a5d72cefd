/// Which end of a WebSocket connection a codec speaks for.
///
/// The role decides masking (RFC 6455 §5.1): a client masks every frame it sends and requires
/// unmasked frames from the server; a server requires masked frames and sends unmasked ones.
public enum WebSocketRole: Sendable, Hashable {
    /// The end that opened the connection.
    case client
    /// The end that accepted it.
    case server
}

/// The 32-bit masking key of a client frame (RFC 6455 §5.3).
///
/// The four key octets are stored in wire order in ``bytes``; ``rawValue`` holds them as a
/// big-endian number, so `0x37fa213d` is the key `37 fa 21 3d` of RFC 6455 §5.7.
public struct WebSocketMaskingKey: RawRepresentable, Hashable, Sendable {
    /// The key as a big-endian number: the first wire octet is the most significant byte.
    public let rawValue: UInt32

    /// Creates a key from its big-endian value.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Creates a key from its four wire octets.
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        self.rawValue = UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3)
    }

    /// The four octets in wire order.
    public var bytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
            UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue),
        ]
    }

    /// A key from the system's cryptographically secure generator (RFC 6455 §5.3 requires an
    /// unpredictable key): `getrandom(2)` on Linux, `arc4random_buf` elsewhere, fetched 256 keys at
    /// a time (one system call per 256 client frames instead of one per frame).
    public static func random() -> WebSocketMaskingKey {
        WebSocketMaskingKey(rawValue: MaskingKeyPool.shared.next())
    }
}

/// One WebSocket frame (RFC 6455 §5.2), with its payload unmasked.
///
/// The payload is an `ArraySlice<UInt8>`: a decoder hands out a slice of its own buffer, so a
/// decoded frame costs no allocation. Its indices do not start at zero; use `startIndex`.
public struct WebSocketFrame: Hashable, Sendable {
    /// Whether this is the final fragment of a message.
    public var fin: Bool
    /// RSV1: in a message of a negotiated permessage-deflate extension, "this message is
    /// compressed" (set on the first frame of the message only, RFC 7692 §6).
    public var rsv1: Bool
    /// RSV2: reserved; no extension this library negotiates defines it.
    public var rsv2: Bool
    /// RSV3: reserved; no extension this library negotiates defines it.
    public var rsv3: Bool
    /// The frame's opcode.
    public var opcode: WebSocketOpcode
    /// The masking key the frame was (or will be) sent with; `nil` for an unmasked frame.
    public var maskingKey: WebSocketMaskingKey?
    /// The application data, unmasked. Indices are not zero-based.
    public var payload: ArraySlice<UInt8>

    /// Creates a frame.
    /// - Parameters:
    ///   - fin: whether this is the final fragment; `true` by default.
    ///   - rsv1: the RSV1 bit; `false` by default.
    ///   - rsv2: the RSV2 bit; `false` by default.
    ///   - rsv3: the RSV3 bit; `false` by default.
    ///   - opcode: the frame's opcode.
    ///   - maskingKey: the masking key, or `nil` for an unmasked frame.
    ///   - payload: the unmasked application data.
    public init(
        fin: Bool = true,
        rsv1: Bool = false,
        rsv2: Bool = false,
        rsv3: Bool = false,
        opcode: WebSocketOpcode,
        maskingKey: WebSocketMaskingKey? = nil,
        payload: ArraySlice<UInt8> = []
    ) {
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payload = payload
    }

    /// Creates a frame from a payload array.
    public init(
        fin: Bool = true,
        rsv1: Bool = false,
        opcode: WebSocketOpcode,
        maskingKey: WebSocketMaskingKey? = nil,
        payload: [UInt8]
    ) {
        self.init(fin: fin, rsv1: rsv1, opcode: opcode, maskingKey: maskingKey, payload: payload[...])
    }
}
