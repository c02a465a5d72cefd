/// An incremental, pure decoder of WebSocket frames (RFC 6455 §5.2): bytes in, frames out.
///
/// Append bytes as they arrive with ``append(_:)-(UnsafeRawBufferPointer)``, then call
/// ``nextFrame()`` until it returns `nil` ("need more data"). How the input is chunked, down to
/// one byte at a time, does not change the frames produced.
///
/// The decoder enforces the normative framing rules of RFC 6455 that do not depend on message
/// content, each as soon as the header shows it, before the payload arrives:
/// reserved opcodes, RSV bits that no negotiated extension defines (see ``allowedReservedBits``),
/// fragmented or over-125-byte control frames, continuation frames outside a fragmented message
/// and new data frames inside one (the decoder tracks fragmentation itself), 64-bit lengths with
/// the high bit set, non-minimal length encodings, frames over ``maxFrameSize``, and the masking
/// rule for its ``role``. Each failure is a ``WebSocketFramingError`` with the close code to send.
/// Once failed, the decoder stays failed: every later ``nextFrame()`` rethrows the same error.
///
/// Payloads are unmasked in place in the decoder's own buffer and returned as slices of it, so a
/// decoded frame costs no allocation. Consumed bytes are dropped at the start of the next
/// `append`; if the caller has released the frames it was given by then, the buffer is uniquely
/// referenced and is neither copied nor reallocated.
///
/// The decoder keeps whatever is appended until it is decoded: drain ``nextFrame()`` before
/// appending more, and memory stays bounded by one frame (``maxFrameSize`` plus its header) plus
/// one read.
///
/// Frame payloads are not interpreted: UTF-8, close payloads, decompression and message size are
/// the job of ``WebSocketMessageAssembler``. While a frame's payload is still arriving,
/// ``nextPartialFrame()`` hands out the octets that came so far, so that its text can be checked
/// before the rest arrives.
public struct WebSocketFrameDecoder: Sendable {
    /// The default ``maxFrameSize``: 16 MiB, the default maximum message size too, so an
    /// unfragmented message up to that size is accepted; far larger than any cTrader message.
    public static let defaultMaxFrameSize: Int = 16 << 20

    /// The end this decoder speaks for; it decides which frames must be masked.
    public let role: WebSocketRole
    /// The largest payload accepted in one frame, in bytes.
    public let maxFrameSize: Int
    /// The RSV bits a negotiated extension defines; a frame with any other RSV bit set is
    /// rejected. Set ``WebSocketReservedBits/rsv1`` once permessage-deflate is negotiated.
    public var allowedReservedBits: WebSocketReservedBits
    /// Whether a fragmented message has started (a text or binary frame without FIN) and not yet
    /// ended (a continuation frame with FIN).
    public private(set) var isInFragmentedMessage: Bool = false

    /// Received bytes; those before `readIndex` are consumed.
    private var buffer: [UInt8] = []
    /// The first unconsumed byte of `buffer`.
    private var readIndex: Int = 0
    /// Where the parser stands.
    private var state: State = .awaitingHeader
    /// Payload octets of the frame in `.awaitingPayload` already unmasked and handed out by
    /// ``nextPartialFrame()``.
    private var payloadSeen: Int = 0

    /// A frame header, parsed and validated.
    private struct Header: Sendable {
        var fin: Bool
        var rsv1: Bool
        var rsv2: Bool
        var rsv3: Bool
        var opcode: WebSocketOpcode
        var maskingKey: WebSocketMaskingKey?
        var length: Int
    }

    private enum State: Sendable {
        /// Waiting for (the rest of) a frame header; no header bytes are consumed yet.
        case awaitingHeader
        /// The header is consumed; waiting for its payload.
        case awaitingPayload(Header)
        /// A framing error was found; it is rethrown forever.
        case failed(WebSocketFramingError)
    }

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - role: the end this decoder speaks for. A ``WebSocketRole/server`` requires masked
    ///     frames; a ``WebSocketRole/client`` requires unmasked ones (RFC 6455 §5.1).
    ///   - maxFrameSize: the largest payload accepted in one frame, in bytes; a larger frame
    ///     fails with ``WebSocketFramingError/Code/frameTooLarge`` (close code 1009) as soon as
    ///     its length is read. Default ``defaultMaxFrameSize`` (16 MiB).
    ///   - allowedReservedBits: the RSV bits negotiated extensions define. Default none; pass
    ///     ``WebSocketReservedBits/rsv1`` when permessage-deflate was negotiated.
    public init(
        role: WebSocketRole,
        maxFrameSize: Int = WebSocketFrameDecoder.defaultMaxFrameSize,
        allowedReservedBits: WebSocketReservedBits = []
    ) {
        precondition(maxFrameSize >= 0, "maxFrameSize must not be negative")
        self.role = role
        self.maxFrameSize = maxFrameSize
        self.allowedReservedBits = allowedReservedBits
    }

    /// The number of bytes appended and not yet consumed. The header of a frame whose payload is
    /// still incomplete is already consumed and not counted.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the decoder has failed; every ``nextFrame()`` then rethrows its error.
    public var hasFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    // MARK: - Input

    /// Appends received bytes. After a failure, input is ignored.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard prepareForAppend() else { return }
        // Safe because the bytes are only read as `UInt8`, which any memory may be viewed as, and
        // the rebound pointer does not outlive the closure.
        bytes.withMemoryRebound(to: UInt8.self) { buffer.append(contentsOf: $0) }
    }

    /// Appends received bytes. After a failure, input is ignored.
    public mutating func append(_ bytes: [UInt8]) {
        guard prepareForAppend() else { return }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes. After a failure, input is ignored.
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard prepareForAppend() else { return }
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes from any sequence. After a failure, input is ignored.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard prepareForAppend() else { return }
        buffer.append(contentsOf: bytes)
    }

    /// Drops consumed bytes before new ones are appended; returns `false` once failed.
    private mutating func prepareForAppend() -> Bool {
        if case .failed = state { return false }
        if readIndex > 0 {
            if readIndex == buffer.count {
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.removeSubrange(0..<readIndex)
            }
            readIndex = 0
        }
        return true
    }

    // MARK: - Output

    /// Decodes the next frame, if all of it has arrived.
    ///
    /// - Returns: the next frame with its payload unmasked (a slice of the decoder's buffer), or
    ///   `nil` when more bytes are needed.
    /// - Throws: ``WebSocketFramingError`` as soon as the bytes received break a framing rule;
    ///   then on every later call.
    public mutating func nextFrame() throws(WebSocketFramingError) -> WebSocketFrame? {
        let header: Header
        switch state {
        case .failed(let error):
            throw error
        case .awaitingPayload(let parsed):
            header = parsed
        case .awaitingHeader:
            do {
                guard let parsed = try parseHeader() else { return nil }
                header = parsed
                state = .awaitingPayload(parsed)
            } catch {
                state = .failed(error)
                throw error
            }
        }
        guard buffer.count - readIndex >= header.length else { return nil }
        let start = readIndex
        let end = start + header.length
        // Octets handed out by nextPartialFrame() are unmasked already.
        let seen = payloadSeen
        if let key = header.maskingKey, header.length > seen {
            WebSocketMasking.mask(&buffer, range: start + seen..<end, key: key, startingAt: seen)
        }
        readIndex = end
        payloadSeen = 0
        state = .awaitingHeader
        if !header.opcode.isControl {
            isInFragmentedMessage = !header.fin
        }
        return WebSocketFrame(
            fin: header.fin,
            rsv1: header.rsv1,
            rsv2: header.rsv2,
            rsv3: header.rsv3,
            opcode: header.opcode,
            maskingKey: header.maskingKey,
            payload: buffer[start..<end]
        )
    }

    /// The octets of the frame still arriving that came in since the last call, unmasked.
    ///
    /// Call it when ``nextFrame()`` returned `nil`: the header of the next frame is complete but
    /// its payload is not. Those octets stay part of the frame that ``nextFrame()`` returns once
    /// it is complete; ``WebSocketPartialFrame/offset`` says where they start in it.
    ///
    /// - Returns: the new octets with the frame's header fields, or `nil` when none arrived since
    ///   the last call, no frame header is pending, or the decoder has failed.
    public mutating func nextPartialFrame() -> WebSocketPartialFrame? {
        guard case .awaitingPayload(let header) = state else { return nil }
        let available = min(buffer.count - readIndex, header.length)
        let seen = payloadSeen
        guard available > seen else { return nil }
        let start = readIndex + seen
        let end = readIndex + available
        if let key = header.maskingKey {
            WebSocketMasking.mask(&buffer, range: start..<end, key: key, startingAt: seen)
        }
        payloadSeen = available
        return WebSocketPartialFrame(
            fin: header.fin, rsv1: header.rsv1, opcode: header.opcode,
            length: header.length, offset: seen, payload: buffer[start..<end]
        )
    }

    /// Parses and validates the header at `readIndex`, checking each field as soon as it is
    /// available. Consumes the header and returns it once complete; returns `nil` (consuming
    /// nothing) when more bytes are needed.
    private mutating func parseHeader() throws(WebSocketFramingError) -> Header? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let first = buffer[readIndex]
        let second = buffer[readIndex + 1]
        let fin = first & 0x80 != 0
        let opcode = WebSocketOpcode(rawValue: first)
        let masked = second & 0x80 != 0
        let shortLength = second & 0x7F

        if opcode.isReserved {
            throw .protocolError(.reservedOpcode, "opcode \(opcode) is reserved")
        }
        let unexpectedBits = first & 0x70 & ~allowedReservedBits.rawValue
        if unexpectedBits != 0 {
            throw .protocolError(
                .reservedBitSet,
                "RSV bits 0x\(String(unexpectedBits, radix: 16)) set but no negotiated extension defines them"
            )
        }
        if opcode.isControl {
            if !fin {
                throw .protocolError(.fragmentedControlFrame, "\(opcode) frame without FIN")
            }
            if shortLength > 125 {
                throw .protocolError(.controlFrameTooLong, "\(opcode) frame with a payload over 125 bytes")
            }
        } else if opcode == .continuation {
            if !isInFragmentedMessage {
                throw .protocolError(
                    .unexpectedContinuation, "continuation frame with no fragmented message in progress")
            }
        } else if isInFragmentedMessage {
            throw .protocolError(.expectedContinuation, "\(opcode) frame inside a fragmented message")
        }
        switch role {
        case .server where !masked:
            throw .protocolError(.unmaskedFrame, "unmasked frame received by a server")
        case .client where masked:
            throw .protocolError(.maskedFrame, "masked frame received by a client")
        case .server, .client:
            break
        }

        var headerLength = 2
        let length: Int
        switch shortLength {
        case 126:
            headerLength = 4
            guard available >= headerLength else { return nil }
            let value = UInt16(buffer[readIndex + 2]) << 8 | UInt16(buffer[readIndex + 3])
            if value < 126 {
                throw .protocolError(.nonMinimalPayloadLength, "length \(value) sent in 16 bits")
            }
            length = Int(value)
        case 127:
            headerLength = 10
            guard available >= headerLength else { return nil }
            var value: UInt64 = 0
            for offset in 2..<10 {
                value = value << 8 | UInt64(buffer[readIndex + offset])
            }
            if value & (1 << 63) != 0 {
                throw .protocolError(.invalidPayloadLength, "64-bit length with the most significant bit set")
            }
            if value <= 0xFFFF {
                throw .protocolError(.nonMinimalPayloadLength, "length \(value) sent in 64 bits")
            }
            if value > UInt64(maxFrameSize) {
                throw .tooBig(.frameTooLarge, "frame of \(value) bytes exceeds the \(maxFrameSize)-byte limit")
            }
            length = Int(value)
        default:
            length = Int(shortLength)
        }
        if length > maxFrameSize {
            throw .tooBig(.frameTooLarge, "frame of \(length) bytes exceeds the \(maxFrameSize)-byte limit")
        }

        var maskingKey: WebSocketMaskingKey?
        if masked {
            guard available >= headerLength + 4 else { return nil }
            let base = readIndex + headerLength
            maskingKey = WebSocketMaskingKey(buffer[base], buffer[base + 1], buffer[base + 2], buffer[base + 3])
            headerLength += 4
        }
        readIndex += headerLength
        return Header(
            fin: fin,
            rsv1: first & 0x40 != 0,
            rsv2: first & 0x20 != 0,
            rsv3: first & 0x10 != 0,
            opcode: opcode,
            maskingKey: maskingKey,
            length: length
        )
    }
}
