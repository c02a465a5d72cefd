// Fuzz target: a deflater and an inflater with the same settings, as the two ends of one
// connection: every message the deflater compresses inflates back to itself, message after
// message, with and without context takeover, at every level and `minimumSizeToCompress`
// (including the empty message after a compressed one, RFC 7692 §7.2.3.6).
//
// Input: two flags bytes, then messages, each one byte of header and its bytes:
// - flags byte 0: bit 0 no context takeover; bits 1-3 the window bits, 8 + n; bits 4-7 the
//   level (n % 10);
// - flags byte 1: the minimum size to compress (0…255);
// - message header: bits 0-6 the message's length (cut short by the end of the input); bit 7
//   repeats those bytes 512 times (a compressible message of up to 64 KiB).
// Checks: no crash; deflate never fails; each compressed message inflates to the original.

import CTraderFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeflateRoundTrip(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count >= 2 else { return 0 }
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    let direction = PerMessageDeflateConfiguration.Direction(
        noContextTakeover: input[0] & 1 != 0,
        maxWindowBits: 8 + Int(input[0] >> 1 & 7)
    )
    let deflater: PerMessageDeflateDeflater
    let inflater: PerMessageDeflateInflater
    do {
        deflater = try PerMessageDeflateDeflater(
            direction, level: Int(input[0] >> 4) % 10, minimumSizeToCompress: Int(input[1])
        )
        inflater = try PerMessageDeflateInflater(direction)
    } catch {
        preconditionFailure("the deflater or inflater could not be made: \(error)")
    }
    var output: [UInt8] = []
    var offset = 2
    while offset < input.count {
        let header = input[offset]
        offset += 1
        let end = min(offset + Int(header & 0x7F), input.count)
        var message = Array(input[offset..<end])
        if header & 0x80 != 0 { message = Array(repeating: message, count: 512).flatMap { $0 } }
        offset = end
        let compressed: [UInt8]?
        do {
            compressed = try deflater.deflate(message[...])
        } catch {
            preconditionFailure("deflate failed on a \(message.count)-byte message: \(error)")
        }
        // Sent uncompressed (RSV1 clear): the receiver's inflater never sees it.
        guard let compressed else { continue }
        output.removeAll(keepingCapacity: true)
        do {
            try inflater.inflate(compressed[...], isFinalFragment: true, into: &output, limit: 1 << 20)
        } catch {
            preconditionFailure("a message the deflater wrote does not inflate: \(error)")
        }
        precondition(output == message, "a \(message.count)-byte message inflated to \(output.count) other bytes")
    }
    return 0
}
