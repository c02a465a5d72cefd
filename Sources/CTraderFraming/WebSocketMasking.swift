/// The XOR masking of RFC 6455 §5.3, a machine word at a time.
///
/// Masking and unmasking are the same operation: octet `i` of the payload is XORed with octet
/// `i % 4` of the key. ``mask(_:key:startingAt:)`` takes the key phase as an offset, so a payload
/// can be (un)masked in pieces.
public enum WebSocketMasking {
    /// XORs `buffer` in place with `key`, as if `buffer` began at octet `offset` of the payload.
    ///
    /// Sixty-four octets are XORed at a time as four 16-octet vectors, then eight at a time with
    /// unaligned 64-bit loads and stores; only the last `buffer.count % 8` octets are done one by
    /// one.
    ///
    /// - Parameters:
    ///   - buffer: the bytes to (un)mask, in place. Do not let the pointer escape.
    ///   - key: the frame's masking key.
    ///   - offset: the position of `buffer`'s first octet within the frame's payload; only
    ///     `offset % 4` matters. `0` by default.
    public static func mask(
        _ buffer: UnsafeMutableRawBufferPointer, key: WebSocketMaskingKey, startingAt offset: Int = 0
    ) {
        // Safe because every position is loaded before it is stored, once (see the copying mask).
        maskLoop(UnsafeRawBufferPointer(buffer), into: buffer, key: key, startingAt: offset)
    }

    /// Writes `source` XORed with `key` into `destination`, as if `source` began at octet `offset`
    /// of the payload: a copy and a mask in one pass over the bytes (the encoder's, which would
    /// otherwise copy the payload and then mask it in place).
    ///
    /// - Parameters:
    ///   - source: the bytes to (un)mask.
    ///   - destination: where the result goes, at least `source.count` bytes; it may be `source`
    ///     itself, but must not otherwise overlap it.
    ///   - key: the frame's masking key.
    ///   - offset: as for ``mask(_:key:startingAt:)``.
    public static func mask(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        key: WebSocketMaskingKey,
        startingAt offset: Int = 0
    ) {
        precondition(destination.count >= source.count, "the destination is smaller than the source")
        maskLoop(source, into: destination, key: key, startingAt: offset)
    }

    /// The loop of both masks, inlined into each (called through the copying one, the in-place
    /// mask ran 11% more instructions).
    @inline(__always)
    private static func maskLoop(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        key: WebSocketMaskingKey,
        startingAt offset: Int
    ) {
        let count = source.count
        guard count > 0 else { return }
        let phase = offset & 3
        // The key rotated so that its octet for the payload octet at `phase` comes first.
        let rotated =
            phase == 0 ? key.rawValue : key.rawValue << (8 * UInt32(phase)) | key.rawValue >> (32 - 8 * UInt32(phase))
        // Eight key octets in memory order: storing the big-endian value writes the wire order.
        let word: UInt64 = {
            var value: UInt64 = 0
            withUnsafeMutableBytes(of: &value) { bytes in
                bytes.storeBytes(of: rotated.bigEndian, toByteOffset: 0, as: UInt32.self)
                bytes.storeBytes(of: rotated.bigEndian, toByteOffset: 4, as: UInt32.self)
            }
            return value
        }()
        var index = 0
        // 64 octets per iteration as four 16-octet vectors, which compile to SSE2 / NEON XORs
        // (a UInt64 loop is not vectorized and runs at a fraction of memory bandwidth).
        // Safe because `index + 64 <= count`: every load lies inside `source`, every store inside
        // `destination`; both are unaligned-tolerant. Sixteen is a multiple of four, so the key phase is the same at
        // every vector.
        let vector = SIMD2<UInt64>(repeating: word)
        while count - index >= 64 {
            let v0 = source.loadUnaligned(fromByteOffset: index, as: SIMD2<UInt64>.self)
            let v1 = source.loadUnaligned(fromByteOffset: index &+ 16, as: SIMD2<UInt64>.self)
            let v2 = source.loadUnaligned(fromByteOffset: index &+ 32, as: SIMD2<UInt64>.self)
            let v3 = source.loadUnaligned(fromByteOffset: index &+ 48, as: SIMD2<UInt64>.self)
            destination.storeBytes(of: v0 ^ vector, toByteOffset: index, as: SIMD2<UInt64>.self)
            destination.storeBytes(of: v1 ^ vector, toByteOffset: index &+ 16, as: SIMD2<UInt64>.self)
            destination.storeBytes(of: v2 ^ vector, toByteOffset: index &+ 32, as: SIMD2<UInt64>.self)
            destination.storeBytes(of: v3 ^ vector, toByteOffset: index &+ 48, as: SIMD2<UInt64>.self)
            index &+= 64  // safe because index + 64 <= count <= Int.max
        }
        // Then eight octets at a time. Eight is a multiple of four, so the key phase is the same
        // at every word.
        while count - index >= 8 {
            let value = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            destination.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
            index &+= 8  // safe because index + 8 <= count <= Int.max
        }
        // The tail, under eight octets: byte `index` takes key octet (phase + index) % 4.
        while index < count {
            let keyOctet = UInt8(truncatingIfNeeded: rotated >> (24 - 8 * UInt32(index & 3)))
            destination[index] = source[index] ^ keyOctet
            index &+= 1  // safe because index < count
        }
    }

    /// XORs `bytes[range]` in place with `key`, as if `range` began at octet `offset` of the payload.
    ///
    /// - Parameters:
    ///   - bytes: the array to (un)mask part of.
    ///   - range: the positions to (un)mask; it must lie within `bytes`' indices.
    ///   - key: the frame's masking key.
    ///   - offset: the position of `range.lowerBound` within the frame's payload. `0` by default.
    public static func mask(
        _ bytes: inout [UInt8], range: Range<Int>, key: WebSocketMaskingKey, startingAt offset: Int = 0
    ) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range out of bounds")
        bytes.withUnsafeMutableBytes { raw in
            // Safe because the precondition keeps `range` inside the array's storage.
            mask(UnsafeMutableRawBufferPointer(rebasing: raw[range]), key: key, startingAt: offset)
        }
    }
}
