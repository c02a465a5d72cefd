import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketMaskingTests {
    /// The reference: one byte at a time, key octet `(offset + i) % 4`.
    private func naiveMask(_ bytes: [UInt8], key: WebSocketMaskingKey, offset: Int) -> [UInt8] {
        let keyBytes = key.bytes
        return bytes.enumerated().map { $0.element ^ keyBytes[($0.offset + offset) % 4] }
    }

    @Test(arguments: 0...3)
    func wordWiseMatchesByteLoopForEveryLength(offset: Int) {
        var generator = SeededGenerator(seed: 0x5EED + UInt64(offset))
        let key = WebSocketMaskingKey(rawValue: 0x37FA_213D)
        for length in 0...70 {
            let original = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Mask a range starting at an odd position, so the word loads are unaligned.
            var buffer = [0xAA] + original + [0x55]
            WebSocketMasking.mask(&buffer, range: 1..<(1 + length), key: key, startingAt: offset)
            #expect(
                Array(buffer[1..<(1 + length)]) == naiveMask(original, key: key, offset: offset), "length \(length)")
            #expect(buffer.first == 0xAA && buffer.last == 0x55, "bytes outside the range were touched")
        }
    }

    @Test(arguments: 0...3)
    func copyingMaskMatchesByteLoopAndLeavesTheSource(offset: Int) {
        var generator = SeededGenerator(seed: 0xC0FFEE + UInt64(offset))
        let key = WebSocketMaskingKey(rawValue: 0x9A0B_C1D2)
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 130, 1000] {
            let original = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let source = [0xAA] + original  // odd start: unaligned loads
            var destination = [UInt8](repeating: 0x11, count: length + 2)
            source.withUnsafeBytes { source in
                destination.withUnsafeMutableBytes { destination in
                    WebSocketMasking.mask(
                        UnsafeRawBufferPointer(rebasing: source[1...]),
                        into: UnsafeMutableRawBufferPointer(rebasing: destination[1..<(1 + length)]),
                        key: key, startingAt: offset)
                }
            }
            #expect(
                Array(destination[1..<(1 + length)]) == naiveMask(original, key: key, offset: offset),
                "length \(length)")
            #expect(destination.first == 0x11 && destination.last == 0x11, "bytes outside the destination were touched")
            #expect(Array(source.dropFirst()) == original, "the source changed")
        }
    }

    @Test func maskingTwiceRestoresAndPiecesMatchWhole() {
        let key = WebSocketMaskingKey(0x01, 0x02, 0x03, 0x04)
        let original = pattern(61)
        var whole = original
        WebSocketMasking.mask(&whole, range: 0..<61, key: key)
        var pieces = original
        WebSocketMasking.mask(&pieces, range: 0..<13, key: key, startingAt: 0)
        WebSocketMasking.mask(&pieces, range: 13..<30, key: key, startingAt: 13)
        WebSocketMasking.mask(&pieces, range: 30..<61, key: key, startingAt: 30)
        #expect(pieces == whole)
        #expect(whole != original)
        WebSocketMasking.mask(&whole, range: 0..<61, key: key)
        #expect(whole == original)
    }

    @Test func rfcExampleKey() {
        var bytes = Array("Hello".utf8)
        WebSocketMasking.mask(&bytes, range: 0..<5, key: WebSocketMaskingKey(rawValue: 0x37FA_213D))
        #expect(bytes == hex("7f 9f 4d 51 58"))
    }

    /// Random keys come from batches of 256: across several batches (and from concurrent callers)
    /// no two consecutive keys repeat, and the keys are spread (a stuck or zeroed batch shows).
    @Test func randomKeysKeepChangingAcrossBatches() async {
        let keys = await withTaskGroup(of: [UInt32].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<1000).map { _ in WebSocketMaskingKey.random().rawValue } }
            }
            var all: [UInt32] = []
            for await part in group { all += part }
            return all
        }
        #expect(keys.count == 4000)
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 != $1 })
        // 4000 draws of 32 bits: a repeat is about 0.2% likely; hundreds mean a broken pool.
        #expect(Set(keys).count >= 3990)
        #expect(keys.contains { $0 >> 24 != 0 } && keys.contains { $0 & 0xFF != 0 })
    }
}
