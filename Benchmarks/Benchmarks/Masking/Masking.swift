// swift-ctrader benchmarks: RFC 6455 masking alone, against memcpy of the same size (the
// memory-bandwidth ceiling) and SwiftNIO's `ByteBuffer.webSocketMask`.
//
// Throughput is in operations per second; bytes per second = throughput × size (ratios.py
// prints GB/s).

import Benchmark
import BenchmarkInputs
import BenchmarkSupport
import CTraderFraming
import Foundation
import NIOCore
import NIOWebSocket

let benchmarks: @Sendable () -> Void = {
    let key = CTraderFraming.WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)
    for (sizeName, size) in Samples.frameSizes {
        let scaling = Benchmark.Configuration.scaling(forBytes: size)

        Benchmark("Mask.\(sizeName)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
            var bytes = Samples.textPayload(count: size)
            bytes.withUnsafeMutableBytes { buffer in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    WebSocketMasking.mask(buffer, key: key)
                    blackHole(buffer[0])
                }
                benchmark.stopMeasurement()
            }
        }

        Benchmark("Memcpy.\(sizeName)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
            let source = Samples.textPayload(count: size)
            var target = [UInt8](repeating: 0, count: size)
            source.withUnsafeBytes { from in
                target.withUnsafeMutableBytes { to in
                    benchmark.startMeasurement()
                    for _ in benchmark.scaledIterations {
                        memcpy(to.baseAddress!, from.baseAddress!, size)
                        blackHole(to[0])
                    }
                    benchmark.stopMeasurement()
                }
            }
        }

        Benchmark("NIO.Mask.\(sizeName)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
            var buffer = ByteBuffer(bytes: Samples.textPayload(count: size))
            let nioKey = NIOWebSocket.WebSocketMaskingKey([0x37, 0xFA, 0x21, 0x3D])!
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                buffer.webSocketMask(nioKey)
                blackHole(buffer.readableBytes)
            }
            benchmark.stopMeasurement()
        }
    }
}
