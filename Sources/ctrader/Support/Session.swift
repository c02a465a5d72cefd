import ArgumentParser
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging
import _CTraderLocking

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// An error of the CLI itself: one line, and an exit code.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }

    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: ExitStatus.usage) }
    static func runtime(_ message: String) -> CLIError { CLIError(message: message, exitCode: ExitStatus.runtime) }
}

/// The exit codes.
enum ExitStatus {
    static let success: Int32 = 0
    static let runtime: Int32 = 1
    static let usage: Int32 = 2
    static let authentication: Int32 = 3
    static let network: Int32 = 4

    static let authenticationErrorCodes: Set<String> = [
        "CH_CLIENT_AUTH_FAILURE", "CH_CLIENT_NOT_AUTHENTICATED", "CH_ACCESS_TOKEN_INVALID", "OA_AUTH_TOKEN_EXPIRED",
        "ACCESS_TOKEN_EXPIRED", "INVALID_TOKEN", "ACCOUNT_NOT_AUTHORIZED", "CH_CTID_TRADER_ACCOUNT_NOT_FOUND",
        "CANT_ROUTE_REQUEST", "ALREADY_LOGGED_IN",
    ]

    /// The exit code and the one-line message for an error.
    static func describe(_ error: any Error) -> (code: Int32, message: String) {
        switch error {
        case let error as CLIError:
            return (error.exitCode, error.message)
        case let error as CTraderError:
            return describe(error)
        case let error as TransportError:
            return (network, "network error: \(error)")
        default:
            return (runtime, "\(error)")
        }
    }

    static func describe(_ error: CTraderError) -> (code: Int32, message: String) {
        let oneLine = "\(error)".replacingOccurrences(of: "\n", with: " ")
        if error.code == .authenticationFailed
            || (error.errorCode.map { authenticationErrorCodes.contains($0) } ?? false)
                && error.code == .serverError
        {
            return (authentication, "authentication failed: \(error.errorCode ?? "") \(error.reason)".trimmed)
        }
        switch error.code {
        case .connectionFailed, .reconnectGaveUp, .connectionLost, .notConnected:
            let cause = rootCause(of: error)
            return (network, "network error: \(cause ?? oneLine)")
        case .timeout, .outcomeUnknown:
            return (network, "timeout: \(oneLine)")
        case .orderError:
            return (runtime, "order rejected: \(error.errorCode ?? "") \(error.reason)".trimmed)
        case .serverError:
            return (runtime, "server error: \(error.errorCode ?? "") \(error.reason)".trimmed)
        default:
            return (runtime, oneLine)
        }
    }

    /// The innermost transport error's text, if any.
    private static func rootCause(of error: CTraderError) -> String? {
        var current: (any Error)? = error.underlying
        while let next = current {
            if let transport = next as? TransportError { return "\(transport)" }
            if let session = next as? CTraderError {
                current = session.underlying
                if current == nil { return session.reason }
            } else {
                return "\(next)"
            }
        }
        return error.reason.isEmpty ? nil : error.reason
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}

/// A connected, authorized session: the client, the account, and the embedded simulator when
/// one runs.
struct Session: Sendable {
    let client: CTraderClient
    let account: Int64
    let accounts: [ProtoOACtidTraderAccount]
    let simulator: Simulator?
    let output: Output
    let endpointDescription: String

    /// Connects (starting the embedded simulator when no endpoint is given), authorizes the account,
    /// runs `body` so that SIGINT and SIGTERM cancel it, then shuts everything down (WebSocket close 1000).
    static func run(
        _ options: ConnectionOptions,
        announce: (@Sendable (String) -> Void)? = nil,
        _ body: @escaping @Sendable (Session) async throws -> Void
    ) async throws {
        let output = Output(json: options.json)
        var logger = Logger(label: "ctrader")
        logger.logLevel = options.verbose ? .debug : .critical
        let env = ProcessInfo.processInfo.environment

        var simulator: Simulator?
        let endpoint: CTraderEndpoint
        var clientId = options.clientId ?? env["CTRADER_CLIENT_ID"]
        var clientSecret = options.clientSecret ?? env["CTRADER_CLIENT_SECRET"]
        var accessToken = options.accessToken ?? env["CTRADER_ACCESS_TOKEN"]
        var tls = TLSConfiguration.client(handshakeTimeout: options.timeoutDuration)
        if let caFile = options.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw CLIError.usage("cannot read the CA file \(caFile)")
            }
            tls = .client(trustedCAFile: caFile, handshakeTimeout: options.timeoutDuration)
        }
        var webSocket = WebSocketConfiguration()
        webSocket.handshakeTimeout = options.timeoutDuration
        if let name = options.endpoint {
            switch name.lowercased() {
            case "live": endpoint = .live
            case "demo": endpoint = .demo
            default: endpoint = .url(name)
            }
        } else {
            var simulatorLogger = Logger(label: "ctrader.simulator")
            simulatorLogger.logLevel = options.verbose ? .info : .critical
            let sim = try await Simulator.start(
                Simulator.Configuration(
                    webSocketPort: 0,
                    protobufPort: options.wire == .protobuf ? 0 : nil,
                    engine: .init(seed: UInt64(Date().timeIntervalSince1970))
                ),
                logger: simulatorLogger
            )
            simulator = sim
            if options.wire == .protobuf, let port = sim.protobufPort {
                endpoint = .custom(.protobufTCP(host: "127.0.0.1", port: port))
            } else {
                endpoint = .url(sim.url)
            }
            clientId = clientId ?? SimulatorIdentity.demoClientId
            clientSecret = clientSecret ?? SimulatorIdentity.demoClientSecret
            accessToken = accessToken ?? SimulatorIdentity.demoAccessToken
            announce?(sim.url)
        }
        guard let clientId, !clientId.isEmpty else {
            await simulator?.stop()
            throw CLIError.usage("missing the client id: --client-id or CTRADER_CLIENT_ID")
        }
        guard let clientSecret, !clientSecret.isEmpty else {
            await simulator?.stop()
            throw CLIError.usage("missing the client secret: --client-secret or CTRADER_CLIENT_SECRET")
        }
        guard let accessToken, !accessToken.isEmpty else {
            await simulator?.stop()
            throw CLIError.usage("missing the access token: --access-token or CTRADER_ACCESS_TOKEN")
        }
        let configuration = CTraderClientConfiguration(
            endpoint: endpoint,
            wireFormat: options.wire == .json ? .json : .protobuf,
            credentials: CTraderCredentials(clientId: clientId, clientSecret: clientSecret),
            tls: tls,
            webSocket: webSocket,
            requestTimeout: options.timeoutDuration,
            reconnect: CTraderReconnectPolicy(initialDelay: .milliseconds(500), maximumAttempts: 1)
        )
        let client = CTraderClient(configuration: configuration, logger: logger)
        let requestedAccount = options.account
        let embedded = simulator
        let work = Task {
            try await client.connect()
            let accounts = try await client.accounts(accessToken: accessToken)
            let account: Int64
            if let requestedAccount {
                guard accounts.contains(where: { Int64(clamping: $0.ctidTraderAccountID) == requestedAccount }) else {
                    throw CLIError(
                        message: "authentication failed: the access token does not grant account \(requestedAccount)",
                        exitCode: ExitStatus.authentication
                    )
                }
                account = requestedAccount
            } else {
                guard let first = accounts.first else {
                    throw CLIError(
                        message: "authentication failed: the access token grants no account",
                        exitCode: ExitStatus.authentication
                    )
                }
                account = Int64(clamping: first.ctidTraderAccountID)
            }
            try await client.authorize(account: account, accessToken: accessToken)
            try await body(
                Session(
                    client: client,
                    account: account,
                    accounts: accounts,
                    simulator: embedded,
                    output: output,
                    endpointDescription: "\(configuration.connector.description)"
                )
            )
        }
        let signals = SignalHandler { work.cancel() }
        defer { signals.cancel() }
        var failure: (any Error)?
        do {
            try await work.value
        } catch is CancellationError {
        } catch let error as CTraderError
            where error.code == .cancelled || (error.code == .shutdown && work.isCancelled)
        {
        } catch {
            failure = error
        }
        await client.shutdown()
        await simulator?.stop()
        if let failure { throw failure }
    }

    // MARK: - Symbols

    /// The account's symbols.
    func lightSymbols() async throws -> [ProtoOALightSymbol] {
        try await client.symbols(account: account).symbol
    }

    /// The full details of symbols.
    func details(_ ids: [Int64]) async throws -> [Int64: ProtoOASymbol] {
        guard !ids.isEmpty else { return [:] }
        var request = ProtoOASymbolByIdReq()
        request.ctidTraderAccountID = account
        request.symbolID = Array(Set(ids)).sorted()
        let res = try await client.send(request, expecting: ProtoOASymbolByIdRes.self)
        return Dictionary(res.symbol.map { ($0.symbolID, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Resolves symbol names (case-insensitive) or ids to symbols with their details.
    func resolve(_ names: [String]) async throws -> [SymbolInfo] {
        let list = try await lightSymbols()
        var found: [ProtoOALightSymbol] = []
        for name in names {
            if let symbol = list.first(where: { $0.symbolName.caseInsensitiveCompare(name) == .orderedSame })
                ?? Int64(name).flatMap({ id in list.first(where: { $0.symbolID == id }) })
            {
                found.append(symbol)
            } else {
                throw CLIError.runtime("unknown symbol '\(name)' (see: ctrader symbols)")
            }
        }
        let details = try await details(found.map(\.symbolID))
        return found.map { SymbolInfo(light: $0, detail: details[$0.symbolID]) }
    }

    /// Names of all symbols by id.
    func symbolNames() async throws -> [Int64: String] {
        Dictionary(try await lightSymbols().map { ($0.symbolID, $0.symbolName) }, uniquingKeysWith: { a, _ in a })
    }
}

/// A symbol with what formatting needs.
struct SymbolInfo: Sendable {
    var light: ProtoOALightSymbol
    var detail: ProtoOASymbol?

    var id: Int64 { light.symbolID }
    var name: String { light.symbolName }
    var digits: Int { Int(detail?.digits ?? 5) }
    var lotSize: Int64 { detail?.lotSize ?? 10_000_000 }

    func price(relative: Int64) -> String { Format.price(relative: relative, digits: digits) }
    func price(_ value: Double) -> String { String(format: "%.\(digits)f", value) }
    func lots(volume: Int64) -> Decimal { CTraderUnits.lots(volume: volume, lotSize: lotSize) ?? 0 }

    func volume(lots: Double) throws -> Int64 {
        guard lots > 0, let volume = CTraderUnits.volume(lots: Decimal(lots), lotSize: lotSize), volume > 0 else {
            throw CLIError.usage("the volume must be a positive number of lots, not \(lots)")
        }
        return volume
    }
}

/// Number and date formatting.
enum Format {
    static func price(relative: Int64, digits: Int) -> String {
        String(format: "%.\(digits)f", Double(relative) / Double(CTraderUnits.relativePriceScale))
    }

    static func priceNumber(relative: Int64, digits: Int) -> NSDecimalNumber {
        NSDecimalNumber(string: price(relative: relative, digits: digits))
    }

    static func money(_ amount: Int64, moneyDigits: UInt32) -> String {
        String(format: "%.\(moneyDigits)f", Double(amount) / pow(10, Double(moneyDigits)))
    }

    static func moneyNumber(_ amount: Int64, moneyDigits: UInt32) -> NSDecimalNumber {
        NSDecimalNumber(decimal: CTraderUnits.money(amount, moneyDigits: Int(moneyDigits)))
    }

    static func decimal(_ value: Decimal) -> String { "\(value)" }

    nonisolated(unsafe) static let iso: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    static func date(milliseconds: Int64) -> String {
        iso.string(from: CTraderUnits.date(milliseconds: milliseconds))
    }

    /// Parses `2026-11-20T00:00:00Z`, with fractional seconds, or `2026-11-20` (UTC midnight).
    static func parseDate(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        day.timeZone = TimeZone(identifier: "UTC")
        return day.date(from: text)
    }
}

/// A date argument: ISO 8601.
struct DateArgument: ExpressibleByArgument, Sendable {
    var date: Date
    init?(argument: String) {
        guard let date = Format.parseDate(argument) else { return nil }
        self.date = date
    }
    static var defaultCompletionKind: CompletionKind { .default }
    var milliseconds: Int64 { CTraderUnits.milliseconds(date) }
}

/// Writes results: tables for people, JSON for programs.
struct Output: Sendable {
    let json: Bool
    let terminal = Terminal.current

    /// Prints one JSON value on one line.
    func emit(_ value: Any) {
        terminal.line(Self.encode(value))
    }

    static func encode(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(
                withJSONObject: value,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    func table(_ table: TextTable) {
        for line in table.render(terminal) { terminal.line(line) }
    }
}

/// Ends the process with `code`.
func terminate(_ code: Int32) -> Never {
    exit(code)
}

/// Cancels on SIGINT or SIGTERM while it lives.
final class SignalHandler {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

/// Runs `body`, failing with a timeout error after `seconds`.
func withTimeout<T: Sendable>(
    _ seconds: Double,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await _CTraderLocking.withTimeout(
        .milliseconds(Int(seconds * 1000)),
        timeoutError: { CTraderError(code: .timeout, reason: "no \(what) within \(seconds) s") },
        body
    )
}
