import CTraderFraming
import Testing
import _CTraderLocking

/// A small, fast, seeded generator (SplitMix64), so random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var splitMix: SplitMix64

    init(seed: UInt64) {
        splitMix = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 { splitMix.next() }
}

/// Bytes from a string of hex pairs, spaces ignored: `hex("81 05 48")`.
func hex(_ string: String) -> [UInt8] {
    let digits = string.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0)
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// A deterministic payload of `count` bytes.
func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
}

/// Runs `body` and checks it throws a ``WebSocketFramingError`` with `code` and `closeCode`.
func expectFramingError(
    _ code: WebSocketFramingError.Code,
    closeCode: WebSocketCloseCode,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code) (close \(closeCode)), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WebSocketFramingError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.closeCode == closeCode, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a WebSocketFramingError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Decodes `input` fed in pieces of the given sizes (the rest in one piece), draining frames
/// after each piece.
func decodeFrames(
    _ input: [UInt8],
    decoder: WebSocketFrameDecoder,
    chunkSizes: [Int] = []
) throws(WebSocketFramingError) -> [WebSocketFrame] {
    var decoder = decoder
    var frames: [WebSocketFrame] = []
    var start = 0
    var sizes = chunkSizes[...]
    while start < input.count {
        let size = sizes.popFirst() ?? (input.count - start)
        let end = min(input.count, start + size)
        decoder.append(input[start..<end])
        while let frame = try decoder.nextFrame() {
            frames.append(frame)
        }
        start = end
    }
    return frames
}

/// Random chunk sizes from 1 to `maxChunk`, enough to cover `total` bytes.
func randomChunkSizes(total: Int, maxChunk: Int, generator: inout SeededGenerator) -> [Int] {
    var sizes: [Int] = []
    var covered = 0
    while covered < total {
        let size = Int.random(in: 1...maxChunk, using: &generator)
        sizes.append(size)
        covered += size
    }
    return sizes
}
