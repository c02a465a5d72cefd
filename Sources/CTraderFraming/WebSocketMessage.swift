/// A complete WebSocket data message (RFC 6455 §5.6): text or binary, reassembled from its
/// frames and, if it was compressed, inflated.
public struct WebSocketMessage: Hashable, Sendable {
    /// ``WebSocketOpcode/text`` or ``WebSocketOpcode/binary``.
    public var opcode: WebSocketOpcode
    /// The message's data; for a text message, valid UTF-8 when it comes from
    /// ``WebSocketMessageAssembler``.
    public var data: [UInt8]

    /// Creates a message.
    /// - Parameters:
    ///   - opcode: ``WebSocketOpcode/text`` or ``WebSocketOpcode/binary``.
    ///   - data: the message's data.
    public init(opcode: WebSocketOpcode, data: [UInt8]) {
        self.opcode = opcode
        self.data = data
    }

    /// Creates a text message.
    public init(text: String) {
        self.init(opcode: .text, data: Array(text.utf8))
    }

    /// Creates a binary message.
    public init(binary: [UInt8]) {
        self.init(opcode: .binary, data: binary)
    }

    /// Whether this is a text message.
    public var isText: Bool { opcode == .text }

    /// The text of a text message; `nil` for a binary message.
    public var text: String? {
        isText ? String(decoding: data, as: UTF8.self) : nil
    }
}
