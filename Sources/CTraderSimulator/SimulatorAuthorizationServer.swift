// swift-ctrader: the local cTrader-compatible simulator.

import CTraderTransport
import Foundation
import Logging
import _CTraderLocking

/// The simulator as cTrader's OAuth authorization server: the authorization page
/// (``authorizationPath``), which redirects at once to the redirect URI with a `code` and the
/// `state` (no consent screen: the simulated user always agrees), and the token endpoint
/// (``tokenPath``), `GET` with `grant_type=authorization_code` or `refresh_token`, answering the
/// documented JSON (`accessToken`, `tokenType`, `expiresIn`, `refreshToken`, or `errorCode` and
/// `description`).
///
/// Like the real one: a code is single-use and expires (``Configuration/codeLifetime``); the
/// client id, the secret and the redirect URI (one of the application's
/// ``SimulatorIdentity/Application/redirectURIs``, and at the exchange the one the code was issued
/// for) are checked; refresh tokens are single-use. The tokens it issues are the engine's: they
/// work on the WebSocket and protobuf side at once, and a refresh stops the old access token there too.
///
/// Its error codes (cTrader documents the fields, not a list of codes): `INVALID_CLIENT` (unknown
/// client id or wrong secret), `INVALID_REDIRECT_URI`, `INVALID_GRANT` (a code expired, used or
/// unknown; a refresh token spent or unknown), `INVALID_REQUEST`, `UNSUPPORTED_GRANT_TYPE`; a
/// scope it does not grant redirects with `error=access_denied`.
public final class SimulatorAuthorizationServer: Sendable {
    /// How to run it.
    public struct Configuration: Sendable {
        /// The address to listen on; default `127.0.0.1`.
        public var host: String
        /// The port; `0` (the default) picks a free one.
        public var port: Int
        /// TLS (`https://`); `nil` (the default) serves plain `http://`.
        public var tls: Simulator.Configuration.TLS?
        /// How long a code may wait for its exchange; default 60 s, like cTrader's.
        public var codeLifetime: Duration
        /// The access tokens' lifetime (`expiresIn`); default 2 628 000 s (about 30 days), like cTrader's.
        public var accessTokenLifetime: Duration
        /// The scopes it grants; a request for another is redirected with `error=access_denied`.
        /// Default both, `accounts` and `trading`.
        public var grantedScopes: Set<String>
        /// Whether a registered loopback redirect URI (`http://127.0.0.1/…`) matches any port, as
        /// RFC 8252 §7.3 asks of authorization servers; default `true` (the CLI's tests listen on
        /// a free port). `false`: exact matches only.
        public var acceptsAnyLoopbackPort: Bool
        /// The longest request head read, in bytes; default 8 KiB.
        public var maximumRequestSize: Int
        /// How long one connection may take to send its request; default 10 s.
        public var requestTimeout: Duration
        /// The clock for codes and token expiry, in Unix milliseconds; default (`nil` in the
        /// initializer) the system's. Tests inject one to expire a code without waiting.
        public var now: @Sendable () -> Int64

        /// Makes a configuration; every limit has a documented default.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            tls: Simulator.Configuration.TLS? = nil,
            codeLifetime: Duration = .seconds(60),
            accessTokenLifetime: Duration = .seconds(2_628_000),
            grantedScopes: Set<String> = ["accounts", "trading"],
            acceptsAnyLoopbackPort: Bool = true,
            maximumRequestSize: Int = 8 * 1_024,
            requestTimeout: Duration = .seconds(10),
            now: (@Sendable () -> Int64)? = nil
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.codeLifetime = codeLifetime
            self.accessTokenLifetime = accessTokenLifetime
            self.grantedScopes = grantedScopes
            self.acceptsAnyLoopbackPort = acceptsAnyLoopbackPort
            self.maximumRequestSize = max(256, maximumRequestSize)
            self.requestTimeout = requestTimeout
            self.now = now ?? { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) }
        }
    }

    /// The authorization page's path, as cTrader's.
    public static let authorizationPath = "/my/settings/openapi/grantingaccess/"
    /// The token endpoint's path, as cTrader's.
    public static let tokenPath = "/apps/token"

    /// The authorization page, e.g. `http://127.0.0.1:50123/my/settings/openapi/grantingaccess/`.
    public let authorizationURL: String
    /// The token endpoint, e.g. `http://127.0.0.1:50123/apps/token` (`https://` with TLS).
    public let tokenURL: String
    /// The bound port.
    public let port: Int

    let configuration: Configuration
    let applications: [SimulatorIdentity.Application]
    let core: SimulatorCore
    let grants = Locked<[String: Grant]>([:])
    let counts = Locked(Counts())
    private let listener: any TransportListener
    private let task = Locked<Task<Void, Never>?>(nil)
    let logger: Logger

    /// A code issued and not yet exchanged.
    struct Grant {
        var clientId: String
        var redirectURI: String
        var canTrade: Bool
        var issuedAt: Int64
    }

    /// What it served.
    struct Counts {
        var codesIssued = 0
        var tokenRequests = 0
    }

    /// How many codes the authorization page issued.
    public var codesIssued: Int { counts.withLock { $0.codesIssued } }
    /// How many requests reached the token endpoint (refused ones included).
    public var tokenRequests: Int { counts.withLock { $0.tokenRequests } }

    private init(
        configuration: Configuration, applications: [SimulatorIdentity.Application], core: SimulatorCore,
        listener: any TransportListener, logger: Logger
    ) {
        self.configuration = configuration
        self.applications = applications
        self.core = core
        self.listener = listener
        self.logger = logger
        self.port = listener.port
        let scheme = configuration.tls == nil ? "http" : "https"
        let host = configuration.host == "0.0.0.0" || configuration.host.isEmpty ? "127.0.0.1" : configuration.host
        let base = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(listener.port)"
        authorizationURL = base + Self.authorizationPath
        tokenURL = base + Self.tokenPath
    }

    /// Binds and starts serving.
    static func start(
        _ configuration: Configuration, applications: [SimulatorIdentity.Application], core: SimulatorCore,
        logger: Logger
    ) async throws -> SimulatorAuthorizationServer {
        let listener: any TransportListener
        if let tls = configuration.tls {
            listener = try await TLSListener.bind(
                host: configuration.host, port: configuration.port,
                configuration: .server(
                    certificateChainFile: tls.certificateChainFile, privateKeyFile: tls.privateKeyFile),
                logger: logger)
        } else {
            listener = try await TCPListener.bind(host: configuration.host, port: configuration.port, logger: logger)
        }
        let server = SimulatorAuthorizationServer(
            configuration: configuration, applications: applications, core: core, listener: listener, logger: logger)
        server.task.withLock { task in
            task = Task {
                await withDiscardingTaskGroup { group in
                    while true {
                        let connection: any Transport
                        do {
                            connection = try await listener.accept()
                        } catch let error as TransportError where error.code != .closed {
                            logger.debug("authorization server: accept failed", metadata: ["error": "\(error)"])
                            continue
                        } catch {
                            break
                        }
                        group.addTask { await server.serve(connection) }
                    }
                }
            }
        }
        return server
    }

    /// Stops listening and waits for the connections being served.
    func stop() async {
        await listener.close()
        await task.withLock { $0 }?.value
    }
}
