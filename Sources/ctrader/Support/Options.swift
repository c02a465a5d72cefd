import ArgumentParser
import Foundation

/// The wire format option.
enum WireOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case json
    case protobuf
}

/// The options every networked command shares.
struct ConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "live, demo or a URL (ws://127.0.0.1:5036, wss://…). Default: an embedded simulator started in-process.",
            valueName: "live|demo|URL"
        )
    )
    var endpoint: String?

    @Option(help: "The application's client id (default: $CTRADER_CLIENT_ID).")
    var clientId: String?

    @Option(help: "The application's client secret (default: $CTRADER_CLIENT_SECRET).")
    var clientSecret: String?

    @Option(help: "The access token (default: $CTRADER_ACCESS_TOKEN).")
    var accessToken: String?

    @Option(help: "The trading account (ctidTraderAccountId); default: the token's first account.")
    var account: Int64?

    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for wss:// and TLS.")
    var caFile: String?

    @Option(help: "The wire format: json (WebSocket, port 5036) or protobuf (TLS, port 5035).")
    var wire: WireOption = .json

    @Option(
        help: ArgumentHelp(
            "How long to wait for the WebSocket and TLS handshakes and for each answer.",
            valueName: "seconds"
        )
    )
    var timeout: Double = 20

    @Flag(help: "Machine-readable output: one JSON document, or one JSON object per line for streams.")
    var json = false

    @Flag(
        name: [.customShort("v"), .customLong("verbose")],
        help: "Log the session to standard error (secrets redacted)."
    )
    var verbose = false

    /// ``timeout`` as a duration.
    var timeoutDuration: Duration { .milliseconds(Int64(timeout * 1000)) }

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds, not \(timeout)")
        }
        if let endpoint, !["live", "demo"].contains(endpoint.lowercased()), !endpoint.contains("://") {
            throw ValidationError("--endpoint must be live, demo or a ws:// or wss:// URL, not '\(endpoint)'")
        }
    }
}
