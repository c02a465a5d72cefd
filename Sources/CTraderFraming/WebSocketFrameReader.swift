/// A ``WebSocketFrameDecoder`` and a ``WebSocketMessageAssembler`` wired together: bytes in,
/// messages and control events out.
///
/// ```swift
/// var reader = WebSocketFrameReader(role: .client)
/// reader.append(receivedBytes)
/// while let event = try reader.nextEvent() {
///     switch event {
///     case .message(let message): handle(message)
///     case .ping(let payload): sendPong(payload)
///     case .pong: break
///     case .close(let close): answerClose(close)
///     }
/// }
/// ```
///
/// Passing an inflater turns on compressed messages end to end: the decoder then allows RSV1,
/// and the assembler inflates messages whose first frame has it set.
public struct WebSocketFrameReader {
    /// The frame decoder.
    public private(set) var decoder: WebSocketFrameDecoder
    /// The message assembler.
    public private(set) var assembler: WebSocketMessageAssembler

    /// Creates a reader.
    ///
    /// - Parameters:
    ///   - role: the end this reader speaks for (decides which frames must be masked).
    ///   - maxFrameSize: as for ``WebSocketFrameDecoder/init(role:maxFrameSize:allowedReservedBits:)``;
    ///     default 16 MiB.
    ///   - maxMessageSize: as for ``WebSocketMessageAssembler/init(maxMessageSize:maxFragmentCount:inflater:)``;
    ///     default 16 MiB.
    ///   - maxFragmentCount: as for the assembler; default 1024.
    ///   - inflater: the negotiated decompressor, or `nil` (the default) for none. When given,
    ///     RSV1 is allowed on the first frame of a data message.
    public init(
        role: WebSocketRole,
        maxFrameSize: Int = WebSocketFrameDecoder.defaultMaxFrameSize,
        maxMessageSize: Int = WebSocketMessageAssembler.defaultMaxMessageSize,
        maxFragmentCount: Int = WebSocketMessageAssembler.defaultMaxFragmentCount,
        inflater: (any WebSocketMessageInflater)? = nil
    ) {
        self.decoder = WebSocketFrameDecoder(
            role: role,
            maxFrameSize: maxFrameSize,
            allowedReservedBits: inflater == nil ? [] : .rsv1
        )
        self.assembler = WebSocketMessageAssembler(
            maxMessageSize: maxMessageSize,
            maxFragmentCount: maxFragmentCount,
            inflater: inflater
        )
    }

    /// Appends received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { decoder.append(bytes) }
    /// Appends received bytes.
    public mutating func append(_ bytes: [UInt8]) { decoder.append(bytes) }
    /// Appends received bytes.
    public mutating func append(_ bytes: ArraySlice<UInt8>) { decoder.append(bytes) }
    /// Appends received bytes from any sequence.
    public mutating func append(_ bytes: some Sequence<UInt8>) { decoder.append(bytes) }

    /// Decodes frames until one completes a message or is a control frame.
    ///
    /// Events come out in the order of the frames, one per call: a message decoded before a
    /// protocol error is returned before the call that throws it. When the bytes run out inside
    /// a frame, the octets that arrived of it are checked at once (``WebSocketMessageAssembler/processPartial(_:)``),
    /// so invalid UTF-8 fails before the rest of the frame arrives.
    ///
    /// - Returns: the next event, or `nil` when more bytes are needed.
    /// - Throws: ``WebSocketFramingError`` from the decoder or the assembler; its
    ///   ``WebSocketFramingError/closeCode`` is the status to close the connection with.
    public mutating func nextEvent() throws(WebSocketFramingError) -> WebSocketMessageAssembler.Event? {
        while let frame = try decoder.nextFrame() {
            if let event = try assembler.process(frame) {
                return event
            }
        }
        // Nothing buffered (the common end of a read: whole frames only) means no part to check.
        if decoder.bufferedByteCount > 0, let part = decoder.nextPartialFrame() {
            try assembler.processPartial(part)
        }
        return nil
    }
}
