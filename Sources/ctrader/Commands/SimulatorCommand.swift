import ArgumentParser
import CTraderSimulator
import Foundation
import Logging

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
    @Option(help: "The OAuth authorization server's port (ctrader login --auth-url/--token-url); 0 picks a free one.")
    var authPort: Int = 0
    @Flag(help: "Print the details as one JSON object.") var json = false
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Log connections to standard error.") var verbose =
        false

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if !(0...65_535).contains(authPort) { throw ValidationError("--auth-port must be 0…65535") }
    }

    func run() async throws {
        var logger = Logger(label: "ctrader.simulator")
        logger.logLevel = verbose ? .debug : .critical
        let identity = SimulatorIdentity.demo(clientId: clientId, clientSecret: clientSecret, accessToken: accessToken)
        var configuration = Simulator.Configuration(
            host: host,
            webSocketPort: port,
            protobufPort: protobufPort,
            tls: tlsCert.map { Simulator.Configuration.TLS(certificateChainFile: $0, privateKeyFile: tlsKey ?? "") },
            engine: .init(seed: seed, identity: identity)
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
