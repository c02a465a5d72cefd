// swift-ctrader: `--token-file`: its pair wins over the command line's tokens, a refreshed pair is
// written to it before it is used, and no token appears in the output.

import CTrader
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(5))) struct TokenFileTests {
    /// A simulator serving JSON and protobuf over TCP; with `expired`, the demo access token has
    /// expired, so that a command must refresh it.
    static func startSimulator(expired: Bool) async throws -> Simulator {
        var identity = SimulatorIdentity.standard
        if expired { identity.tokens[0].expiresAt = 1 }
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        return try await Simulator.start(
            Simulator.Configuration(protobufPort: 0, engine: .init(seed: 7, identity: identity)), logger: logger)
    }

    /// The options that reach `simulator` over `wire`.
    static func endpoint(_ wire: String, _ simulator: Simulator) throws -> [String] {
        guard wire == "protobuf" else { return ["--endpoint", simulator.url] }
        return ["--wire", "protobuf", "--endpoint", "tcp://127.0.0.1:\(try #require(simulator.protobufPort))"]
    }

    static let application = [
        "--client-id", SimulatorIdentity.demoClientId,
        "--client-secret", SimulatorIdentity.demoClientSecret,
        // The simulator shares this process with the whole parallel suite.
        "--timeout", "60",
    ]

    /// The demo tokens, as a user would pass them again after they were refreshed.
    static let commandLineTokens = [
        "--access-token", SimulatorIdentity.demoAccessToken,
        "--refresh-token", SimulatorIdentity.demoRefreshToken,
    ]

    /// The file's content, as documented.
    struct TokenFile: Decodable {
        struct Pair: Decodable {
            var ctidTraderAccountId: Int64?
            var accessToken: String
            var refreshToken: String
            var expiresIn: Int64
        }
        var version: Int
        var pairs: [Pair]
    }

    /// A fresh empty directory.
    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ctrader-cli-tokens-\(UInt64.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Whether `text` holds any of the simulator's tokens: the demo ones, and the refreshed ones
    /// (which start with the demo ones).
    static func holdsAToken(_ text: String) -> Bool {
        text.contains(SimulatorIdentity.demoAccessToken) || text.contains(SimulatorIdentity.demoRefreshToken)
    }

    @Test(arguments: ["json", "protobuf"])
    func aRefreshedPairIsWrittenToTheFileAndWinsNextTime(wire: String) async throws {
        let simulator = try await Self.startSimulator(expired: true)
        defer { Task { await simulator.stop() } }
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.json"
        let arguments =
            ["accounts", "--json", "--token-file", path] + (try Self.endpoint(wire, simulator)) + Self.application
            + Self.commandLineTokens

        // The access token has expired: the command refreshes it and writes the new pair first.
        let first = try await CTraderBinary.runAsync(arguments + ["--verbose"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try ConnectionOptionsTests.accountIds(first) == [1_000_001, 1_000_002])
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaRefreshTokenReq) == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(try #require(attributes[.posixPermissions] as? NSNumber).intValue & 0o777 == 0o600)
        let file = try JSONDecoder().decode(TokenFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        let pair = try #require(file.pairs.last)
        #expect(file.version == 1)
        #expect(pair.refreshToken.hasPrefix(SimulatorIdentity.demoRefreshToken + "-"))
        #expect(pair.accessToken.hasPrefix(SimulatorIdentity.demoAccessToken + "-"))
        // Neither the old tokens nor the new ones are in the output or the (verbose) logs.
        #expect(!Self.holdsAToken(first.stdout))
        #expect(!Self.holdsAToken(first.stderr), "\(first.stderr)")

        // The same spent tokens on the command line: the file's pair wins, nothing is refreshed,
        // and the spent refresh token is not sent again.
        let second = try await CTraderBinary.runAsync(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaRefreshTokenReq) == 1)
        #expect(!Self.holdsAToken(second.stdout + second.stderr))

        // Without the file, those tokens no longer work.
        let third = try await CTraderBinary.runAsync(
            ["accounts", "--json"] + (try Self.endpoint(wire, simulator)) + Self.application + Self.commandLineTokens)
        #expect(third.status == 3, "\(third.stderr)")
    }

    @Test func withoutATokenFileTheRefreshedPairGoesToStandardErrorOnly() async throws {
        let simulator = try await Self.startSimulator(expired: true)
        defer { Task { await simulator.stop() } }
        let result = try await CTraderBinary.runAsync(
            ["accounts", "--json", "--endpoint", simulator.url] + Self.application + Self.commandLineTokens)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("new refresh token: \(SimulatorIdentity.demoRefreshToken)-"))
        #expect(result.stderr.contains("new access token: \(SimulatorIdentity.demoAccessToken)-"))
        #expect(!Self.holdsAToken(result.stdout))
    }

    @Test func aStoredPairFromTheEnvironmentWinsOverWrongTokens() async throws {
        let simulator = try await Self.startSimulator(expired: false)
        defer { Task { await simulator.stop() } }
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.json"
        try await CTraderFileTokenStore(path: path).save(
            CTraderTokenPair(
                ctidTraderAccountId: SimulatorIdentity.demoNettedAccountId,
                accessToken: SimulatorIdentity.demoAccessToken,
                refreshToken: SimulatorIdentity.demoRefreshToken,
                expiresIn: 2_628_000
            )
        )
        let running = try RunningCTrader(
            ["accounts", "--json", "--endpoint", simulator.url] + Self.application
                + ["--access-token", "wrong-access-token", "--refresh-token", "wrong-refresh-token"],
            environment: ["CTRADER_TOKEN_FILE": path]
        )
        let result = await running.result()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ConnectionOptionsTests.accountIds(result) == [1_000_001, 1_000_002])
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaRefreshTokenReq) == 0)
    }

    @Test func aTokenFileThatCannotBeWrittenIsAUsageError() async throws {
        let result = try await CTraderBinary.runAsync(
            ["accounts", "--token-file", "/nonexistent-directory-\(UInt32.random(in: 0 ... .max))/tokens.json"]
                + Self.application + Self.commandLineTokens)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("token file"))
        #expect(result.stdout.isEmpty)
    }
}
