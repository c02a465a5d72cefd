// swift-ctrader benchmarks: SwiftNIO's NIOWebSocket codecs on the same inputs.
//
// NIO's WebSocketFrameDecoder and WebSocketFrameEncoder are channel handlers: they run only in
// a pipeline, here an EmbeddedChannel, the cheapest one NIO offers (and how NIO tests them).
// "NIO.PipelineOverhead" measures that channel passing one buffer through with no handler, so
// the cost of the codec alone can be told apart from the cost of the pipeline.
//
// A decoded masked frame is read with `unmaskedData`, which is how a server gets the payload
// (NIO's decoder does not unmask).

import Benchmark
import BenchmarkInputs
import BenchmarkSupport
import NIOCore
import NIOEmbedded
import NIOWebSocket

func registerNIOBaselines(
    suffix: String,
    wire: [UInt8],
    payload: [UInt8],
    fragments: Int,
    isServer: Bool,
    key: (UInt8, UInt8, UInt8, UInt8),
    scaling: BenchmarkScalingFactor
) {
    let maskingKey = WebSocketMaskingKey([key.0, key.1, key.2, key.3])!
    let maxFrameSize = 2 << 20

    Benchmark("NIO.Decode.\(suffix)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize))
        )
        let input = ByteBuffer(bytes: wire)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try channel.writeInbound(input)
            while let frame = try channel.readInbound(as: WebSocketFrame.self) {
                if isServer {
                    blackHole(frame.unmaskedData.readableBytes)
                } else {
                    blackHole(frame.data.readableBytes)
                }
            }
        }
        benchmark.stopMeasurement()
        _ = try channel.finish()
    }

    Benchmark("NIO.Encode.\(suffix)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        let data = ByteBuffer(bytes: payload)
        // The same cut as ours: near-equal pieces, the first ones one byte longer.
        var pieces: [ByteBuffer] = []
        let base = payload.count / fragments
        let extra = payload.count % fragments
        var start = 0
        for index in 0..<fragments {
            let length = base + (index < extra ? 1 : 0)
            pieces.append(data.getSlice(at: start, length: length)!)
            start += length
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for (index, piece) in pieces.enumerated() {
                let frame = WebSocketFrame(
                    fin: index == fragments - 1,
                    opcode: index == 0 ? .text : .continuation,
                    maskKey: isServer ? nil : maskingKey,
                    data: piece
                )
                try channel.writeOutbound(frame)
            }
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                blackHole(buffer.readableBytes)
            }
        }
        benchmark.stopMeasurement()
        _ = try channel.finish()
    }
}

func registerNIOPipelineOverhead() {
    Benchmark("NIO.PipelineOverhead", configuration: .ctrader(scalingFactor: .kilo)) { benchmark in
        let channel = EmbeddedChannel()
        let input = ByteBuffer(bytes: Samples.textPayload(count: 200))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try channel.writeInbound(input)
            while let buffer = try channel.readInbound(as: ByteBuffer.self) {
                blackHole(buffer.readableBytes)
            }
        }
        benchmark.stopMeasurement()
        _ = try channel.finish()
    }
}
