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
            """
            The profile of the configuration file to use (default: $CTRADER_PROFILE, else the file's \
            default). Flags and environment variables override its values; see ctrader profile.
            """,
            valueName: "name"
        )
    )
    var profile: String?

    @Option(
        help: ArgumentHelp(
            """
            live, demo, simulator or a URL: ws://127.0.0.1:5036 or wss://… (JSON), tcp://127.0.0.1:5035 \
            or tls://… (with --wire protobuf). Default: $CTRADER_ENDPOINT, else the profile's, else an \
            embedded simulator started in-process.
            """,
            valueName: "live|demo|simulator|URL"
        )
    )
    var endpoint: String?

    @Option(help: "The application's client id (default: $CTRADER_CLIENT_ID, else the profile's).")
    var clientId: String?

    @Option(help: "The application's client secret (default: $CTRADER_CLIENT_SECRET).")
    var clientSecret: String?

    @Option(help: "The access token (default: $CTRADER_ACCESS_TOKEN). A --token-file's pair wins over it.")
    var accessToken: String?

    @Option(
        help: """
            The refresh token, used when the access token expires or is refused \
            (default: $CTRADER_REFRESH_TOKEN). A --token-file's pair wins over it. A refresh replaces \
            both tokens: the new pair is written to the --token-file, or, without one, printed to \
            standard error.
            """
    )
    var refreshToken: String?

    @Option(
        help: ArgumentHelp(
            """
            A JSON file of token pairs (default: $CTRADER_TOKEN_FILE, else the profile's), private (mode 0600). When it holds \
            a pair, its newest pair is used instead of --access-token and --refresh-token; a refreshed \
            pair is written to it (a temporary file, fsynced, renamed) before it is used. Created by the \
            first refresh. Keep one file per cTrader user.
            """,
            valueName: "path"
        )
    )
    var tokenFile: String?

    @Option(
        help: """
            The trading account (ctidTraderAccountId); default: $CTRADER_ACCOUNT, else the profile's, \
            else the token's first account.
            """
    )
    var account: Int64?

    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for wss:// and TLS.")
    var caFile: String?

    @Option(
        help: """
            The wire format: json (WebSocket, port 5036) or protobuf (TLS, port 5035; \
            or a tcp:// or tls:// --endpoint).
            """
    )
    var wire: WireOption = .json

    @Flag(help: "Do not offer permessage-deflate compression on WebSocket connections.")
    var noDeflate = false

    @Option(
        help: ArgumentHelp(
            "How long to wait for the WebSocket and TLS handshakes and for each answer.",
            valueName: "seconds"
        )
    )
    var timeout: Double = 20

    @Option(
        help: ArgumentHelp(
            "Record every message of the session in a tape (JSON Lines; secrets redacted).", valueName: "file"))
    var record: String?

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
        if let endpoint, !["live", "demo", "simulator"].contains(endpoint.lowercased()) {
            _ = try EndpointURL(parsing: endpoint, wire: wire)
        }
    }
}

/// An `--endpoint` URL, checked against `--wire`: `ws://` and `wss://` carry JSON, `tcp://` and
/// `tls://` carry protobuf frames.
enum EndpointURL: Equatable {
    /// A `ws://` or `wss://` URL, as given.
    case webSocket(String)
    /// Protobuf frames over plain TCP.
    case tcp(host: String, port: Int)
    /// Protobuf frames over TLS.
    case tls(host: String, port: Int)

    /// Parses and checks an endpoint URL.
    ///
    /// - Throws: `ValidationError` (a usage error) for another scheme, a malformed host or port,
    ///   or a scheme that does not carry `wire`.
    init(parsing text: String, wire: WireOption) throws {
        let usage = "--endpoint must be live, demo, simulator or a ws://, wss://, tcp:// or tls:// URL, not '\(text)'"
        guard let range = text.range(of: "://") else {
            throw ValidationError(usage)
        }
        let scheme = text[..<range.lowerBound].lowercased()
        let rest = text[range.upperBound...]
        switch (scheme, wire) {
        case ("ws", .json), ("wss", .json):
            self = .webSocket(text)
        case ("tcp", .protobuf), ("tls", .protobuf):
            let (host, port) = try Self.hostAndPort(rest, in: text)
            self = scheme == "tcp" ? .tcp(host: host, port: port) : .tls(host: host, port: port)
        case ("ws", .protobuf), ("wss", .protobuf):
            throw ValidationError(
                "--wire protobuf needs a tcp://host:port or tls://host:port endpoint; '\(text)' is a WebSocket URL (JSON)"
            )
        case ("tcp", .json), ("tls", .json):
            throw ValidationError(
                "'\(text)' carries protobuf frames: add --wire protobuf, or give a ws:// or wss:// URL"
            )
        default:
            throw ValidationError(usage)
        }
    }

    /// `host:port`, `[v6]:port`, with an optional trailing `/`; the port is required.
    private static func hostAndPort(_ authority: Substring, in text: String) throws -> (String, Int) {
        let authority = authority.hasSuffix("/") ? authority.dropLast() : authority
        let host: Substring
        let portText: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            portText = after.hasPrefix(":") ? after.dropFirst() : ""
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = ""
        }
        guard !host.isEmpty, !host.contains("/"), let port = Int(portText), (1...65535).contains(port) else {
            throw ValidationError("--endpoint '\(text)' must name a host and a port, e.g. tcp://127.0.0.1:5035")
        }
        return (String(host), port)
    }
}
