// swift-ctrader benchmarks: permessage-deflate done with zlib directly, the baseline.
//
// The same calls our deflater and inflater make (raw DEFLATE, Z_SYNC_FLUSH per message, the
// same level, window and memLevel), minus everything around them: output goes into one
// preallocated buffer, there are no limit checks and no Swift arrays per message.

import CBenchZlib

public final class RawDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var output: [UInt8]
    private let resetsEachMessage: Bool

    public init(
        level: Int32 = 6, windowBits: Int32 = 15, memoryLevel: Int32 = 8, noContextTakeover: Bool, maximumInput: Int
    ) {
        stream.initialize(to: z_stream())
        let status = CBenchZlib_deflateInit2(stream, level, Z_DEFLATED, -windowBits, memoryLevel, Z_DEFAULT_STRATEGY)
        precondition(status == Z_OK)
        resetsEachMessage = noContextTakeover
        output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(maximumInput))) + 64)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses one message; returns the compressed length without the 00 00 ff ff tail.
    public func deflate(_ message: [UInt8]) -> Int {
        let produced = message.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
                stream.pointee.avail_in = uInt(input.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let status = CBenchZlib.deflate(stream, Z_SYNC_FLUSH)
                precondition(status == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0)
                return out.count - Int(stream.pointee.avail_out)
            }
        }
        if resetsEachMessage { deflateReset(stream) }
        return produced - 4
    }
}

public final class RawInflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var output: [UInt8]
    private let resetsEachMessage: Bool
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    public init(windowBits: Int32 = 15, noContextTakeover: Bool, maximumOutput: Int) {
        stream.initialize(to: z_stream())
        let status = CBenchZlib_inflateInit2(stream, -windowBits)
        precondition(status == Z_OK)
        resetsEachMessage = noContextTakeover
        output = [UInt8](repeating: 0, count: maximumOutput + 64)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates one message (its compressed bytes, then the 00 00 ff ff tail); returns its length.
    public func inflate(_ message: [UInt8]) -> Int {
        let produced = output.withUnsafeMutableBufferPointer { out in
            stream.pointee.next_out = out.baseAddress
            stream.pointee.avail_out = uInt(out.count)
            for input in [message, Self.tail] {
                input.withUnsafeBufferPointer { input in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
                    stream.pointee.avail_in = uInt(input.count)
                    let status = CBenchZlib.inflate(stream, Z_SYNC_FLUSH)
                    precondition((status == Z_OK || status == Z_BUF_ERROR) && stream.pointee.avail_in == 0)
                }
            }
            return out.count - Int(stream.pointee.avail_out)
        }
        if resetsEachMessage { inflateReset(stream) }
        return produced
    }
}
