// swift-ctrader: a simulator serving the authorization server over TLS with the test CA, a
// virtual clock, and a test that plays the browser.

import CTraderAuth
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import CTraderTransport
import Foundation
import Logging

/// A clock the test moves (Unix milliseconds).
final class VirtualMilliseconds: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Int64

    init(_ start: Int64 = 1_800_000_000_000) { value = start }

    var now: Int64 { lock.withLock { value } }

    func advance(seconds: Int64) { lock.withLock { value += seconds * 1_000 } }
}

/// A running simulator with its authorization server (HTTPS, test CA), and clients for it.
struct AuthHarness: Sendable {
    let simulator: Simulator
    let server: SimulatorAuthorizationServer
    let clock: VirtualMilliseconds
    let certificates: TestCertificates

    static let quiet: Logger = {
        var logger = Logger(label: "test.auth")
        logger.logLevel = .critical
        return logger
    }()

    /// Starts a simulator whose authorization server grants `grantedScopes`.
    static func start(grantedScopes: Set<String> = ["accounts", "trading"]) async throws -> AuthHarness {
        let certificates = try await TestCertificates.shared.value
        let clock = VirtualMilliseconds(Int64(Date().timeIntervalSince1970 * 1_000))
        var configuration = Simulator.Configuration(protobufPort: nil, engine: .init(seed: 5))
        configuration.authorization = SimulatorAuthorizationServer.Configuration(
            tls: .init(certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
            grantedScopes: grantedScopes,
            // A loaded machine (the whole suite in parallel) may take seconds to send a request.
            requestTimeout: .seconds(120),
            now: { clock.now })
        let simulator = try await Simulator.start(configuration, logger: quiet)
        guard let server = simulator.authorizationServer else {
            await simulator.stop()
            throw HarnessError(description: "the simulator serves no authorization server")
        }
        return AuthHarness(simulator: simulator, server: server, clock: clock, certificates: certificates)
    }

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
    }

    /// The HTTPS client trusting the test CA.
    var http: CTraderHTTPClient {
        CTraderHTTPClient(
            configuration: .init(tls: .client(trustedCAFile: certificates.caFile), timeout: .seconds(60)),
            logger: Self.quiet)
    }

    /// The OAuth client of the simulator's application.
    func oauthClient(
        clientSecret: String = SimulatorIdentity.demoClientSecret,
        redirectURI: String = "http://127.0.0.1:0/callback"
    ) -> CTraderOAuthClient {
        CTraderOAuthClient(
            configuration: CTraderOAuthConfiguration(
                credentials: CTraderCredentials(clientId: SimulatorIdentity.demoClientId, clientSecret: clientSecret),
                redirectURI: redirectURI,
                authorizationURL: server.authorizationURL,
                tokenURL: server.tokenURL,
                http: http.configuration),
            logger: Self.quiet)
    }

    /// Plays the browser: opens the authorization URL and follows its redirect (to the loopback
    /// receiver), with the `state` replaced when `state` is given. Returns the last answer.
    func browse(_ url: String, state: String? = nil) async throws -> CTraderHTTPClient.Response {
        let page = try await http.get(url)
        guard page.status == 302, var location = page.header("location") else {
            throw HarnessError(description: "the authorization page answered \(page.status) without a redirect")
        }
        if let state, let range = location.range(of: "state=") {
            let end = location[range.upperBound...].firstIndex(of: "&") ?? location.endIndex
            location.replaceSubrange(range.upperBound..<end, with: state)
        }
        return try await http.get(location)
    }

    /// The code the authorization page issues for `redirectURI` (the redirect is not followed).
    func code(redirectURI: String = "http://127.0.0.1:5005/callback", scope: String = "trading") async throws -> String
    {
        let url = try CTraderHTTPURL(parsing: server.authorizationURL).adding([
            ("client_id", SimulatorIdentity.demoClientId), ("redirect_uri", redirectURI), ("scope", scope),
            ("state", "s"),
        ])
        let page = try await http.get(url.description)
        guard let location = page.header("location"), let query = location.split(separator: "?").last,
            let code = CTraderHTTPURL.decodeQuery(String(query)).first(where: { $0.0 == "code" })?.1
        else { throw HarnessError(description: "no code in the redirect (\(page.status))") }
        return code
    }

    /// The accounts `accessToken` reaches over the simulator's WebSocket side.
    func accounts(accessToken: String) async throws -> [Int64] {
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
                requestTimeout: .seconds(60),
                reconnect: CTraderReconnectPolicy(maximumAttempts: 0)),
            logger: Self.quiet)
        do {
            try await client.connect()
            let accounts = try await client.accounts(accessToken: accessToken)
            await client.shutdown()
            return accounts.map { Int64($0.ctidTraderAccountID) }
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func stop() async { await simulator.stop() }
}

/// A fresh empty directory.
func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("ctrader-auth-\(UInt64.random(in: 0 ... .max))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A task's result, settable once from a `@Sendable` closure.
final class Box<T: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
