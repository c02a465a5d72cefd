// swift-ctrader: the connection options every networked command shares: the endpoint URL and
// the wire format, the refresh token, compression.

import CTraderSimulator
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(5))) struct ConnectionOptionsTests {
    /// A simulator serving JSON over WebSocket and protobuf over plain TCP.
    static func startSimulator() async throws -> Simulator {
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        return try await Simulator.start(
            Simulator.Configuration(protobufPort: 0, engine: .init(seed: 7)), logger: logger)
    }

    static let credentials = [
        "--client-id", SimulatorIdentity.demoClientId,
        "--client-secret", SimulatorIdentity.demoClientSecret,
        "--access-token", SimulatorIdentity.demoAccessToken,
        // The simulator shares this process with the whole parallel suite.
        "--timeout", "60",
    ]

    static func accountIds(_ result: CTraderBinary.Result) throws -> [Int] {
        let accounts = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return accounts.compactMap { $0["ctidTraderAccountId"] as? Int }
    }

    @Test func protobufOverATCPEndpointWorks() async throws {
        let simulator = try await Self.startSimulator()
        defer { Task { await simulator.stop() } }
        let port = try #require(simulator.protobufPort)
        let result = try await CTraderBinary.runAsync(
            ["accounts", "--wire", "protobuf", "--endpoint", "tcp://127.0.0.1:\(port)", "--json"] + Self.credentials)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.accountIds(result) == [1_000_001, 1_000_002])
    }

    @Test(arguments: [
        (["--wire", "protobuf", "--endpoint", "wss://127.0.0.1:5036"], "tcp://"),
        (["--wire", "protobuf", "--endpoint", "ws://127.0.0.1:5036"], "tcp://"),
        (["--endpoint", "tcp://127.0.0.1:5035"], "--wire protobuf"),
        (["--wire", "protobuf", "--endpoint", "tls://example.com"], "port"),
        (["--endpoint", "http://127.0.0.1:5036"], "ws://"),
    ])
    func anEndpointThatDoesNotCarryTheWireIsAUsageError(arguments: [String], mentions: String) async throws {
        let result = try await CTraderBinary.runAsync(["accounts"] + arguments + Self.credentials)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func aRefreshTokenIsAccepted() async throws {
        let simulator = try await Self.startSimulator()
        defer { Task { await simulator.stop() } }
        let result = try await CTraderBinary.runAsync(
            ["accounts", "--endpoint", simulator.url, "--refresh-token", SimulatorIdentity.demoRefreshToken, "--json"]
                + Self.credentials)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.accountIds(result) == [1_000_001, 1_000_002])
    }

    @Test func deflateIsOfferedUnlessSwitchedOff() async throws {
        let simulator = try await Self.startSimulator()
        defer { Task { await simulator.stop() } }
        // --verbose logs the WebSocket handshake's outcome, extensions included, to standard error.
        let offered = try await CTraderBinary.runAsync(
            ["accounts", "--endpoint", simulator.url, "--json", "--verbose"] + Self.credentials)
        #expect(offered.status == 0, "\(offered.stderr)")
        #expect(offered.stderr.contains("permessage-deflate"))

        let plain = try await CTraderBinary.runAsync(
            ["accounts", "--endpoint", simulator.url, "--json", "--verbose", "--no-deflate"] + Self.credentials)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("WebSocket connected"), "\(plain.stderr)")
        #expect(!plain.stderr.contains("permessage-deflate"))
        #expect(try Self.accountIds(plain) == [1_000_001, 1_000_002])
    }
}
