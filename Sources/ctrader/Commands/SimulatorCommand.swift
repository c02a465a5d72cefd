import ArgumentParser
import CTraderSimulator
import Foundation
import Logging

#if canImport(Glibc)
import CSystemShims
#endif

/// `ctrader simulator`: a standalone simulator.
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Run the cTrader Open API simulator until SIGINT or SIGTERM.",
        discussion: """
            Prints its URL, the credentials it accepts and the accounts of the token. \
            Example: ctrader simulator --port 5036, then ctrader accounts --endpoint ws://127.0.0.1:5036 \
            --client-id simulator-client-id --client-secret simulator-client-secret --access-token simulator-access-token
            """
    )

    @Option(help: "The WebSocket (JSON) port; 0 picks a free one.") var port: Int = 5036
    @Option(help: "The protobuf port; 0 picks a free one; default none.") var protobufPort: Int?
    @Option(help: "The address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "A PEM certificate chain: serve wss:// (and protobuf over TLS).") var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "The market's random seed.") var seed: UInt64 = 1
    @Option(help: "The client id it accepts.") var clientId: String = SimulatorIdentity.demoClientId
    @Option(help: "The client secret it accepts.") var clientSecret: String = SimulatorIdentity.demoClientSecret
    @Option(help: "The access token it accepts.") var accessToken: String = SimulatorIdentity.demoAccessToken
    @Option(
        help: """
            The most malloc arenas (glibc only; 0 keeps glibc's default of 8 per core). One arena \
            keeps the memory of connections that come and go from spreading over per-thread heaps.
            """
    ) var mallocArenas: Int = 1
    @Option(help: "The OAuth authorization server's port (ctrader login --auth-url/--token-url); 0 picks a free one.")
    var authPort: Int = 0
    @Flag(help: "Print the details as one JSON object.") var json = false
    @Flag(
        help: ArgumentHelp(
            "Enforce the symbols' published hours and holidays on the wall clock: outside them, new orders get "
                + "MARKET_CLOSED and no quotes flow (default: every symbol always trades).")) var marketHours = false
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Log connections to standard error.") var verbose =
        false

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if mallocArenas < 0 { throw ValidationError("--malloc-arenas must be 0 or more") }
        if !(0...65_535).contains(authPort) { throw ValidationError("--auth-port must be 0…65535") }
    }

    func run() async throws {
        limitMallocArenas(mallocArenas)
        var logger = Logger(label: "ctrader.simulator")
        logger.logLevel = verbose ? .debug : .critical
        let identity = SimulatorIdentity.demo(clientId: clientId, clientSecret: clientSecret, accessToken: accessToken)
        var configuration = Simulator.Configuration(
            host: host,
            webSocketPort: port,
            protobufPort: protobufPort,
            tls: tlsCert.map { Simulator.Configuration.TLS(certificateChainFile: $0, privateKeyFile: tlsKey ?? "") },
            engine: .init(seed: seed, identity: identity, marketHours: marketHours ? .enforced : .alwaysOpen)
        )
        configuration.authorization = .init(host: host, port: authPort, tls: configuration.tls)
        let simulator: Simulator
        do {
            simulator = try await Simulator.start(configuration, logger: logger)
        } catch {
            throw CLIError.runtime("cannot start the simulator: \(error)")
        }
        let auth = simulator.authorizationServer
        let accounts = identity.accounts.filter {
            identity.tokens.first?.accountIds.contains($0.ctidTraderAccountId) ?? false
        }
        await serve(
            simulator, json: json, clientId: clientId, clientSecret: clientSecret, accessToken: accessToken,
            details: [
                "accounts": accounts.map {
                    ["ctidTraderAccountId": $0.ctidTraderAccountId, "netted": $0.isNetted] as [String: Any]
                },
                "authorizationURL": auth?.authorizationURL ?? "", "tokenURL": auth?.tokenURL ?? "",
            ],
            lines: accounts.map {
                "account: \($0.ctidTraderAccountId) (\($0.isNetted ? "netted" : "hedged"), \($0.brokerName))"
            } + [
                "authorization URL: \(auth?.authorizationURL ?? "-")", "token URL: \(auth?.tokenURL ?? "-")",
                "log in: ctrader login --client-id \(clientId) --client-secret \(clientSecret) --token-file FILE "
                    + "--auth-url \(auth?.authorizationURL ?? "-") --token-url \(auth?.tokenURL ?? "-") "
                    + "--endpoint \(simulator.url)",
            ],
            hint: "Serving; Ctrl-C stops.")
    }
}

/// Prints where `simulator` listens and the credentials it accepts (as one JSON object with
/// `details`, or as lines followed by `lines` and the dimmed `hint`), then serves until Ctrl-C.
func serve(
    _ simulator: Simulator, json: Bool, clientId: String, clientSecret: String, accessToken: String,
    details: [String: Any], lines: [String], hint: String
) async {
    let terminal = Terminal.current
    if json {
        var object: [String: Any] = [
            "url": simulator.url, "clientId": clientId, "clientSecret": clientSecret, "accessToken": accessToken,
        ]
        object.merge(details) { _, detail in detail }
        if let protobufPort = simulator.protobufPort { object["protobufPort"] = protobufPort }
        terminal.line(Output.encode(object))
    } else {
        terminal.line("url: \(simulator.url)")
        if let protobufPort = simulator.protobufPort { terminal.line("protobuf port: \(protobufPort)") }
        terminal.line("client id: \(clientId)")
        terminal.line("client secret: \(clientSecret)")
        terminal.line("access token: \(accessToken)")
        for line in lines { terminal.line(line) }
        terminal.line(terminal.paint(hint, .dim))
    }
    let stop = SignalHandler { Task { await simulator.stop() } }
    await simulator.waitUntilStopped()
    stop.cancel()
}

/// Caps glibc's malloc arenas before any connection allocates.
///
/// glibc gives each thread that contends for the heap an arena of its own (up to 8 per core) and
/// returns a freed block to the arena it came from. Swift's tasks move between the cooperative
/// pool's threads, so a connection's buffers are allocated in one arena and freed from another, and
/// each arena grows to its own high-water mark as connections come and go: the soak
/// (`scripts/soak.sh`, Benchmarks/README.md) measured resident memory rising 7–8% over ten minutes
/// of churn with the bytes in use flat, and +1.5% with one arena. A no-op elsewhere and for 0.
private func limitMallocArenas(_ count: Int) {
    #if canImport(Glibc)
    if count > 0 { _ = CSystemShims_limitMallocArenas(Int32(clamping: count)) }
    #endif
}
