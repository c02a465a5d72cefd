/// The part of a frame's payload that has arrived while the rest is still on its way, from
/// ``WebSocketFrameDecoder/nextPartialFrame()``.
///
/// It lets a text frame be validated as its octets arrive (RFC 6455 §8.1: invalid UTF-8 fails
/// the connection as soon as it is seen), not only once the whole frame is in.
public struct WebSocketPartialFrame: Hashable, Sendable {
    /// The frame's FIN bit.
    public var fin: Bool
    /// The frame's RSV1 bit (permessage-deflate's "compressed").
    public var rsv1: Bool
    /// The frame's opcode.
    public var opcode: WebSocketOpcode
    /// The length of the frame's whole payload, from its header.
    public var length: Int
    /// The position of ``payload``'s first octet within the frame's payload.
    public var offset: Int
    /// The octets that arrived since the previous partial frame (or the header), unmasked.
    public var payload: ArraySlice<UInt8>

    /// Creates a partial frame.
    public init(fin: Bool, rsv1: Bool, opcode: WebSocketOpcode, length: Int, offset: Int, payload: ArraySlice<UInt8>) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.length = length
        self.offset = offset
        self.payload = payload
    }
}
