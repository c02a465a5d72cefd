import CZlib

/// Inflates incoming compressed messages for permessage-deflate (RFC 7692 §7.2.2) with zlib,
/// frame by frame, within a size limit.
///
/// After a message's final fragment it inflates the `00 00 ff ff` the sender removed. The limit
/// is enforced while inflating: output is produced in chunks of at most ``chunkSize`` bytes and
/// inflation stops as soon as the output would pass the limit, so a small "zip bomb" costs at
/// most the limit plus one byte of memory and the work to produce it. With
/// ``PerMessageDeflateConfiguration/Direction/noContextTakeover`` the stream is reset after each
/// message. A message whose DEFLATE data ends with a final block (BFINAL set) ends the zlib
/// stream; anything after it in the message is ignored, and the stream is reset for the next
/// message (its window is lost, which only a peer that sets BFINAL and then relies on the window
/// would notice).
///
/// After it throws, the stream is in an unknown state: the connection is failing (with the
/// error's close code), and the inflater must not be used again.
///
/// A class because it owns a `z_stream`, which zlib points back into and so must not move; the
/// stream is released in `deinit`. Not thread-safe: one per connection direction.
public final class PerMessageDeflateInflater: WebSocketMessageInflater {
    /// The settings it inflates for.
    public let configuration: PerMessageDeflateConfiguration.Direction
    /// The most bytes zlib writes per call.
    public let chunkSize: Int

    private let stream: UnsafeMutablePointer<z_stream>
    /// Set when the current message's DEFLATE stream ended (BFINAL): its remaining bytes are ignored.
    private var messageStreamEnded = false
    /// Where zlib writes, reused for every call: ``chunkSize`` bytes allocated once, so inflating
    /// costs one copy of the output and no per-call allocation. A raw buffer rather than an array:
    /// an array stored in a class costs an exclusivity check and a uniqueness check on every call,
    /// which on small messages (spot events) was a third of the time spent outside zlib.
    private let scratch: UnsafeMutableBufferPointer<UInt8>

    /// Creates an inflater.
    /// - Parameters:
    ///   - configuration: the agreed inbound settings (``PerMessageDeflateConfiguration/inbound``).
    ///     A window of 8 bits is inflated with 9: a larger window reads anything a smaller one wrote.
    ///   - chunkSize: the most bytes inflated per zlib call, so the most work done past the limit;
    ///     16 KiB by default.
    /// - Throws: ``WebSocketFramingError/Code/compressionFailure`` when zlib cannot be set up.
    public init(_ configuration: PerMessageDeflateConfiguration.Direction, chunkSize: Int = 16 * 1024) throws(WebSocketFramingError) {
        self.configuration = configuration
        self.chunkSize = max(1, chunkSize)
        // Set up the stream before `self.stream` is assigned: a class whose properties are all
        // initialized runs deinit even when init throws, which must not free it twice.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        // zlib requires zalloc, zfree and opaque to be set (zero means its defaults).
        stream.initialize(to: z_stream())
        let windowBits = min(max(configuration.maxWindowBits, 9), 15)
        // Safe because `stream` is allocated, initialized and lives until deinit; negative
        // windowBits selects raw DEFLATE.
        let status = CZlib_inflateInit2(stream, -Int32(windowBits))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw WebSocketFramingError(code: .compressionFailure, closeCode: .internalServerError, detail: "inflateInit2 failed with \(status)")
        }
        // Allocated last, once nothing can throw: deinit frees it.
        self.scratch = .allocate(capacity: self.chunkSize)
        self.stream = stream
    }

    deinit {
        // Safe because init succeeded, so the stream is initialized and owned by this object.
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// The bytes RFC 7692 §7.2.2 appends to a message before inflating its end.
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// Inflates one frame's payload and appends the result to `output`.
    /// - Throws: ``WebSocketFramingError/Code/inflatedMessageTooLarge`` (close 1009) as soon as
    ///   `output` would pass `limit`; ``WebSocketFramingError/Code/invalidCompressedData``
    ///   (close 1007) for data zlib rejects; ``WebSocketFramingError/Code/compressionFailure``
    ///   (close 1011) for other zlib failures.
    public func inflate(
        _ fragment: ArraySlice<UInt8>,
        isFinalFragment: Bool,
        into output: inout [UInt8],
        limit: Int
    ) throws(WebSocketFramingError) {
        try inflateInput(fragment, into: &output, limit: limit)
        if isFinalFragment {
            try inflateInput(Self.tail[...], into: &output, limit: limit)
            let ended = messageStreamEnded
            messageStreamEnded = false
            if configuration.noContextTakeover && !ended {
                try reset()
            }
        }
    }

    private func reset() throws(WebSocketFramingError) {
        // Safe: the stream is initialized; reset keeps its settings and drops the window.
        guard inflateReset(stream) == Z_OK else {
            throw WebSocketFramingError(code: .compressionFailure, closeCode: .internalServerError, detail: "inflateReset failed")
        }
    }

    private func inflateInput(_ input: ArraySlice<UInt8>, into output: inout [UInt8], limit: Int) throws(WebSocketFramingError) {
        guard !messageStreamEnded else { return }
        var consumed = 0
        while true {
            // Offer one byte more than the limit allows, so that passing it is detected without
            // ever holding more than limit + 1 bytes.
            let room = max(0, limit - output.count)
            let offered = min(chunkSize, room + 1)
            var produced = 0
            // Safe because `offered <= chunkSize`, the scratch buffer's size, and zlib writes only
            // within the `offered` bytes it is given; the bytes read back are those it wrote.
            let status = input.withUnsafeBufferPointer { inputBuffer in
                runInflate(
                    input: inputBuffer, consumed: &consumed,
                    output: UnsafeMutableBufferPointer(rebasing: scratch[..<offered]), produced: &produced
                )
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<produced]))
            if output.count > limit {
                throw WebSocketFramingError.tooBig(
                    .inflatedMessageTooLarge,
                    "inflated message exceeds the \(limit)-byte limit"
                )
            }
            switch status {
            case Z_OK:
                // Done with this input once it is all read and zlib had output space to spare.
                if consumed == input.count && produced < offered { return }
            case Z_STREAM_END:
                // A final DEFLATE block: the message is complete; the rest of it is ignored.
                messageStreamEnded = true
                try reset()
                return
            case Z_BUF_ERROR:
                // No progress possible: input exhausted (more comes with the next frame).
                return
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw WebSocketFramingError.invalidData(.invalidCompressedData, "invalid DEFLATE data (zlib status \(status))")
            default:
                throw WebSocketFramingError(code: .compressionFailure, closeCode: .internalServerError, detail: "inflate failed with \(status)")
            }
        }
    }

    /// One `inflate(Z_SYNC_FLUSH)` call over the unread input into `output`.
    private func runInflate(
        input: UnsafeBufferPointer<UInt8>,
        consumed: inout Int,
        output: UnsafeMutableBufferPointer<UInt8>,
        produced: inout Int
    ) -> Int32 {
        // Safe because both buffers outlive this call and zlib's pointers into them are cleared
        // before returning; zlib never writes through next_in (the cast only satisfies the C type,
        // which lacks const). With no input, avail_in is 0 and zlib does not read next_in.
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0) + consumed }
        stream.pointee.avail_in = uInt(input.count - consumed)
        stream.pointee.next_out = output.baseAddress
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
        consumed = input.count - Int(stream.pointee.avail_in)
        produced = output.count - Int(stream.pointee.avail_out)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return status
    }
}
