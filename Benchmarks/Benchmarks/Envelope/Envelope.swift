// swift-ctrader benchmarks: JSON envelope decode and encode (envelope included), against
// Foundation's JSONDecoder / JSONEncoder into equivalent Codable structs and JSONSerialization,
// on the same bytes.
//
// Samples: a spot event (the hot path), a spot event with a live trendbar, an execution event
// (order, position and deal) and a ProtoOASymbolsListRes of 1000 symbols.

import Benchmark
import BenchmarkInputs
import BenchmarkSupport
import CTraderMessaging
import Foundation

let benchmarks: @Sendable () -> Void = {
    let samples: [(name: String, bytes: [UInt8], scaling: BenchmarkScalingFactor)] = [
        ("spot", Samples.spotEventJSON, .kilo),
        ("spotTrendbar", Samples.spotEventWithTrendbarJSON, .kilo),
        ("execution", Samples.executionEventJSON, .kilo),
        ("symbols1000", Samples.symbolsListJSON(count: 1000), .one),
    ]
    let codec = JSONEnvelopeCodec()

    for (name, bytes, scaling) in samples {
        let data = Data(bytes)
        let envelope = try! codec.decode(bytes)

        Benchmark("Decode.\(name)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try codec.decode(bytes))
            }
        }

        Benchmark("Encode.\(name)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try codec.encode(envelope))
            }
        }

        Benchmark("Foundation.JSONSerialization.Decode.\(name)", configuration: .ctrader(scalingFactor: scaling)) {
            benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try JSONSerialization.jsonObject(with: data))
            }
        }

        let object = try! JSONSerialization.jsonObject(with: data)
        Benchmark("Foundation.JSONSerialization.Encode.\(name)", configuration: .ctrader(scalingFactor: scaling)) {
            benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try JSONSerialization.data(withJSONObject: object))
            }
        }

        switch name {
        case "spot", "spotTrendbar":
            registerCodable(SpotEnvelope.self, name: name, data: data, scaling: scaling)
        case "execution":
            registerCodable(ExecutionEnvelope.self, name: name, data: data, scaling: scaling)
        default:
            registerCodable(SymbolsListEnvelope.self, name: name, data: data, scaling: scaling)
        }
    }
}

func registerCodable<T: Codable>(_ type: T.Type, name: String, data: Data, scaling: BenchmarkScalingFactor) {
    Benchmark("Foundation.JSONDecoder.\(name)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
        let decoder = JSONDecoder()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode(T.self, from: data))
        }
    }

    let value = try! JSONDecoder().decode(T.self, from: data)
    Benchmark("Foundation.JSONEncoder.\(name)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
        let encoder = JSONEncoder()
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(value))
        }
    }
}
