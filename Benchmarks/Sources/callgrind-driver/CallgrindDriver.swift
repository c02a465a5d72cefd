// swift-ctrader benchmarks: a driver for instruction counts. The VM here exposes no hardware
// counters, so package-benchmark cannot count instructions; valgrind can, deterministically:
//
//   B=$(swift build -c release --product callgrind-driver --show-bin-path)
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null $B/callgrind-driver WORKLOAD 0
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null $B/callgrind-driver WORKLOAD 20
//
// and (second "Collected" − first) / 20 / messages per pass = instructions per message. The run
// with 0 passes does only the set-up (inputs, compression), which the subtraction removes.
//
// WORKLOAD (one pass; the inputs are those of the Deflate and Envelope suites):
//   inflate-spots, zlib-inflate-spots      1000 spot events, context takeover, fresh inflater
//   inflate-symbols, zlib-inflate-symbols  one 1000-symbol list, no context takeover
//   deflate-spots, zlib-deflate-spots      1000 spot events, context takeover, one deflater
//   deflate-symbols, zlib-deflate-symbols  one 1000-symbol list, no context takeover
//   decode-spot                            1000 spot-event envelope decodes (JSONEnvelopeCodec)
//   mask-1mib                              one in-place mask of 1 MiB (WebSocketMasking)

import BenchmarkInputs
import CTraderFraming
import CTraderMessaging
import ZlibBaseline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, let passes = Int(arguments[2]) else {
    print(
        "usage: callgrind-driver inflate-spots|zlib-inflate-spots|inflate-symbols|zlib-inflate-symbols|deflate-spots|zlib-deflate-spots|deflate-symbols|zlib-deflate-symbols|decode-spot|mask-1mib PASSES"
    )
    exit(2)
}

let takeover = PerMessageDeflateConfiguration.Direction(noContextTakeover: false, maxWindowBits: 15)
let noTakeover = PerMessageDeflateConfiguration.Direction(noContextTakeover: true, maxWindowBits: 15)
let spots = Samples.spotEventStream(count: 1000)
let spotsCompressed: [[UInt8]] = {
    let deflater = try! PerMessageDeflateDeflater(takeover, minimumSizeToCompress: 0)
    return spots.map { try! deflater.deflate($0[...])! }
}()
let spotsMaximum = spots.map(\.count).max()!
let symbols = Samples.symbolsListJSON(count: 1000)
let symbolsCompressed = try! PerMessageDeflateDeflater(noTakeover).deflate(symbols[...])!

var checksum = 0
switch arguments[1] {
case "inflate-spots":
    var output: [UInt8] = []
    output.reserveCapacity(spotsMaximum)
    for _ in 0..<passes {
        let inflater = try! PerMessageDeflateInflater(takeover)
        for compressed in spotsCompressed {
            output.removeAll(keepingCapacity: true)
            try! inflater.inflate(compressed[...], isFinalFragment: true, into: &output, limit: 16 << 20)
            checksum &+= output.count
        }
    }
case "zlib-inflate-spots":
    for _ in 0..<passes {
        let inflater = RawInflater(noContextTakeover: false, maximumOutput: spotsMaximum)
        for compressed in spotsCompressed { checksum &+= inflater.inflate(compressed) }
    }
case "inflate-symbols":
    let inflater = try! PerMessageDeflateInflater(noTakeover)
    var output: [UInt8] = []
    for _ in 0..<passes {
        output.removeAll(keepingCapacity: true)
        try! inflater.inflate(symbolsCompressed[...], isFinalFragment: true, into: &output, limit: 16 << 20)
        checksum &+= output.count
    }
    precondition(passes == 0 || output == symbols)
case "zlib-inflate-symbols":
    let inflater = RawInflater(noContextTakeover: true, maximumOutput: symbols.count)
    for _ in 0..<passes { checksum &+= inflater.inflate(symbolsCompressed) }
case "decode-spot":
    let codec = JSONEnvelopeCodec()
    let spot = Samples.spotEventJSON
    for _ in 0..<passes * 1000 { checksum &+= try! codec.decode(spot[...]).payloadType.rawValue }
case "deflate-spots":
    let deflater = try! PerMessageDeflateDeflater(takeover, minimumSizeToCompress: 0)
    for _ in 0..<passes {
        for spot in spots { checksum &+= try! deflater.deflate(spot[...])!.count }
    }
case "zlib-deflate-spots":
    let deflater = RawDeflater(noContextTakeover: false, maximumInput: spotsMaximum)
    for _ in 0..<passes {
        for spot in spots { checksum &+= deflater.deflate(spot) }
    }
case "deflate-symbols":
    let deflater = try! PerMessageDeflateDeflater(noTakeover)
    for _ in 0..<passes { checksum &+= try! deflater.deflate(symbols[...])!.count }
case "zlib-deflate-symbols":
    let deflater = RawDeflater(noContextTakeover: true, maximumInput: symbols.count)
    for _ in 0..<passes { checksum &+= deflater.deflate(symbols) }
case "mask-1mib":
    var buffer = [UInt8](repeating: 0x5A, count: 1 << 20)
    let key = WebSocketMaskingKey(rawValue: 0x37FA_213D)
    for _ in 0..<passes { WebSocketMasking.mask(&buffer, range: 0..<buffer.count, key: key) }
    checksum &+= Int(buffer[12345])
default:
    print("unknown workload \(arguments[1])")
    exit(2)
}
print("checksum \(checksum)")
