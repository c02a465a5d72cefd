/// Inflates the payloads of a compressed message as its frames arrive.
///
/// The message assembler calls it once per data frame of a message whose first frame had RSV1
/// set, in order. Inflating frame by frame lets the assembler check the inflated size and the
/// UTF-8 of text as soon as each frame arrives, instead of after the whole message.
/// ``PerMessageDeflateInflater`` is the implementation for RFC 7692.
public protocol WebSocketMessageInflater {
    /// Inflates one frame's payload and appends the result to `output`.
    ///
    /// - Parameters:
    ///   - fragment: the frame's payload, as received (compressed).
    ///   - isFinalFragment: whether this frame had FIN set. On the final fragment the
    ///     implementation restores what the sender stripped (RFC 7692 §7.2.2: `00 00 ff ff`).
    ///   - output: where the inflated bytes are appended.
    ///   - limit: the most bytes `output` may hold afterwards; inflating stops and throws
    ///     ``WebSocketFramingError/Code/inflatedMessageTooLarge`` as soon as it would pass it.
    /// - Throws: ``WebSocketFramingError``.
    mutating func inflate(
        _ fragment: ArraySlice<UInt8>,
        isFinalFragment: Bool,
        into output: inout [UInt8],
        limit: Int
    ) throws(WebSocketFramingError)
}

/// Compresses whole outgoing messages.
///
/// ``PerMessageDeflateDeflater`` is the implementation for RFC 7692.
public protocol WebSocketMessageDeflater {
    /// Compresses one message and returns the bytes to send as its payload, or `nil` when the
    /// message should go out uncompressed (e.g. below the configured size threshold), in which
    /// case RSV1 stays clear.
    /// - Throws: ``WebSocketFramingError``.
    mutating func deflate(_ message: ArraySlice<UInt8>) throws(WebSocketFramingError) -> [UInt8]?
}
