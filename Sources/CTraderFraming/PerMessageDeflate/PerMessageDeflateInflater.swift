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
    /// Where zlib writes a small message, reused for every call: at most ``scratchLimit`` bytes
    /// (fewer when ``chunkSize`` is smaller) allocated once, so inflating costs one copy of the
    /// output and no per-call allocation. A message that fills it goes on into `output` directly.
    /// Kept small because every connection holds one for its whole life: a larger buffer is
    /// allocated but never touched by small messages, and such idle heap becomes resident as
    /// connections come and go (the soak's memory trend). A raw buffer rather than an array:
    /// an array stored in a class costs an exclusivity check and a uniqueness check on every call,
    /// which on small messages (spot events) was a third of the time spent outside zlib.
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    /// A final fragment of at most ``mergedInputLimit`` bytes is copied here with the
    /// `00 00 ff ff` tail after it, so that zlib inflates both in one call instead of two (the
    /// second call, over four bytes, cost as much as inflating a small message's own data).
    private let mergedInput: UnsafeMutableBufferPointer<UInt8>
    /// The largest final fragment merged with its tail: copying more costs more than a call saves.
    private static let mergedInputLimit = 1024
    /// The size of the scratch buffer that small messages are inflated into: one page.
    private static let scratchLimit = 4096

    /// Creates an inflater.
    /// - Parameters:
    ///   - configuration: the agreed inbound settings (``PerMessageDeflateConfiguration/inbound``).
    ///     A window of 8 bits is inflated with 9: a larger window reads anything a smaller one wrote.
    ///   - chunkSize: the most bytes inflated per zlib call, so the most work done past the limit;
    ///     16 KiB by default.
    /// - Throws: ``WebSocketFramingError/Code/compressionFailure`` when zlib cannot be set up.
    public init(
        _ configuration: PerMessageDeflateConfiguration.Direction, chunkSize: Int = 16 * 1024
    ) throws(WebSocketFramingError) {
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
            throw WebSocketFramingError(
                code: .compressionFailure, closeCode: .internalServerError, detail: "inflateInit2 failed with \(status)"
            )
        }
        // Allocated last, once nothing can throw: deinit frees them.
        self.scratch = .allocate(capacity: min(self.chunkSize, Self.scratchLimit))
        self.mergedInput = .allocate(capacity: Self.mergedInputLimit + Self.tail.count)
        self.stream = stream
    }

    deinit {
        // Safe because init succeeded, so the stream is initialized and owned by this object.
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
        mergedInput.deallocate()
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
        if isFinalFragment && fragment.count <= Self.mergedInputLimit {
            // Safe because `mergedInput` holds mergedInputLimit + 4 bytes, and exactly
            // fragment.count + 4 bytes are written and then read.
            let count = fragment.withUnsafeBufferPointer { bytes in
                _ = UnsafeMutableBufferPointer(rebasing: mergedInput[..<bytes.count]).initialize(from: bytes)
                _ = UnsafeMutableBufferPointer(rebasing: mergedInput[bytes.count...]).initialize(from: Self.tail)
                return bytes.count + Self.tail.count
            }
            try inflateInput(UnsafeBufferPointer(rebasing: mergedInput[..<count]), into: &output, limit: limit)
        } else {
            try fragment.withUnsafeBufferPointer { bytes throws(WebSocketFramingError) in
                try inflateInput(bytes, into: &output, limit: limit)
            }
            if isFinalFragment {
                try Self.tail.withUnsafeBufferPointer { bytes throws(WebSocketFramingError) in
                    try inflateInput(bytes, into: &output, limit: limit)
                }
            }
        }
        if isFinalFragment {
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
            throw WebSocketFramingError(
                code: .compressionFailure, closeCode: .internalServerError, detail: "inflateReset failed")
        }
    }

    private func inflateInput(
        _ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], limit: Int
    ) throws(WebSocketFramingError) {
        guard !messageStreamEnded else { return }
        var consumed = 0
        // For small input the first call writes into the scratch buffer, and its output is copied:
        // a small message fits, and `output` is not grown by more than it needs. Once a call fills
        // the scratch buffer, or from the start for input larger than `mergedInputLimit`, the
        // message is large: the next calls write into `output`'s spare capacity, which
        // saves copying the rest.
        var intoOutput = input.count > Self.mergedInputLimit
        while true {
            // Offer one byte more than the limit allows, so that passing it is detected without
            // ever holding more than limit + 1 bytes.
            let room = max(0, limit - output.count)
            // Into `output`, the room offered grows with the message (as the array's capacity
            // does) and starts at four times the compressed bytes left: few calls, so zlib copies
            // little into its window after each.
            let offered = min(
                intoOutput ? max(chunkSize, output.count, (input.count - consumed) * 4) : scratch.count, room + 1)
            var produced = 0
            let status: Int32
            if intoOutput {
                status = inflateAppending(
                    input: input, consumed: &consumed, offered: offered, produced: &produced, to: &output)
            } else {
                // Safe because `offered <= scratch.count`, the scratch buffer's size, and zlib writes
                // only within the `offered` bytes it is given; the bytes read back are those it wrote.
                status = runInflate(
                    input: input, consumed: &consumed,
                    output: UnsafeMutableBufferPointer(rebasing: scratch[..<offered]), produced: &produced
                )
                output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<produced]))
                intoOutput = produced == offered
            }
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
                throw WebSocketFramingError.invalidData(
                    .invalidCompressedData, "invalid DEFLATE data (zlib status \(status))")
            default:
                throw WebSocketFramingError(
                    code: .compressionFailure, closeCode: .internalServerError, detail: "inflate failed with \(status)")
            }
        }
    }

    /// One `inflate(Z_SYNC_FLUSH)` call over the unread input, appending what it produces (at
    /// most `offered` bytes) to `output` in place.
    private func inflateAppending(
        input: UnsafeBufferPointer<UInt8>,
        consumed: inout Int,
        offered: Int,
        produced: inout Int,
        to output: inout [UInt8]
    ) -> Int32 {
        var status: Int32 = Z_OK
        if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
            // Safe because zlib writes only within the `offered` uninitialized bytes it is given,
            // and exactly the `produced` bytes it wrote are marked initialized.
            output.append(addingCapacity: offered) { span in
                span.withUnsafeMutableBufferPointer { buffer, initialized in
                    status = runInflate(
                        input: input, consumed: &consumed,
                        output: UnsafeMutableBufferPointer(rebasing: buffer[..<offered]), produced: &produced
                    )
                    initialized = produced
                }
            }
        } else {
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: offered))
            // Safe because zlib writes only within the `offered` bytes just appended.
            status = output.withUnsafeMutableBufferPointer { buffer in
                runInflate(
                    input: input, consumed: &consumed,
                    output: UnsafeMutableBufferPointer(rebasing: buffer[start...]), produced: &produced
                )
            }
            output.removeLast(offered - produced)
        }
        return status
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
