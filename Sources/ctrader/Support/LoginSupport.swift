import ArgumentParser
import CTraderAuth
import CTraderMessaging
import CTraderSession
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging

/// The options `login`, `logout` and `whoami` share: the application, the token file, the
/// endpoint whose account list they read.
struct ApplicationOptions: ParsableArguments {
    @Option(help: "The application's client id (default: $CTRADER_CLIENT_ID).")
    var clientId: String?

    @Option(help: "The application's client secret (default: $CTRADER_CLIENT_SECRET).")
    var clientSecret: String?

    @Option(
        help: ArgumentHelp(
            "The token file (default: $CTRADER_TOKEN_FILE): JSON, mode 0600, replaced atomically.",
            valueName: "path"))
    var tokenFile: String?

    @Option(
        help: ArgumentHelp(
            "Where the token's accounts are listed: demo, live or a ws:// or wss:// URL (the list is the same on both).",
            valueName: "demo|live|URL"))
    var endpoint: String = "demo"

    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for https:// and wss://.")
    var caFile: String?

    @Option(help: ArgumentHelp("How long each network exchange may take.", valueName: "seconds"))
    var timeout: Double = 30

    @Flag(help: "Machine-readable output: one JSON document.")
    var json = false

    @Flag(
        name: [.customShort("v"), .customLong("verbose")],
        help: "Log to standard error at trace level (no token, code or secret is logged).")
    var verbose = false

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds, not \(timeout)")
        }
    }

    var timeoutDuration: Duration { .milliseconds(Int64(timeout * 1000)) }

    var logger: Logger {
        var logger = Logger(label: "ctrader")
        logger.logLevel = verbose ? .trace : .critical
        return logger
    }

    var resolvedClientId: String? {
        (clientId ?? ProcessInfo.processInfo.environment["CTRADER_CLIENT_ID"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    func credentials() throws -> CTraderCredentials {
        let env = ProcessInfo.processInfo.environment
        guard let clientId = resolvedClientId else {
            throw CLIError.usage("missing the client id: --client-id or CTRADER_CLIENT_ID")
        }
        guard let secret = clientSecret ?? env["CTRADER_CLIENT_SECRET"], !secret.isEmpty else {
            throw CLIError.usage("missing the client secret: --client-secret or CTRADER_CLIENT_SECRET")
        }
        return CTraderCredentials(clientId: clientId, clientSecret: secret)
    }

    /// The token file's path: `--token-file`, else `$CTRADER_TOKEN_FILE`.
    func tokenFilePath() throws -> String {
        guard let path = tokenFile ?? ProcessInfo.processInfo.environment["CTRADER_TOKEN_FILE"], !path.isEmpty else {
            throw CLIError.usage("missing the token file: --token-file or CTRADER_TOKEN_FILE")
        }
        return path
    }

    func tls() throws -> TLSConfiguration {
        guard let caFile else { return .client(handshakeTimeout: timeoutDuration) }
        guard FileManager.default.isReadableFile(atPath: caFile) else {
            throw CLIError.usage("cannot read the CA file \(caFile)")
        }
        return .client(trustedCAFile: caFile, handshakeTimeout: timeoutDuration)
    }

    /// What the token reaches: its scope and its accounts, from `ProtoOAGetAccountListByAccessTokenReq`
    /// on ``endpoint`` (cTrader answers the same list, demo and live accounts alike, on both).
    func accountList(
        accessToken: String, credentials: CTraderCredentials
    ) async throws
        -> ProtoOAGetAccountListByAccessTokenRes
    {
        let target: CTraderEndpoint
        switch endpoint.lowercased() {
        case "demo": target = .demo
        case "live": target = .live
        default:
            guard case .webSocket(let url) = try EndpointURL(parsing: endpoint, wire: .json) else {
                throw CLIError.usage("--endpoint must be demo, live or a ws:// or wss:// URL")
            }
            target = .url(url)
        }
        var webSocket = WebSocketConfiguration.cTraderClient
        webSocket.handshakeTimeout = timeoutDuration
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: target, credentials: credentials, tls: try tls(), webSocket: webSocket,
                requestTimeout: timeoutDuration, reconnect: CTraderReconnectPolicy(maximumAttempts: 0)),
            logger: logger)
        do {
            try await client.connect()
            var request = ProtoOAGetAccountListByAccessTokenReq()
            request.accessToken = accessToken
            let answer = try await client.send(request, expecting: ProtoOAGetAccountListByAccessTokenRes.self)
            await client.shutdown()
            return answer
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// Printing the accounts a token reaches.
enum TokenAccounts {
    /// `trading` for `SCOPE_TRADE`, `accounts` for `SCOPE_VIEW`.
    static func scopeName(_ scope: ProtoOAClientPermissionScope) -> String {
        scope == .scopeTrade ? "trading" : "accounts"
    }

    /// The accounts as JSON objects.
    static func objects(_ accounts: [ProtoOACtidTraderAccount]) -> [[String: Any]] {
        accounts.map {
            [
                "ctidTraderAccountId": $0.ctidTraderAccountID, "traderLogin": $0.traderLogin, "isLive": $0.isLive,
                "broker": $0.brokerTitleShort,
            ]
        }
    }

    /// One line per account: `1000001  login 5000001  demo  Simulator`.
    static func lines(_ accounts: [ProtoOACtidTraderAccount]) -> [String] {
        if accounts.isEmpty { return ["  (no account)"] }
        return accounts.map {
            "  \($0.ctidTraderAccountID)  login \($0.traderLogin)  \($0.isLive ? "live" : "demo")  \($0.brokerTitleShort)"
        }
    }
}

/// Opens `url` in the desktop's browser, when there is one: `open` on macOS, `xdg-open` on Linux
/// with a display. Returns whether a browser was asked to open it.
func openInBrowser(_ url: String) -> Bool {
    let env = ProcessInfo.processInfo.environment
    #if os(macOS)
    let opener = "/usr/bin/open"
    #else
    guard env["DISPLAY"] != nil || env["WAYLAND_DISPLAY"] != nil else { return false }
    let path = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/xdg-open" }
    guard let opener = path.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return false }
    #endif
    let process = Process()
    process.executableURL = URL(fileURLWithPath: opener)
    process.arguments = [url]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    return (try? process.run()) != nil
}
