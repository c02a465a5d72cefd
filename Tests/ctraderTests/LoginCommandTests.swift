// swift-ctrader: `ctrader login`, `whoami` and `logout` against the simulator's authorization
// server (HTTPS with the test CA): the whole flow with a test playing the browser, each refusal
// with its own exit code, no secret in any output, and a kill between the exchange and the save.

import CTrader
import CTraderAuth
import CTraderTestSupport
import CTraderTransport
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite(.timeLimit(.minutes(5))) struct LoginCommandTests {
    /// A clock the test moves (Unix milliseconds).
    final class Clock: @unchecked Sendable {
        // @unchecked: `value` is only touched under `lock`.
        private let lock = NSLock()
        private var value = Int64(Date().timeIntervalSince1970 * 1_000)
        var now: Int64 { lock.withLock { value } }
        func advance(seconds: Int64) { lock.withLock { value += seconds * 1_000 } }
    }

    struct Fixture {
        let simulator: Simulator
        let server: SimulatorAuthorizationServer
        let certificates: TestCertificates
        let clock: Clock
        let directory: String

        static let registered = "http://127.0.0.1:5005/callback"

        static func start() async throws -> Fixture {
            let certificates = try await TestCertificates.shared.value
            let clock = Clock()
            var configuration = Simulator.Configuration(protobufPort: nil, engine: .init(seed: 9))
            configuration.authorization = SimulatorAuthorizationServer.Configuration(
                tls: .init(
                    certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
                // A loaded machine (the whole suite in parallel) may take seconds to send a request.
                requestTimeout: .seconds(120),
                now: { clock.now })
            var logger = Logger(label: "test.simulator")
            logger.logLevel = .critical
            let simulator = try await Simulator.start(configuration, logger: logger)
            let server = try #require(simulator.authorizationServer)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ctrader-login-\(UInt64.random(in: 0 ... .max))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return Fixture(
                simulator: simulator, server: server, certificates: certificates, clock: clock, directory: directory)
        }

        var tokenFile: String { directory + "/tokens.json" }

        /// The options every command here takes.
        func options(secret: String = SimulatorIdentity.demoClientSecret) -> [String] {
            [
                "--client-id", SimulatorIdentity.demoClientId, "--client-secret", secret, "--token-file", tokenFile,
                "--ca-file", certificates.caFile, "--endpoint", simulator.url, "--timeout", "60",
            ]
        }

        /// `login`'s options for this authorization server.
        func login(secret: String = SimulatorIdentity.demoClientSecret) -> [String] {
            ["login", "--auth-url", server.authorizationURL, "--token-url", server.tokenURL] + options(secret: secret)
        }

        var http: CTraderHTTPClient {
            CTraderHTTPClient(
                configuration: .init(tls: .client(trustedCAFile: certificates.caFile), timeout: .seconds(60)))
        }

        /// Plays the browser: opens `url`, follows the redirect (with `state` replaced, if given).
        func browse(_ url: String, state: String? = nil) async throws -> Int {
            let page = try await http.get(url)
            var location = try #require(page.header("location"), "the authorization page answered \(page.status)")
            if let state, let range = location.range(of: "state=") {
                let end = location[range.upperBound...].firstIndex(of: "&") ?? location.endIndex
                location.replaceSubrange(range.upperBound..<end, with: state)
            }
            return try await http.get(location).status
        }

        /// A code for `redirectURI`, from the authorization page (its redirect not followed).
        func code(redirectURI: String = registered) async throws -> String {
            let url = try CTraderHTTPURL(parsing: server.authorizationURL).adding([
                ("client_id", SimulatorIdentity.demoClientId), ("redirect_uri", redirectURI), ("scope", "trading"),
            ])
            let location = try #require(try await http.get(url.description).header("location"))
            let query = try #require(location.split(separator: "?").last)
            return try #require(CTraderHTTPURL.decodeQuery(String(query)).first { $0.0 == "code" }?.1)
        }

        /// Waits for `login` to print the authorization URL (the line before "waiting for").
        static func authorizationURL(of login: RunningCTrader) async throws -> String {
            try await login.waitForStandardError(containing: "waiting for the browser's redirect")
            return try #require(
                login.standardErrorSoFar.components(separatedBy: "\n").first { $0.hasPrefix("https://") })
        }

        func stop() async { await simulator.stop() }
    }

    /// The file's pair.
    struct TokenFile: Decodable {
        struct Pair: Decodable {
            var accessToken: String
            var refreshToken: String
            var expiresIn: Int64
        }
        var version: Int
        var pairs: [Pair]
    }

    @Test func theWholeFlowSavesThePairPrivatelyAndListsTheAccounts() async throws {
        let fixture = try await Fixture.start()
        defer { Task { await fixture.stop() } }
        let login = try RunningCTrader(
            fixture.login() + ["--no-browser", "--redirect-uri", "http://127.0.0.1:0/callback", "--verbose"])
        let url = try await Fixture.authorizationURL(of: login)
        #expect(try await fixture.browse(url) == 200)
        let result = await login.result()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("logged in"))
        #expect(result.stdout.contains("\(SimulatorIdentity.demoHedgedAccountId)"))
        #expect(result.stdout.contains("\(SimulatorIdentity.demoNettedAccountId)"))
        #expect(result.stdout.contains("scope: trading"))
        var status = stat()
        #expect(stat(fixture.tokenFile, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let file = try JSONDecoder().decode(
            TokenFile.self, from: Data(contentsOf: URL(fileURLWithPath: fixture.tokenFile)))
        let pair = try #require(file.pairs.last)
        #expect(pair.expiresIn == 2_628_000)
        // No secret in the output, trace logs included.
        for secret in [pair.accessToken, pair.refreshToken, SimulatorIdentity.demoClientSecret] {
            #expect(!result.stdout.contains(secret))
            #expect(!result.stderr.contains(secret))
        }
        #expect(result.stderr.contains("trace"), "the trace logs ran")

        // whoami: the application, the expiry, the scope and the accounts; never a token.
        let whoami = try await CTraderBinary.runAsync(["whoami", "--json", "--verbose"] + fixture.options())
        #expect(whoami.status == 0, "\(whoami.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(whoami.stdout.utf8)) as? [String: Any])
        #expect(object["clientId"] as? String == SimulatorIdentity.demoClientId)
        #expect(object["scope"] as? String == "trading")
        #expect(object["expired"] as? Bool == false)
        #expect((object["accounts"] as? [Any])?.count == 2)
        for secret in [pair.accessToken, pair.refreshToken, SimulatorIdentity.demoClientSecret] {
            #expect(!whoami.stdout.contains(secret))
            #expect(!whoami.stderr.contains(secret))
        }

        // logout forgets the tokens.
        let logout = try await CTraderBinary.runAsync(["logout", "--token-file", fixture.tokenFile])
        #expect(logout.status == 0, "\(logout.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.tokenFile))
        let after = try await CTraderBinary.runAsync(["whoami", "--offline", "--token-file", fixture.tokenFile])
        #expect(after.status == 3, "\(after.stderr)")
    }

    @Test func aWrongStateIsRefusedWithItsOwnExitCode() async throws {
        let fixture = try await Fixture.start()
        defer { Task { await fixture.stop() } }
        let login = try RunningCTrader(
            fixture.login() + ["--no-browser", "--redirect-uri", "http://127.0.0.1:0/callback"])
        let url = try await Fixture.authorizationURL(of: login)
        #expect(try await fixture.browse(url, state: "forged") == 400)
        let result = await login.result()
        #expect(result.status == 14, "\(result.stderr)")
        #expect(result.stderr.contains("state"))
        #expect(!FileManager.default.fileExists(atPath: fixture.tokenFile))
        #expect(fixture.server.tokenRequests == 0)
    }

    @Test func eachRefusalHasItsOwnExitCode() async throws {
        let fixture = try await Fixture.start()
        defer { Task { await fixture.stop() } }
        // A wrong secret.
        let wrongSecret = try await CTraderBinary.runAsync(
            fixture.login(secret: "wrong") + ["--code", try await fixture.code(), "--redirect-uri", Fixture.registered])
        #expect(wrongSecret.status == 10, "\(wrongSecret.stderr)")
        #expect(wrongSecret.stderr.contains("secret"))
        // A redirect URI other than the code's.
        let mismatch = try await CTraderBinary.runAsync(
            fixture.login() + ["--code", try await fixture.code(), "--redirect-uri", "http://127.0.0.1:5005/other"])
        #expect(mismatch.status == 11, "\(mismatch.stderr)")
        #expect(mismatch.stderr.contains("redirect URI"))
        // An expired code.
        let code = try await fixture.code()
        fixture.clock.advance(seconds: 61)
        let expired = try await CTraderBinary.runAsync(
            fixture.login() + ["--code", code, "--redirect-uri", Fixture.registered])
        #expect(expired.status == 12, "\(expired.stderr)")
        #expect(expired.stderr.contains("expired"))
        #expect(!FileManager.default.fileExists(atPath: fixture.tokenFile))
    }

    @Test func aKillBetweenTheExchangeAndTheSaveLeavesTheOldFileIntact() async throws {
        let fixture = try await Fixture.start()
        defer { Task { await fixture.stop() } }
        let old = CTraderTokenPair(
            ctidTraderAccountId: nil, accessToken: "old-access", refreshToken: "old-refresh", expiresIn: 5)
        try await CTraderFileTokenStore(path: fixture.tokenFile).save(old)
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.tokenFile))
        let login = try RunningCTrader(
            fixture.login() + ["--code", try await fixture.code(), "--redirect-uri", Fixture.registered],
            environment: ["CTRADER_TEST_HOLD_BEFORE_TOKEN_SAVE": "1"])
        try await login.waitForStandardError(containing: "holding before saving the tokens")
        login.send(SIGKILL)
        let result = await login.result()
        #expect(result.status == SIGKILL || result.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.tokenFile)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory) == ["tokens.json"])
        // The same login without the hook replaces the pair.
        let again = try await CTraderBinary.runAsync(
            fixture.login() + [
                "--code", try await fixture.code(), "--redirect-uri", Fixture.registered, "--no-accounts",
            ])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.tokenFile)) != before)
    }

    @Test func logoutLeavesAFileThatIsNotATokenFileAlone() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ctrader-logout-\(UInt64.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/notes.txt"
        try Data("not tokens".utf8).write(to: URL(fileURLWithPath: path))
        let result = try await CTraderBinary.runAsync(["logout", "--token-file", path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: path))
        let missing = try await CTraderBinary.runAsync(["logout", "--token-file", directory + "/none.json"])
        #expect(missing.status == 0)
        #expect(missing.stdout.contains("nothing to forget"))
    }
}
