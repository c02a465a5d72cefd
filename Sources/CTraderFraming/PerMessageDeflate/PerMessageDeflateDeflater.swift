import CZlib

/// Compresses outgoing messages for permessage-deflate (RFC 7692 §7.2.1) with zlib.
///
/// Each message is raw DEFLATE ended by a `Z_SYNC_FLUSH`, whose trailing `00 00 ff ff` is
/// removed. With context takeover the LZ77 window carries over from message to message; with
/// ``PerMessageDeflateConfiguration/Direction/noContextTakeover`` the stream is reset after
/// every message.
///
/// zlib cannot compress with an 8-bit window. When one is agreed (a server may impose
/// `client_max_window_bits=8` on a client that offered the parameter without a value), the
/// deflater sends stored DEFLATE blocks (level 0): they copy the message and refer to no earlier
/// data, so they respect any window. Such messages are not smaller, but the connection works
/// and stays within what was agreed.
///
/// After it throws, its stream is in an unknown state and it must not be used again.
///
/// A class because it owns a `z_stream`, which zlib points back into and so must not move; the
/// stream is released in `deinit`. Not thread-safe: one per connection direction.
public final class PerMessageDeflateDeflater: WebSocketMessageDeflater {
    /// The settings it compresses with.
    public let configuration: PerMessageDeflateConfiguration.Direction
    /// The zlib compression level used (0…9): the one asked for, or 0 under an 8-bit window.
    public let level: Int
    /// Messages shorter than this go out uncompressed (``deflate(_:)`` returns `nil`).
    public let minimumSizeToCompress: Int

    /// The z_stream, at a fixed address for its whole life (zlib keeps a pointer to it in its
    /// internal state).
    private let stream: UnsafeMutablePointer<z_stream>

    /// Creates a deflater.
    /// - Parameters:
    ///   - configuration: the agreed outbound settings
    ///     (``PerMessageDeflateConfiguration/outbound``); a window of 8 bits means stored blocks.
    ///   - level: zlib's compression level, 0 (store) … 9 (smallest); 6 by default, zlib's own
    ///     default balance of speed and size.
    ///   - memoryLevel: zlib's `memLevel`, 1…9; 8 by default (zlib's default: 128 KiB of state
    ///     with a 15-bit window).
    ///   - minimumSizeToCompress: messages shorter than this many bytes are sent uncompressed;
    ///     64 by default, below which the DEFLATE overhead usually outweighs the gain.
    /// - Throws: ``WebSocketFramingError/Code/compressionFailure`` when zlib cannot be set up
    ///   with these settings.
    public init(
        _ configuration: PerMessageDeflateConfiguration.Direction,
        level: Int = 6,
        memoryLevel: Int = 8,
        minimumSizeToCompress: Int = 64
    ) throws(WebSocketFramingError) {
        self.configuration = configuration
        // A window of 8: zlib's smallest raw window is 9, so only stored blocks keep within it.
        let storedOnly = configuration.maxWindowBits == 8
        self.level = storedOnly ? 0 : level
        self.minimumSizeToCompress = minimumSizeToCompress
        guard (8...15).contains(configuration.maxWindowBits), (0...9).contains(level), (1...9).contains(memoryLevel)
        else {
            throw Self.failure(
                "unsupported settings: window \(configuration.maxWindowBits) bits, level \(level), memLevel \(memoryLevel)"
            )
        }
        // Set up the stream before `self.stream` is assigned: a class whose properties are all
        // initialized runs deinit even when init throws, which must not free it twice.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        // zlib requires zalloc, zfree and opaque to be set (zero means its defaults).
        stream.initialize(to: z_stream())
        // Safe because `stream` is allocated, initialized, and lives until deinit; the negative
        // windowBits selects raw DEFLATE (no zlib header or trailer), as RFC 7692 requires.
        let status = CZlib_deflateInit2(
            stream, Int32(self.level), Z_DEFLATED, -Int32(max(9, configuration.maxWindowBits)), Int32(memoryLevel),
            Z_DEFAULT_STRATEGY
        )
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw Self.failure("deflateInit2 failed with \(status)")
        }
        self.stream = stream
    }

    deinit {
        // Safe because init succeeded, so the stream is initialized and owned by this object.
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private static func failure(_ detail: String) -> WebSocketFramingError {
        WebSocketFramingError(code: .compressionFailure, closeCode: .internalServerError, detail: detail)
    }

    /// Compresses one whole message.
    /// - Returns: the compressed payload with the trailing `00 00 ff ff` removed, or `nil` when
    ///   the message is shorter than ``minimumSizeToCompress`` (send it uncompressed, RSV1 clear).
    /// - Throws: ``WebSocketFramingError/Code/compressionFailure`` when zlib fails.
    public func deflate(_ message: ArraySlice<UInt8>) throws(WebSocketFramingError) -> [UInt8]? {
        guard message.count >= minimumSizeToCompress else { return nil }
        // deflateBound covers Z_FINISH; a sync flush adds at most an empty stored block
        // (5 bytes) and a partial byte, hence the margin. Output grows only if zlib exceeds it.
        let bound = Int(deflateBound(stream, uLong(message.count))) + 16
        var output = [UInt8](repeating: 0, count: bound)
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                output.append(contentsOf: repeatElement(0, count: max(64, output.count / 2)))
            }
            let status = message.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    runDeflate(input: input, consumed: &consumed, output: out, produced: &produced)
                }
            }
            // Z_BUF_ERROR only means "no progress possible", i.e. everything is flushed.
            guard status == Z_OK || status == Z_BUF_ERROR else {
                throw Self.failure("deflate failed with \(status)")
            }
            // After a sync flush, space left over in the output means zlib has written it all.
            if consumed == message.count && produced < output.count { break }
        }
        output.removeLast(output.count - produced)
        if produced == 0 && message.isEmpty {
            // An empty message right after a sync flush: zlib writes nothing (Z_BUF_ERROR), the
            // stream being byte-aligned already. RFC 7692 §7.2.3.6 sends it as the octet 0x00,
            // the start of an empty stored block that the receiver's 00 00 ff ff completes; it
            // changes no window, so the stream stays in step with the peer's.
            output = [0x00]
        } else {
            // RFC 7692 §7.2.1: remove the 00 00 ff ff that the sync flush ends with.
            guard output.count >= 4, output.suffix(4).elementsEqual([0x00, 0x00, 0xFF, 0xFF]) else {
                throw Self.failure("sync flush did not end in 00 00 ff ff")
            }
            output.removeLast(4)
        }
        if configuration.noContextTakeover {
            // Safe: the stream is initialized; reset keeps its settings and drops the window.
            guard deflateReset(stream) == Z_OK else { throw Self.failure("deflateReset failed") }
        }
        return output
    }

    /// One `deflate(Z_SYNC_FLUSH)` call over the unread input and the unused output.
    private func runDeflate(
        input: UnsafeBufferPointer<UInt8>,
        consumed: inout Int,
        output: UnsafeMutableBufferPointer<UInt8>,
        produced: inout Int
    ) -> Int32 {
        // Safe because both buffers outlive this call and zlib's pointers into them are cleared
        // before returning; zlib never writes through next_in (the cast only satisfies the C type,
        // which lacks const). An empty input gets a valid non-nil pointer from the output base.
        let inputBase = input.baseAddress.map { UnsafeMutablePointer(mutating: $0) } ?? output.baseAddress!
        stream.pointee.next_in = inputBase + consumed
        stream.pointee.avail_in = uInt(input.count - consumed)
        stream.pointee.next_out = output.baseAddress! + produced
        stream.pointee.avail_out = uInt(output.count - produced)
        let status = CZlib.deflate(stream, Z_SYNC_FLUSH)
        consumed = input.count - Int(stream.pointee.avail_in)
        produced = output.count - Int(stream.pointee.avail_out)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return status
    }
}
