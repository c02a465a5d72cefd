import ArgumentParser
import CTraderSession
import CTraderSimulator
import Foundation
import Logging

/// `ctrader replay TAPE`: the simulator, with the market of a tape.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Serve a recorded market: the simulator, with a tape's spots, depth and live trendbars.",
        discussion: """
            Authentication, accounts, symbols, history and trading work as in `ctrader simulator`; \
            subscribers receive the tape's spot events (with their live trendbars) and depth events in \
            recorded order and spacing, divided by --speed. Playing starts when the first client \
            subscribes, and stops at the tape's end. Record a tape with --record on any command, e.g. \
            ctrader quotes EURUSD --count 100 --record eurusd.jsonl, then ctrader replay eurusd.jsonl --speed 10.
            """
    )

    @Argument(help: "The tape (JSON Lines, from --record).") var tape: String
    @Option(help: "How many times faster than recorded to play.") var speed: Double = 1
    @Option(help: "The WebSocket (JSON) port; 0 picks a free one.") var port: Int = 5036
    @Option(help: "The protobuf port; 0 picks a free one; default none.") var protobufPort: Int?
    @Option(help: "The address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "The seed of everything the tape does not hold (history, fills).") var seed: UInt64 = 1
    @Flag(help: "Print the details as one JSON object.") var json = false
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Log connections to standard error.") var verbose =
        false

    func validate() throws {
        guard speed > 0, speed.isFinite, speed <= 1_000_000 else {
            throw ValidationError("--speed must be more than 0 and at most 1000000, not \(speed)")
        }
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535") }
    }

    func run() async throws {
        let recorded: CTraderTape
        do {
            recorded = try CTraderTape(contentsOf: URL(fileURLWithPath: tape))
        } catch {
            throw CLIError.usage("cannot read the tape \(tape): \(error)")
        }
        let feed = SimulatorTapeFeed(tape: recorded, speed: speed)
        guard !feed.events.isEmpty else {
            throw CLIError.runtime("the tape \(tape) holds no spot or depth event to serve")
        }
        var logger = Logger(label: "ctrader.simulator")
        logger.logLevel = verbose ? .debug : .critical
        var configuration = Simulator.Configuration(
            host: host, webSocketPort: port, protobufPort: protobufPort, engine: .init(seed: seed))
        configuration.tape = feed
        let simulator: Simulator
        do {
            simulator = try await Simulator.start(configuration, logger: logger)
        } catch {
            throw CLIError.runtime("cannot start the simulator: \(error)")
        }
        let seconds = Double(feed.duration.components.seconds) + Double(feed.duration.components.attoseconds) / 1e18
        await serve(
            simulator, json: json, clientId: SimulatorIdentity.demoClientId,
            clientSecret: SimulatorIdentity.demoClientSecret, accessToken: SimulatorIdentity.demoAccessToken,
            details: ["events": feed.events.count, "seconds": seconds, "speed": speed],
            lines: [
                "tape: \(feed.events.count) market events over \(String(format: "%.1f", seconds)) s at speed \(speed)"
            ],
            hint: "Plays when a client subscribes; Ctrl-C stops.")
    }
}
