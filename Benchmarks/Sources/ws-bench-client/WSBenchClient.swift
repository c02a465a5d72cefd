// swift-ctrader benchmarks: the end-to-end echo client.
//
//   ws-bench-client URL KIND DEFLATE SECONDS WINDOW [--payloads DIR] [--ca-file CA.pem]
//   ws-bench-client --write-payloads DIR
//
// KIND `small` sends 200-byte JSON text messages (256 different ones, in turn), `large` one
// 1 MiB JSON text; DEFLATE `on` offers permessage-deflate, `off` offers nothing; WINDOW is the
// number of messages in flight (1 = strict ping-pong). It echoes against any echo server for
// SECONDS, checks every echo's size, then prints one JSON line:
//   impl kind deflate size round_trips seconds msgs_per_s MB_per_s rtt_us_p50 rtt_us_p99
// (MB_per_s counts the payload bytes of the round trips, one way, in 10^6 bytes per second).
// `--payloads DIR` reads DIR/small.bin (256 × 200 B, concatenated) and DIR/large.bin (1 MiB)
// instead of generating them; `--write-payloads DIR` writes those two files and exits.
// A `wss://` URL is verified in full against the system roots plus `--ca-file CA.pem` if given.

import BenchmarkInputs
import CTraderFraming
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging

@main
struct WSBenchClient {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        do {
            if let index = arguments.firstIndex(of: "--write-payloads"), index + 1 < arguments.count {
                try writePayloads(to: arguments[index + 1])
                return
            }
            var payloadDirectory: String?
            if let index = arguments.firstIndex(of: "--payloads"), index + 1 < arguments.count {
                payloadDirectory = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            }
            var caFile: String?
            if let index = arguments.firstIndex(of: "--ca-file"), index + 1 < arguments.count {
                caFile = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            }
            guard arguments.count == 5, ["small", "large"].contains(arguments[1]),
                ["on", "off"].contains(arguments[2]),
                let seconds = Double(arguments[3]), seconds > 0, let window = Int(arguments[4]), window >= 1
            else {
                FileHandle.standardError.write(
                    Data(
                        "usage: ws-bench-client URL small|large on|off SECONDS WINDOW [--payloads DIR] [--ca-file CA.pem]\n"
                            .utf8))
                exit(2)
            }
            let messages = try loadMessages(kind: arguments[1], directory: payloadDirectory)
            // The echo loop runs on the transport's I/O thread (`TransportExecutor`), as a
            // latency-minded application would run its quote handler.
            let result = try await withTaskExecutorPreference(TransportExecutor.preferred) {
                try await run(
                    url: arguments[0], messages: messages, deflate: arguments[2] == "on", seconds: seconds,
                    window: window,
                    caFile: caFile)
            }
            let line =
                #"{"impl":"swift-ctrader","kind":"\#(arguments[1])","deflate":"\#(arguments[2])","size":\#(messages[0].count),"round_trips":\#(result.roundTrips),"seconds":\#(format(result.seconds)),"msgs_per_s":\#(format(Double(result.roundTrips) / result.seconds)),"MB_per_s":\#(format(Double(result.roundTrips * messages[0].count) / result.seconds / 1e6)),"rtt_us_p50":\#(format(percentile(result.rtts, 0.50))),"rtt_us_p99":\#(format(percentile(result.rtts, 0.99)))}"#
            print(line)
        } catch {
            FileHandle.standardError.write(Data("ws-bench-client: \(error)\n".utf8))
            exit(1)
        }
    }

    struct Result {
        var roundTrips: Int
        var seconds: Double
        var rtts: [Double]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(
        url: String, messages: [[UInt8]], deflate: Bool, seconds: Double, window: Int, caFile: String?
    ) async throws -> Result {
        var configuration = WebSocketConfiguration(maxFrameSize: 32 << 20, maxMessageSize: 32 << 20)
        configuration.perMessageDeflateOffer =
            deflate ? .perMessageDeflate(PerMessageDeflateClientConfiguration()) : .none
        var logger = Logger(label: "ws-bench-client")
        logger.logLevel = .warning
        let connection = try await WebSocketConnection.connect(
            to: url, configuration: configuration, tls: .client(trustedCAFile: caFile), logger: logger)
        if deflate && connection.negotiatedExtensions == nil {
            throw Failure(description: "the server did not accept permessage-deflate")
        }
        var incoming = connection.messages.makeAsyncIterator()
        let clock = ContinuousClock()
        var sendTimes = [ContinuousClock.Instant](repeating: clock.now, count: window)
        var rtts: [Double] = []
        rtts.reserveCapacity(1 << 16)
        var sent = 0
        var received = 0
        let start = clock.now
        let deadline = start + .nanoseconds(Int64(seconds * 1e9))

        func sendNext() async throws {
            let message = messages[sent % messages.count]
            sendTimes[sent % window] = clock.now
            try await connection.send(message, opcode: .text)
            sent += 1
        }

        for _ in 0..<window { try await sendNext() }
        while received < sent {
            guard let echo = await incoming.next() else {
                throw Failure(description: "the connection closed after \(received) echoes")
            }
            let now = clock.now
            let expected = messages[received % messages.count]
            guard echo.data.count == expected.count else {
                throw Failure(description: "echo \(received) has \(echo.data.count) bytes, expected \(expected.count)")
            }
            let rtt = now - sendTimes[received % window]
            rtts.append(Double(rtt.components.seconds) * 1e6 + Double(rtt.components.attoseconds) / 1e12)
            received += 1
            if now < deadline { try await sendNext() }
        }
        let elapsed = clock.now - start
        await connection.close()
        return Result(
            roundTrips: received,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            rtts: rtts
        )
    }

    static func loadMessages(kind: String, directory: String?) throws -> [[UInt8]] {
        guard let directory else {
            return kind == "small" ? EchoPayloads.small() : [EchoPayloads.large()]
        }
        if kind == "large" {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/large.bin"))
            return [Array(data)]
        }
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/small.bin")))
        guard data.count == EchoPayloads.smallSize * EchoPayloads.smallCount else {
            throw Failure(
                description:
                    "small.bin must hold \(EchoPayloads.smallCount) messages of \(EchoPayloads.smallSize) bytes")
        }
        return stride(from: 0, to: data.count, by: EchoPayloads.smallSize).map {
            Array(data[$0..<($0 + EchoPayloads.smallSize)])
        }
    }

    static func writePayloads(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(EchoPayloads.small().joined()).write(to: URL(fileURLWithPath: directory + "/small.bin"))
        try Data(EchoPayloads.large()).write(to: URL(fileURLWithPath: directory + "/large.bin"))
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }

    static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
