// swift-ctrader benchmarks: frame decode and encode, ours against SwiftNIO's NIOWebSocket.
//
// Every input is one whole text message, either in one frame ("x1") or split into 16 frames
// ("x16"), for payloads of 16 B to 1 MiB. "client" decodes what a server sends (unmasked) and
// encodes what a client sends (masked); "server" is the reverse. The NIO baselines decode and
// encode exactly the same bytes (see NIOBaselines.swift).

import Benchmark
import BenchmarkInputs
import BenchmarkSupport
import CTraderFraming

let benchmarks: @Sendable () -> Void = {
    let key = WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)
    for (sizeName, size) in Samples.frameSizes {
        let payload = Samples.textPayload(count: size)
        let scaling = Benchmark.Configuration.scaling(forBytes: size)
        for role in [WebSocketRole.client, .server] {
            let roleName = role == .client ? "client" : "server"
            // What this role receives: the peer's encoding (the peer masks iff this is a server).
            let peer = WebSocketFrameEncoder(role: role == .client ? .server : .client)
            for fragments in [1, 16] {
                var wire: [UInt8] = []
                try! peer.encodeMessage(
                    payload[...], opcode: .text, fragmentCount: fragments, maskingKey: key, into: &wire)
                let suffix = "\(roleName).\(sizeName).x\(fragments)"

                Benchmark("Decode.\(suffix)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
                    var decoder = WebSocketFrameDecoder(role: role)
                    // One message first, so the steady state is measured (the buffer has grown).
                    decoder.append(wire)
                    while let frame = try decoder.nextFrame() { blackHole(frame.payload.count) }
                    benchmark.startMeasurement()
                    for _ in benchmark.scaledIterations {
                        decoder.append(wire)
                        while let frame = try decoder.nextFrame() {
                            blackHole(frame.payload.count)
                        }
                    }
                    benchmark.stopMeasurement()
                }

                Benchmark("Encode.\(suffix)", configuration: .ctrader(scalingFactor: scaling)) { benchmark in
                    let encoder = WebSocketFrameEncoder(role: role)
                    var output: [UInt8] = []
                    try encoder.encodeMessage(
                        payload[...], opcode: .text, fragmentCount: fragments, maskingKey: key, into: &output)
                    benchmark.startMeasurement()
                    for _ in benchmark.scaledIterations {
                        output.removeAll(keepingCapacity: true)
                        try encoder.encodeMessage(
                            payload[...], opcode: .text, fragmentCount: fragments, maskingKey: key, into: &output
                        )
                        blackHole(output.count)
                    }
                    benchmark.stopMeasurement()
                }

                registerNIOBaselines(
                    suffix: suffix, wire: wire, payload: payload, fragments: fragments,
                    isServer: role == .server, key: (0x37, 0xFA, 0x21, 0x3D), scaling: scaling
                )
            }
        }
    }
    registerNIOPipelineOverhead()
}
