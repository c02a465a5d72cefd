// Fuzz target: the permessage-deflate inflater alone (PerMessageDeflateInflater), over a
// sequence of fragments and messages, as the assembler drives it.
//
// Input: one flags byte, then fragments, each one byte of header and its bytes:
// - flags bit 0: no context takeover; bits 1-3: the window bits, 8 + n; bits 4-5: the chunk
//   size (16 B, 1 KiB, 16 KiB, 1 B); bit 6: a small limit (1 KiB instead of 1 MiB);
// - fragment header: bit 7 ends the message (isFinalFragment); bits 0-6 the fragment's length
//   (cut short by the end of the input).
// After a failure the connection would close, so the inflater is not used again.
// Checks: no crash; the output never passes the limit.

import CTraderFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInflater(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    let flags = input[0]
    let direction = PerMessageDeflateConfiguration.Direction(
        noContextTakeover: flags & 1 != 0,
        maxWindowBits: 8 + Int(flags >> 1 & 7)
    )
    let limit = flags & 0x40 != 0 ? 1024 : 1 << 20
    let inflater: PerMessageDeflateInflater
    do {
        inflater = try PerMessageDeflateInflater(direction, chunkSize: [16, 1024, 16 << 10, 1][Int(flags >> 4 & 3)])
    } catch {
        preconditionFailure("the inflater could not be made: \(error)")
    }
    var output: [UInt8] = []
    var offset = 1
    while offset < input.count {
        let header = input[offset]
        offset += 1
        let end = min(offset + Int(header & 0x7F), input.count)
        let isFinal = header & 0x80 != 0
        do {
            try inflater.inflate(input[offset..<end], isFinalFragment: isFinal, into: &output, limit: limit)
        } catch {
            return 0
        }
        precondition(output.count <= limit, "the inflater wrote past its limit")
        offset = end
        if isFinal { output.removeAll(keepingCapacity: true) }
    }
    return 0
}
