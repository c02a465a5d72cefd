// swift-ctrader benchmarks: permessage-deflate compress and inflate on realistic JSON, against
// raw zlib on the same bytes at the same level (6), window (15 bits) and memLevel (8).
//
// Two workloads:
// - "symbols": one ProtoOASymbolsListRes of 1000 symbols, no context takeover (each message
//   compressed on its own, as a server configured with server_no_context_takeover would);
// - "spots": a stream of 1000 spot events (≈130 B each) with context takeover, the default
//   and the case that matters for a market-data stream. One operation is the whole stream.

import Benchmark
import BenchmarkInputs
import BenchmarkSupport
import CTraderFraming
import ZlibBaseline

let benchmarks: @Sendable () -> Void = {
    let symbols = Samples.symbolsListJSON(count: 1000)
    let spots = Samples.spotEventStream(count: 1000)
    let noTakeover = PerMessageDeflateConfiguration.Direction(noContextTakeover: true, maxWindowBits: 15)
    let takeover = PerMessageDeflateConfiguration.Direction(noContextTakeover: false, maxWindowBits: 15)

    // Compressed inputs for the inflate benchmarks, made once by our deflater.
    let symbolsCompressed = try! PerMessageDeflateDeflater(noTakeover).deflate(symbols[...])!
    let spotsCompressed: [[UInt8]] = {
        let deflater = try! PerMessageDeflateDeflater(takeover, minimumSizeToCompress: 0)
        return spots.map { try! deflater.deflate($0[...])! }
    }()
    let spotsMaximum = spots.map(\.count).max()!

    // MARK: symbols

    Benchmark("Deflate.symbols", configuration: .ctrader()) { benchmark in
        let deflater = try PerMessageDeflateDeflater(noTakeover)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try deflater.deflate(symbols[...])!.count)
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Zlib.Deflate.symbols", configuration: .ctrader()) { benchmark in
        let deflater = RawDeflater(noContextTakeover: true, maximumInput: symbols.count)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(deflater.deflate(symbols))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Inflate.symbols", configuration: .ctrader()) { benchmark in
        let inflater = try PerMessageDeflateInflater(noTakeover)
        var output: [UInt8] = []
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            output.removeAll(keepingCapacity: true)
            try inflater.inflate(symbolsCompressed[...], isFinalFragment: true, into: &output, limit: 16 << 20)
            blackHole(output.count)
        }
        benchmark.stopMeasurement()
        precondition(output == symbols)
    }

    Benchmark("Zlib.Inflate.symbols", configuration: .ctrader()) { benchmark in
        let inflater = RawInflater(noContextTakeover: true, maximumOutput: symbols.count)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(inflater.inflate(symbolsCompressed))
        }
        benchmark.stopMeasurement()
    }

    // MARK: spots

    Benchmark("Deflate.spots", configuration: .ctrader()) { benchmark in
        let deflater = try PerMessageDeflateDeflater(takeover, minimumSizeToCompress: 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for spot in spots {
                blackHole(try deflater.deflate(spot[...])!.count)
            }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Zlib.Deflate.spots", configuration: .ctrader()) { benchmark in
        let deflater = RawDeflater(noContextTakeover: false, maximumInput: spotsMaximum)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for spot in spots {
                blackHole(deflater.deflate(spot))
            }
        }
        benchmark.stopMeasurement()
    }

    // The stream was compressed with context takeover, so each pass starts a fresh inflater.
    Benchmark("Inflate.spots", configuration: .ctrader()) { benchmark in
        var output: [UInt8] = []
        output.reserveCapacity(spotsMaximum)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let inflater = try PerMessageDeflateInflater(takeover)
            for compressed in spotsCompressed {
                output.removeAll(keepingCapacity: true)
                try inflater.inflate(compressed[...], isFinalFragment: true, into: &output, limit: 16 << 20)
                blackHole(output.count)
            }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Zlib.Inflate.spots", configuration: .ctrader()) { benchmark in
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let inflater = RawInflater(noContextTakeover: false, maximumOutput: spotsMaximum)
            for compressed in spotsCompressed {
                blackHole(inflater.inflate(compressed))
            }
        }
        benchmark.stopMeasurement()
    }
}
