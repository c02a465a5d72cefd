// swift-ctrader: `--record`, `ctrader replay` and `ctrader ws`, run as a separate process.

import CTraderSimulator
import CTraderTestSupport
import Foundation
import Testing

/// The lines of a tape file, parsed.
func tapeLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).jsonl").path
}

@Suite(.timeLimit(.minutes(5))) struct TapeCommandsTests {
    @Test func aRecordedSessionHoldsWhatTheSimulatorCountedAndNoCredential() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let tape = temporaryPath("accounts")
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let result = try await CTraderBinary.runAsync(["symbols", "EUR", "--record", tape] + fixture.options)
        #expect(result.status == 0, "\(result.stderr)")
        // The simulator counts as it reads and writes: wait for the connection's end (a hang guard,
        // not a threshold).
        let simulator = fixture.simulator
        try await withTimeout(.seconds(180), "the simulator to see the connection end") {
            while await simulator.connectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        let lines = try tapeLines(tape)
        let sent = lines.filter { $0["direction"] as? String == "sent" }.count
        let received = lines.filter { $0["direction"] as? String == "received" }.count
        #expect(sent > 0 && received > 0)
        let counts = simulator.messageCounts
        #expect(sent == counts.received, "client sent \(sent), simulator read \(counts.received)")
        #expect(received == counts.sent, "client read \(received), simulator wrote \(counts.sent)")
        #expect(lines.allSatisfy { $0["connection"] as? Int == 1 && $0["envelope"] != nil && $0["time"] != nil })

        let text = try String(contentsOfFile: tape, encoding: .utf8)
        for secret in [SimulatorIdentity.demoClientSecret, SimulatorIdentity.demoAccessToken] {
            #expect(!text.contains(secret), "the tape holds a credential: \(secret)")
        }
        #expect(text.contains("<redacted>"))
    }

    @Test func aRefreshedTokenPairIsNotTaped() async throws {
        var identity = SimulatorIdentity.standard
        identity.tokens.append(
            SimulatorIdentity.Token(
                accessToken: "other-access-token", refreshToken: "tape-refresh-token",
                accountIds: [SimulatorIdentity.demoHedgedAccountId]))
        let simulator = try await Simulator.start(
            Simulator.Configuration(protobufPort: nil, engine: .init(seed: 7, identity: identity)))
        defer { Task { await simulator.stop() } }
        let tape = temporaryPath("refresh")
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let result = try await CTraderBinary.runAsync([
            "send", "PROTO_OA_REFRESH_TOKEN_REQ", #"{"refreshToken":"tape-refresh-token"}"#, "--endpoint",
            simulator.url,
            "--client-id", SimulatorIdentity.demoClientId, "--client-secret", SimulatorIdentity.demoClientSecret,
            "--access-token", SimulatorIdentity.demoAccessToken, "--timeout", "60", "--json", "--record", tape,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // The new pair, printed on standard output, must not be on the tape either.
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let payload = try #require(answer["payload"] as? [String: Any])
        let newTokens = [payload["accessToken"], payload["refreshToken"]].compactMap { $0 as? String }
        #expect(newTokens.count == 2, "\(result.stdout)")
        let text = try String(contentsOfFile: tape, encoding: .utf8)
        #expect(text.contains("\"payloadType\":2173"))
        #expect(text.contains("\"payloadType\":2174"))
        for secret in [SimulatorIdentity.demoClientSecret, SimulatorIdentity.demoAccessToken, "tape-refresh-token"]
            + newTokens
        {
            #expect(!text.contains(secret), "the tape holds a credential: \(secret)")
        }
    }
}

/// `ctrader replay` serves what `--record` taped.
@Suite(.timeLimit(.minutes(5))) struct ReplayCommandTests {
    @Test func quotesFromAReplayedTapeAreTheRecordedOnes() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let tape = temporaryPath("quotes")
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let recorded = try await CTraderBinary.runAsync(
            ["quotes", "EURUSD", "--count", "5", "--record", tape, "--json"] + fixture.options)
        #expect(recorded.status == 0, "\(recorded.stderr)")

        let replay = try PeerProcess(
            try CTraderBinary.locate().path, ["replay", tape, "--port", "0", "--speed", "5", "--json"])
        defer { replay.terminate() }
        let details = try await replay.waitForLine { $0.hasPrefix("{") }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(details.utf8)) as? [String: Any])
        let url = try #require(object["url"] as? String)
        let replayed = try await CTraderBinary.runAsync([
            "quotes", "EURUSD", "--count", "5", "--json", "--endpoint", url, "--client-id",
            SimulatorIdentity.demoClientId, "--client-secret", SimulatorIdentity.demoClientSecret,
            "--access-token", SimulatorIdentity.demoAccessToken, "--timeout", "60",
        ])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        func prices(_ stdout: String) throws -> [String] {
            try stdout.split(separator: "\n").map { line in
                let quote = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return "\(quote["symbol"] ?? "-") \(quote["bid"] ?? "-") \(quote["ask"] ?? "-")"
            }
        }
        let expected = try prices(recorded.stdout)
        #expect(expected.count == 5)
        #expect(try prices(replayed.stdout) == expected)
    }
}
