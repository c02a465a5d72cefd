/// Turns decoded frames into messages and control events (RFC 6455 §5.4-§5.6).
///
/// Feed it the frames of a ``WebSocketFrameDecoder`` in order with ``process(_:)``. Data frames
/// are joined into a ``WebSocketMessage``; control frames (which may arrive between the fragments
/// of a message) come out at once as ``Event/ping(_:)``, ``Event/pong(_:)`` or ``Event/close(_:)``.
///
/// The assembler checks, as each frame arrives:
/// - fragment order (a continuation only inside a message, a new message only outside one);
/// - the size of the message (``maxMessageSize``, close code 1009) and the number of its frames
///   (``maxFragmentCount``, 1009);
/// - UTF-8 of text, incrementally: invalid text fails (1007) in the frame where the bad octet
///   arrives, not at the end of the message; a text that ends mid-sequence fails at FIN. Given
///   the parts of a frame that is still arriving (``processPartial(_:)``), it fails as soon as
///   the bad octet arrives, before the rest of the frame;
/// - RSV1 (permessage-deflate's "compressed" bit): allowed only on the first frame of a data
///   message and only when an inflater is configured; elsewhere it is a protocol error (1002);
/// - close payloads, through ``WebSocketClosePayload/init(decoding:)``.
///
/// A compressed message is inflated frame by frame through the ``WebSocketMessageInflater``
/// given at `init`, with ``maxMessageSize`` as the limit on the inflated size, and its text is
/// validated on the inflated output as it grows.
///
/// Once it has thrown, the assembler stays failed: every later call rethrows the same error.
public struct WebSocketMessageAssembler {
    /// A result of ``WebSocketMessageAssembler/process(_:)``.
    public enum Event: Hashable, Sendable {
        /// A complete data message.
        case message(WebSocketMessage)
        /// A ping; answer with a pong carrying the same payload.
        case ping(ArraySlice<UInt8>)
        /// A pong.
        case pong(ArraySlice<UInt8>)
        /// A close frame, validated; an empty payload gives ``WebSocketCloseCode/noStatusReceived``.
        case close(WebSocketClosePayload)
    }

    /// The default ``maxMessageSize``: 16 MiB, far above any cTrader message, yet a bound on
    /// what one peer can make this process hold.
    public static let defaultMaxMessageSize: Int = 16 << 20
    /// The default ``maxFragmentCount``: 1024 frames, enough for a 16 MiB message in 16 KiB
    /// frames, while stopping a peer that trickles a message in tiny fragments.
    public static let defaultMaxFragmentCount: Int = 1024

    /// The largest message accepted, in bytes (after inflation for a compressed message).
    public let maxMessageSize: Int
    /// The most frames one message may take.
    public let maxFragmentCount: Int
    /// Whether compressed (RSV1) messages are accepted: an inflater was given.
    public var acceptsCompressedMessages: Bool { inflater != nil }

    /// The message being assembled.
    private struct Pending {
        var opcode: WebSocketOpcode
        var isCompressed: Bool
        var fragmentCount: Int
    }

    private var inflater: (any WebSocketMessageInflater)?
    private var pending: Pending?
    private var data: [UInt8] = []
    private var validator = UTF8Validator()
    /// Octets at the start of the next frame's payload whose UTF-8 ``processPartial(_:)``
    /// validated already.
    private var validatedInFrame = 0
    private var failure: WebSocketFramingError?

    /// Creates an assembler.
    ///
    /// - Parameters:
    ///   - maxMessageSize: the largest message accepted, in bytes, counted after inflation for a
    ///     compressed message; a larger one fails with ``WebSocketFramingError/Code/messageTooLarge``
    ///     (or ``WebSocketFramingError/Code/inflatedMessageTooLarge``), close code 1009, as soon
    ///     as the frame that passes the limit arrives. Default ``defaultMaxMessageSize`` (16 MiB).
    ///   - maxFragmentCount: the most frames one message may take; one more fails with
    ///     ``WebSocketFramingError/Code/tooManyFragments`` (1009). Default
    ///     ``defaultMaxFragmentCount`` (1024).
    ///   - inflater: the negotiated decompressor (e.g. ``PerMessageDeflateInflater``), used for
    ///     messages whose first frame has RSV1 set; `nil` (the default) when no compression was
    ///     negotiated, in which case RSV1 is a protocol error. The decoder in front must allow
    ///     RSV1 too (``WebSocketFrameDecoder/allowedReservedBits``); ``WebSocketFrameReader``
    ///     does both.
    public init(
        maxMessageSize: Int = WebSocketMessageAssembler.defaultMaxMessageSize,
        maxFragmentCount: Int = WebSocketMessageAssembler.defaultMaxFragmentCount,
        inflater: (any WebSocketMessageInflater)? = nil
    ) {
        precondition(maxMessageSize >= 0, "maxMessageSize must not be negative")
        precondition(maxFragmentCount >= 1, "maxFragmentCount must be at least 1")
        self.maxMessageSize = maxMessageSize
        self.maxFragmentCount = maxFragmentCount
        self.inflater = inflater
    }

    /// Whether a fragmented message has started and not yet ended.
    public var isAssemblingMessage: Bool { pending != nil }

    /// Takes in the next frame.
    ///
    /// - Returns: an event when the frame completes a message or is a control frame; `nil` when
    ///   it is a non-final fragment.
    /// - Throws: ``WebSocketFramingError`` when the frame breaks a rule (see the type's
    ///   discussion); then on every later call.
    public mutating func process(_ frame: WebSocketFrame) throws(WebSocketFramingError) -> Event? {
        if let failure { throw failure }
        do {
            return try processFrame(frame)
        } catch {
            fail(error)
            throw error
        }
    }

    /// Takes in the part of a frame that has arrived so far
    /// (``WebSocketFrameDecoder/nextPartialFrame()``), so that invalid UTF-8 in a text frame
    /// fails (1007) as soon as its octets arrive, before the rest of the frame.
    ///
    /// Give it the parts of one frame in order, then that whole frame to ``process(_:)``, which
    /// does not validate those octets again. Only the text of an uncompressed message is checked
    /// here; a part of a frame that ``process(_:)`` will reject for another reason (order, size,
    /// RSV1) is left for it, so the close code does not depend on how the frame was split.
    ///
    /// - Throws: ``WebSocketFramingError/Code/invalidUTF8`` (1007); then on every later call.
    public mutating func processPartial(_ part: WebSocketPartialFrame) throws(WebSocketFramingError) {
        if let failure { throw failure }
        guard !part.rsv1, part.offset == validatedInFrame else { return }
        switch part.opcode {
        case .text:
            guard pending == nil, part.length <= maxMessageSize else { return }
        case .continuation:
            guard let started = pending, started.opcode == .text, !started.isCompressed,
                started.fragmentCount < maxFragmentCount, part.length <= maxMessageSize - data.count
            else { return }
        default:
            return
        }
        guard validator.validate(part.payload) else {
            let error = WebSocketFramingError.invalidData(.invalidUTF8, "text message is not valid UTF-8")
            fail(error)
            throw error
        }
        validatedInFrame += part.payload.count
    }

    private mutating func fail(_ error: WebSocketFramingError) {
        failure = error
        pending = nil
        data = []
        validatedInFrame = 0
    }

    private mutating func processFrame(_ frame: WebSocketFrame) throws(WebSocketFramingError) -> Event? {
        let opcode = frame.opcode
        // The text of the payload's first `validated` octets was checked by processPartial(_:).
        let validated = validatedInFrame
        validatedInFrame = 0
        if opcode.isReserved {
            throw .protocolError(.reservedOpcode, "opcode \(opcode) is reserved")
        }
        if opcode.isControl {
            if frame.rsv1 {
                throw .protocolError(.reservedBitSet, "RSV1 set on a \(opcode) frame")
            }
            if !frame.fin {
                throw .protocolError(.fragmentedControlFrame, "\(opcode) frame without FIN")
            }
            if frame.payload.count > 125 {
                throw .protocolError(.controlFrameTooLong, "\(opcode) frame with a payload over 125 bytes")
            }
            switch opcode {
            case .ping: return .ping(frame.payload)
            case .pong: return .pong(frame.payload)
            default: return .close(try WebSocketClosePayload(decoding: frame.payload))
            }
        }

        var current: Pending
        if opcode == .continuation {
            guard let started = pending else {
                throw .protocolError(
                    .unexpectedContinuation, "continuation frame with no fragmented message in progress")
            }
            if frame.rsv1 {
                throw .protocolError(.reservedBitSet, "RSV1 set on a continuation frame")
            }
            current = started
            current.fragmentCount += 1
            if current.fragmentCount > maxFragmentCount {
                throw .tooBig(.tooManyFragments, "message of more than \(maxFragmentCount) frames")
            }
        } else {
            if pending != nil {
                throw .protocolError(.expectedContinuation, "\(opcode) frame inside a fragmented message")
            }
            if frame.rsv1 && inflater == nil {
                throw .protocolError(.reservedBitSet, "RSV1 set but no compression was negotiated")
            }
            if frame.fin && !frame.rsv1 {
                // An unfragmented, uncompressed message: validate in place, copy once.
                try checkSize(adding: frame.payload.count, to: 0)
                if opcode == .text {
                    guard validateText(frame.payload, from: validated), validator.finish() else {
                        throw .invalidData(.invalidUTF8, "text message is not valid UTF-8")
                    }
                }
                return .message(WebSocketMessage(opcode: opcode, data: Array(frame.payload)))
            }
            current = Pending(opcode: opcode, isCompressed: frame.rsv1, fragmentCount: 1)
        }

        let isText = current.opcode == .text
        if current.isCompressed {
            let before = data.count
            try inflater!.inflate(frame.payload, isFinalFragment: frame.fin, into: &data, limit: maxMessageSize)
            if data.count > maxMessageSize {
                throw .tooBig(.inflatedMessageTooLarge, "message inflates past the \(maxMessageSize)-byte limit")
            }
            if isText && !validator.validate(data[before...]) {
                throw .invalidData(.invalidUTF8, "text message is not valid UTF-8")
            }
        } else {
            try checkSize(adding: frame.payload.count, to: data.count)
            if isText && !validateText(frame.payload, from: validated) {
                throw .invalidData(.invalidUTF8, "text message is not valid UTF-8")
            }
            data.append(contentsOf: frame.payload)
        }

        guard frame.fin else {
            pending = current
            return nil
        }
        if isText && !validator.finish() {
            throw .invalidData(.invalidUTF8, "text message ends in the middle of a UTF-8 sequence")
        }
        let message = WebSocketMessage(opcode: current.opcode, data: data)
        data = []
        pending = nil
        return .message(message)
    }

    /// Validates the text of `payload` from octet `start` on (the octets before were validated
    /// by processPartial(_:)). The common case, a frame that arrived whole, passes the slice as
    /// it is (a new slice from `dropFirst` would cost a retain and a release per message).
    @inline(__always)
    private mutating func validateText(_ payload: ArraySlice<UInt8>, from start: Int) -> Bool {
        start == 0 ? validator.validate(payload) : validator.validate(payload.dropFirst(start))
    }

    private func checkSize(adding count: Int, to size: Int) throws(WebSocketFramingError) {
        if count > maxMessageSize - size {
            throw .tooBig(.messageTooLarge, "message of more than \(maxMessageSize) bytes")
        }
    }
}
