import CTrader
import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging

/// A connected, authorized session: the client, the account, and the embedded simulator when
/// one runs.
struct Session: Sendable {
    let client: CTraderClient
    let account: Int64
    let accounts: [ProtoOACtidTraderAccount]
    let simulator: Simulator?
    let output: Output
    let endpointDescription: String
    /// The settings the session was opened with (flags, environment, profile).
    let settings: ConnectionSettings
    /// The tokens in use (after a refresh: the new ones); never printed.
    let tokens: SessionTokens
    let logger: Logger

    /// Connects (starting the embedded simulator when no endpoint is given), authorizes the account,
    /// runs `body` so that SIGINT and SIGTERM cancel it, then shuts everything down (WebSocket close 1000).
    ///
    /// The tokens: a `--token-file`'s newest pair wins over `--access-token` and
    /// `--refresh-token`. An access token the server refuses is refreshed once when a refresh token
    /// is known; the new pair goes to the token file (or, without one, to standard error).
    ///
    /// - Parameter interrupted: when `body` ends quietly because SIGINT or SIGTERM cancelled it,
    ///   the message to fail with (``ExitStatus/interrupted``); `nil`: end with success.
    static func run(
        _ options: ConnectionOptions,
        announce: (@Sendable (String) -> Void)? = nil,
        interrupted: String? = nil,
        _ body: @escaping @Sendable (Session) async throws -> Void
    ) async throws {
        let output = Output(json: options.json, verbose: options.verbose)
        let env = ProcessInfo.processInfo.environment
        let logger = Self.makeLogger(options, environment: env)
        // Flags, then environment variables, then the profile: resolved once, here.
        let settings = try ConnectionSettings.resolve(options, environment: env)
        settings.log(to: logger)
        let recorder = try TapeRecording.open(options.record)

        var simulator: Simulator?
        let endpoint: CTraderEndpoint
        var clientId = settings.clientId
        var clientSecret = settings.clientSecret
        var accessToken = settings.accessToken
        var refreshToken = settings.refreshToken.flatMap { $0.isEmpty ? nil : $0 }
        let tokenFile = try settings.tokenFile.flatMap { path in
            path.isEmpty ? nil : try TokenFileStore(checking: path)
        }
        var tls = TLSConfiguration.client(handshakeTimeout: options.timeoutDuration)
        if let caFile = settings.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw CLIError.usage("cannot read the CA file \(caFile)")
            }
            tls = .client(trustedCAFile: caFile, handshakeTimeout: options.timeoutDuration)
        }
        var webSocket = WebSocketConfiguration.cTraderClient
        webSocket.handshakeTimeout = options.timeoutDuration
        if options.noDeflate { webSocket.perMessageDeflateOffer = .none }
        if let name = settings.endpoint, !settings.usesEmbeddedSimulator {
            endpoint = try Self.endpoint(name, wire: options.wire, tls: tls)
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
            throw CLIError.usage(
                "missing the client id: --client-id, CTRADER_CLIENT_ID or a profile's client_id (ctrader profile set)")
        }
        guard let clientSecret, !clientSecret.isEmpty else {
            await simulator?.stop()
            throw CLIError.usage("missing the client secret: --client-secret or CTRADER_CLIENT_SECRET")
        }
        var tokenStore: (@Sendable (CTraderTokenPair) async -> Void)?
        if tokenFile == nil {
            tokenStore = { @Sendable pair in Self.reportRefreshedTokens(pair) }
        }
        var configuration = CTraderClientConfiguration(
            endpoint: endpoint,
            wireFormat: options.wire == .json ? .json : .protobuf,
            credentials: CTraderCredentials(clientId: clientId, clientSecret: clientSecret),
            tls: tls,
            webSocket: webSocket,
            requestTimeout: options.timeoutDuration,
            reconnect: CTraderReconnectPolicy(initialDelay: .milliseconds(500), maximumAttempts: 1),
            tokenStore: tokenStore,
            tokenStorage: tokenFile
        )
        if let recorder { configuration.endpoint = .custom(configuration.connector.recording(into: recorder)) }
        let client = CTraderClient(configuration: configuration, logger: logger)
        let requestedAccount = settings.account
        do {
            if let stored = try await client.storedTokens(account: requestedAccount) {
                accessToken = stored.accessToken.value
                refreshToken = stored.refreshToken.value
            }
        } catch {
            await simulator?.stop()
            throw CLIError.usage("cannot use the token file: \(ExitStatus.describe(error).message)")
        }
        guard let accessToken, !accessToken.isEmpty else {
            await simulator?.stop()
            throw CLIError.usage("missing the access token: --access-token, CTRADER_ACCESS_TOKEN or a --token-file")
        }
        let initialTokens = (access: accessToken, refresh: refreshToken)
        let embedded = simulator
        let work = Task {
            try await client.connect()
            var (accessToken, refreshToken) = initialTokens
            let accounts: [ProtoOACtidTraderAccount]
            do {
                accounts = try await client.accounts(accessToken: accessToken)
            } catch let error as CTraderError where error.refusedTheAccessToken && refreshToken != nil {
                // Refresh tokens are single-use: the pair is saved (token file) or printed
                // (standard error) before it is used.
                let pair = try await client.refreshToken(refreshToken ?? "")
                if tokenFile?.saveFailed == true {
                    throw CLIError.runtime("the refreshed tokens could not be saved in the token file (see above)")
                }
                accessToken = pair.accessToken.value
                refreshToken = pair.refreshToken.value
                accounts = try await client.accounts(accessToken: accessToken)
            }
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
                // cTrader's live server serves live accounts, its demo server demo ones.
                let here: Bool? =
                    switch settings.endpoint?.lowercased() {
                    case "live": true
                    case "demo": false
                    default: nil
                    }
                guard let first = accounts.first(where: { here == nil || $0.isLive == here }) ?? accounts.first else {
                    throw CLIError(
                        message: "authentication failed: the access token grants no account",
                        exitCode: ExitStatus.authentication
                    )
                }
                account = Int64(clamping: first.ctidTraderAccountID)
            }
            try await client.authorize(account: account, accessToken: accessToken, refreshToken: refreshToken)
            try await body(
                Session(
                    client: client,
                    account: account,
                    accounts: accounts,
                    simulator: embedded,
                    output: output,
                    endpointDescription: "\(configuration.connector.description)",
                    settings: settings,
                    tokens: SessionTokens(accessToken: accessToken, refreshToken: refreshToken),
                    logger: logger
                )
            )
        }
        let signals = SignalHandler { work.cancel() }
        defer { signals.cancel() }
        var failure: (any Error)?
        do {
            try await work.value
        } catch is CancellationError {
            failure = interrupted.map { CLIError(message: $0, exitCode: ExitStatus.interrupted) }
        } catch let error as CTraderError
            where error.code == .cancelled || (error.code == .shutdown && work.isCancelled)
        {
            failure = interrupted.map { CLIError(message: $0, exitCode: ExitStatus.interrupted) }
        } catch {
            failure = error
        }
        await client.shutdown()
        await simulator?.stop()
        await recorder?.close()
        if let failure { throw failure }
    }

    /// The endpoint `name` names: `live`, `demo`, or a URL that carries `wire`.
    ///
    /// - Throws: `ValidationError` (a usage error) for a URL that is not valid.
    static func endpoint(_ name: String, wire: WireOption, tls: TLSConfiguration) throws -> CTraderEndpoint {
        switch name.lowercased() {
        case "live": return .live
        case "demo": return .demo
        default:
            switch try EndpointURL(parsing: name, wire: wire) {
            case .webSocket(let url): return .url(url)
            case .tcp(let host, let port): return .custom(.protobufTCP(host: host, port: port))
            case .tls(let host, let port): return .custom(.protobufTLS(host: host, port: port, tls: tls))
            }
        }
    }

    /// The CLI's logger: `--verbose` logs at debug level, or at `$CTRADER_LOG_LEVEL` (`trace`,
    /// `debug`, `info`, …) when set; without `--verbose`, only critical lines.
    static func makeLogger(_ options: ConnectionOptions, environment: [String: String]) -> Logger {
        var logger = Logger(label: "ctrader")
        logger.logLevel = .critical
        if options.verbose {
            logger.logLevel =
                environment["CTRADER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .debug
        }
        return logger
    }

    /// Prints a refreshed token pair to standard error: refresh tokens are single-use, so the
    /// one given on the command line no longer works, and the new pair must not be lost.
    static func reportRefreshedTokens(_ pair: CTraderTokenPair) {
        let text = """
            ctrader: the tokens were refreshed; the refresh token given no longer works.
            new access token: \(pair.accessToken.value) (expires in \(pair.expiresIn) s)
            new refresh token: \(pair.refreshToken.value)

            """
        FileHandle.standardError.write(Data(text.utf8))
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

/// The tokens of a session, kept out of its printed form.
struct SessionTokens: Sendable, CustomStringConvertible {
    let accessToken: String
    let refreshToken: String?
    var description: String { "SessionTokens(redacted)" }
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

extension Session {
    /// The environment the session's connection serves: live for the `live` endpoint, else demo.
    var environment: CTraderEnvironment { settings.endpoint?.lowercased() == "live" ? .live : .demo }

    /// The endpoint of the other environment: `--endpoint demo` pairs with cTrader's live
    /// server and `live` with its demo server, unless `CTRADER_LIVE_ENDPOINT` / `CTRADER_DEMO_ENDPOINT`
    /// (or the profile's `live_endpoint` / `demo_endpoint`) names another; `nil` for a URL or the
    /// embedded simulator without one.
    var otherEnvironmentEndpoint: String? {
        let name = settings.endpoint?.lowercased()
        switch environment {
        case .demo: return settings.liveEndpoint ?? (name == "demo" ? "live" : nil)
        case .live: return settings.demoEndpoint ?? "demo"
        }
    }

    /// Demo and live behind one façade: this session's client for its environment, and, when the
    /// other environment has an endpoint, a client for it with the same settings, opened when
    /// first needed (and shut down by ``CTraderAccounts/shutdown()``).
    ///
    /// - Throws: a usage error for an endpoint that is not valid.
    func accountsFacade(wire: WireOption) throws -> CTraderAccounts {
        let mine = client.configuration
        var environments: [CTraderEnvironment: CTraderClientConfiguration] = [environment: mine]
        if let other = otherEnvironmentEndpoint {
            var configuration = mine
            configuration.endpoint = try Self.endpoint(other, wire: wire, tls: mine.tls)
            environments[environment == .demo ? .live : .demo] = configuration
        }
        let logger = logger
        return CTraderAccounts(
            configuration: .init(environments: environments, discovery: environment),
            accessToken: tokens.accessToken,
            refreshToken: tokens.refreshToken,
            clients: [environment: client],
            makeClient: { _, configuration in CTraderClient(configuration: configuration, logger: logger) }
        )
    }
}
