// swift-ctrader benchmarks: the payloads of the end-to-end echo workload, shared with the
// Python peers through `small.bin` and `large.bin` (see compare-peers.sh).

/// The end-to-end echo workload's messages.
public enum EchoPayloads {
    /// The size of a small message: 200 bytes.
    public static let smallSize = 200
    /// The number of small messages, sent in turn: 256.
    public static let smallCount = 256
    /// The size of the large message: 1 MiB.
    public static let largeSize = 1 << 20

    /// 256 spot-event-like JSON texts of exactly 200 bytes each.
    public static func small() -> [[UInt8]] {
        Samples.spotEventStream(count: smallCount).enumerated().map { index, event in
            // Move the closing brace after a padding field so the text stays one JSON object.
            var text = Array(event.dropLast())
            text += Array(#","seq":\#(index),"pad":""#.utf8)
            let padding = smallSize - text.count - 2
            precondition(padding >= 0, "a spot event is longer than \(smallSize) bytes")
            text += (0..<padding).map { UInt8(ascii: "a") &+ UInt8($0 % 26) }
            text += Array(#""}"#.utf8)
            precondition(text.count == smallSize)
            return text
        }
    }

    /// One ProtoOASymbolsListRes-like JSON text of exactly 1 MiB.
    public static func large() -> [UInt8] {
        var count = 6000
        var text = Samples.symbolsListJSON(count: count)
        while text.count > largeSize {
            count -= 50
            text = Samples.symbolsListJSON(count: count)
        }
        // Whitespace before the last brace keeps it valid JSON.
        let last = text.removeLast()
        text += [UInt8](repeating: UInt8(ascii: " "), count: largeSize - text.count - 1)
        text.append(last)
        precondition(text.count == largeSize)
        return text
    }
}
