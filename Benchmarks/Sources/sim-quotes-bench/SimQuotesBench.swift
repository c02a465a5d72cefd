// swift-ctrader benchmarks: simulator quotes through CTraderClient's spot stream.
//
//   sim-quotes-bench SECONDS [TICK_MS]
//
// Starts a `Simulator` in-process with a flood setting (`tickInterval` TICK_MS milliseconds,
// default 1), connects a `CTraderClient` to its WebSocket URL (JSON), authorizes the simulator's
// demo account 1000001, subscribes spots for every symbol (with server timestamps), consumes
// `client.spots()` for SECONDS and prints one JSON line:
//   symbols tick_ms seconds spots spots_per_s reconnects delay_ms_mean delay_ms_p99
// delay = the wall clock at receipt minus the spot's server timestamp (milliseconds since the
// epoch, so 1 ms resolution; client and server share the clock, being one process).

import CTraderSession
import CTraderSimulator
import Foundation
import Logging

@main
struct SimQuotesBench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard (1...2).contains(arguments.count), let seconds = Double(arguments[0]), seconds > 0,
            let tickMilliseconds = arguments.count == 2 ? Int(arguments[1]) : 1, tickMilliseconds >= 1
        else {
            FileHandle.standardError.write(Data("usage: sim-quotes-bench SECONDS [TICK_MS]\n".utf8))
            exit(2)
        }
        do {
            try await run(seconds: seconds, tickMilliseconds: tickMilliseconds)
        } catch {
            FileHandle.standardError.write(Data("sim-quotes-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(seconds: Double, tickMilliseconds: Int) async throws {
        // Log lines (the simulator's slow-client warnings, say) go to stderr: stdout is the JSON line.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "sim-quotes-bench")
        logger.logLevel = .warning
        let simulator = try await Simulator.start(
            Simulator.Configuration(protobufPort: nil, tickInterval: .milliseconds(tickMilliseconds)), logger: logger)
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId,
                    clientSecret: SimulatorIdentity.demoClientSecret
                )
            ),
            logger: logger
        )
        try await client.connect()
        let account = SimulatorIdentity.demoHedgedAccountId
        try await client.authorize(account: account, accessToken: SimulatorIdentity.demoAccessToken)
        let symbols = try await client.symbols(account: account).symbol.map(\.symbolID)
        let spots = client.spots()
        try await client.subscribeSpots(account: account, symbols: symbols, withTimestamps: true)

        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .nanoseconds(Int64(seconds * 1e9))
        var received = 0
        var reconnects = 0
        var delays: [Double] = []
        delays.reserveCapacity(1 << 20)
        var iterator = spots.makeAsyncIterator()
        // The stream has no deadline of its own: a task ends it by shutting the client down.
        let stopper = Task {
            try? await Task.sleep(until: deadline, clock: clock)
            await client.shutdown()
        }
        while clock.now < deadline, let element = try? await iterator.next() {
            switch element {
            case .message(let spot):
                received += 1
                if spot.hasTimestamp {
                    delays.append(Date().timeIntervalSince1970 * 1000 - Double(spot.timestamp))
                }
            case .reconnected:
                reconnects += 1
            }
        }
        let elapsed = clock.now - start
        stopper.cancel()
        await client.shutdown()
        await simulator.stop()

        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = delays.sorted()
        let mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        print(
            #"{"impl":"swift-ctrader","symbols":\#(symbols.count),"tick_ms":\#(tickMilliseconds),"seconds":\#(format(elapsedSeconds)),"spots":\#(received),"spots_per_s":\#(format(Double(received) / elapsedSeconds)),"reconnects":\#(reconnects),"delay_ms_mean":\#(format(mean)),"delay_ms_p99":\#(format(p99))}"#
        )
    }

    static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
