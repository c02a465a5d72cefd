// swift-ctrader: the networked `ctrader` commands, run as a separate process against a simulator
// started in-process for each test.

import CTraderSimulator
import CTraderTransport
import Foundation
import Logging
import Testing

extension CTraderBinary {
    /// Runs the binary off the cooperative pool (``run(_:stdin:timeout:)`` blocks its thread until
    /// the process ends), so that in-process servers and other tests keep running meanwhile: on a
    /// thread of its own, since a blocked thread of Dispatch's global queues is one fewer for the
    /// cooperative pool.
    static func runAsync(_ arguments: [String], stdin: String? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try run(arguments, stdin: stdin) })
            }
        }
    }
}

/// A simulator for one test, and the options that point the CLI at it.
struct SimulatorFixture {
    let simulator: Simulator

    static func start() async throws -> SimulatorFixture {
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        return SimulatorFixture(
            simulator: try await Simulator.start(
                Simulator.Configuration(protobufPort: nil, engine: .init(seed: 7)),
                logger: logger
            )
        )
    }

    var options: [String] {
        [
            "--endpoint", simulator.url,
            "--client-id", SimulatorIdentity.demoClientId,
            "--client-secret", SimulatorIdentity.demoClientSecret,
            "--access-token", SimulatorIdentity.demoAccessToken,
            // The simulator shares this process with the whole parallel suite: on a loaded machine
            // a handshake can take longer than the default 20 s.
            "--timeout", "60",
        ]
    }

    /// Runs a command with `--json` and returns its parsed output.
    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> Any {
        let result = try await CTraderBinary.runAsync(arguments + options + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// Runs a streaming command with `--json`: one object per line.
    func jsonLines(_ arguments: [String]) async throws -> [[String: Any]] {
        let result = try await CTraderBinary.runAsync(arguments + options + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func stop() async { await simulator.stop() }
}

private func iso(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: date)
}

@Suite(.timeLimit(.minutes(5))) struct CTraderCommandsTests {
    @Test func demoRunsItsStepsPlainWhenPiped() async throws {
        let result = try await CTraderBinary.runAsync(["demo", "--quote-seconds", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1B}"))
        for step in [
            "1. Started the embedded simulator", "3. Accounts", "5. Live quotes", "6. Bought 0.1 lots of EURUSD",
            "8. Closed the position", "9. Disconnected",
        ] {
            #expect(result.stdout.contains(step), "missing \(step)")
        }
        #expect(result.stdout.contains("gross profit"))
    }

    @Test func accountsAndSymbols() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let accounts = try #require(try await fixture.json(["accounts"]) as? [[String: Any]])
        #expect(accounts.compactMap { $0["ctidTraderAccountId"] as? Int } == [1_000_001, 1_000_002])
        #expect(accounts.first?["balance"] as? Double == 10_000)

        let symbols = try #require(try await fixture.json(["symbols", "usd"]) as? [[String: Any]])
        let names = symbols.compactMap { $0["name"] as? String }
        #expect(names.contains("EURUSD"))
        #expect(
            names.allSatisfy { $0.contains("USD") }
                || symbols.allSatisfy {
                    ($0["description"] as? String)?.contains("USD") == true
                        || ($0["name"] as? String)?.contains("USD") == true
                }
        )
        #expect(symbols.first { $0["name"] as? String == "EURUSD" }?["digits"] as? Int == 5)

        let raw = try #require(try await fixture.json(["send", "PROTO_OA_TRADER_REQ", "{}"]) as? [String: Any])
        #expect(raw["payloadType"] as? Int == 2122)
        #expect((raw["payload"] as? [String: Any])?["ctidTraderAccountId"] as? Int == 1_000_001)
    }

    @Test func quotesCountTicks() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let lines = try await fixture.jsonLines(["quotes", "eurusd", "GBPUSD", "--count", "4"])
        #expect(lines.count == 4)
        for line in lines {
            #expect(["EURUSD", "GBPUSD"].contains(line["symbol"] as? String ?? ""))
            #expect(line["bid"] != nil || line["ask"] != nil)
        }
        let plain = try await CTraderBinary.runAsync(["quotes", "EURUSD", "--count", "2"] + fixture.options)
        #expect(plain.status == 0)
        #expect(plain.stdout.split(separator: "\n").count == 2)
        #expect(plain.stdout.contains("EURUSD  bid "))
    }

    @Test func barsAndTicks() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let latest = try #require(
            try await fixture.json(["bars", "EURUSD", "--period", "M5", "--count", "30"]) as? [String: Any]
        )
        let bars = try #require(latest["bars"] as? [[String: Any]])
        #expect(bars.count == 30)
        for bar in bars {
            let (low, high) = (bar["low"] as? Double ?? 0, bar["high"] as? Double ?? 0)
            #expect(low <= high && low > 0)
        }
        // Six days of M1 bars: two pages of at most 4000 bars each and more.
        let to = Date().addingTimeInterval(-3600)
        let from = to.addingTimeInterval(-6 * 86_400)
        let paged = try #require(
            try await fixture.json(["bars", "EURUSD", "--period", "M1", "--from", iso(from), "--to", iso(to)])
                as? [String: Any]
        )
        let times = try #require(paged["bars"] as? [[String: Any]]).compactMap { $0["time"] as? String }
        #expect(times.count == 6 * 1440)
        #expect(times == times.sorted() && Set(times).count == times.count)

        let csv = try await CTraderBinary.runAsync(
            ["bars", "EURUSD", "--period", "H1", "--count", "3", "--csv"] + fixture.options
        )
        #expect(csv.stdout.split(separator: "\n").first == "time,open,high,low,close,volume")
        #expect(csv.stdout.split(separator: "\n").count == 4)

        let ticks = try #require(
            try await fixture.json(["ticks", "EURUSD", "--from", iso(Date().addingTimeInterval(-600))])
                as? [String: Any]
        )
        let list = try #require(ticks["ticks"] as? [[String: Any]])
        #expect(!list.isEmpty)
        #expect(Set(list.compactMap { $0["side"] as? String }) == ["bid", "ask"])
        let tickTimes = list.compactMap { $0["time"] as? String }
        #expect(tickTimes == tickTimes.sorted())
    }

    @Test func marketOrderPositionCloseAndDeal() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let filled = try #require(try await fixture.json(["order", "buy", "EURUSD", "0.1"]) as? [String: Any])
        #expect(filled["executionType"] as? String == "ORDER_FILLED")
        let position = try #require(filled["position"] as? [String: Any])
        let positionId = try #require(position["positionId"] as? Int)
        #expect(position["lots"] as? Double == 0.1)

        // The ledger's view: PnL per position, balance and equity in the deposit currency.
        let account = try #require(try await fixture.json(["positions"]) as? [String: Any])
        let positions = try #require(account["positions"] as? [[String: Any]])
        #expect(positions.compactMap { $0["positionId"] as? Int } == [positionId])
        let net = try #require(positions.first?["netUnrealizedPnL"] as? Double)
        #expect(positions.first?["grossUnrealizedPnL"] is Double)
        #expect(account["depositAsset"] as? String == "USD")
        #expect(account["complete"] as? Bool == true)
        #expect(account["balance"] as? Double == 10_000)
        let equity = try #require(account["equity"] as? Double)
        #expect(abs(equity - (10_000 + net)) < 0.005)
        let plain = try await CTraderBinary.runAsync(["positions"] + fixture.options)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("netUnrealizedPnL"))
        #expect(plain.stdout.contains("Balance         10000.00 USD"))
        #expect(plain.stdout.contains("Equity"))

        let closed = try #require(try await fixture.json(["close", "\(positionId)"]) as? [String: Any])
        #expect(closed["executionType"] as? String == "ORDER_FILLED")
        let deal = try #require(closed["deal"] as? [String: Any])
        #expect(deal["closePositionDetail"] != nil)
        let empty = try #require(try await fixture.json(["positions"]) as? [String: Any])
        #expect(try #require(empty["positions"] as? [Any]).isEmpty)
        // The balance moved by the close, as the server's trader says (`accounts`).
        let accounts = try #require(try await fixture.json(["accounts"]) as? [[String: Any]])
        let balance = try #require(accounts.first { $0["authorized"] as? Bool == true }?["balance"] as? Double)
        #expect(empty["balance"] as? Double == balance)
        #expect(empty["equity"] as? Double == balance)

        let deals = try #require(
            try await fixture.json(["deals", "--from", iso(Date().addingTimeInterval(-3600))]) as? [[String: Any]]
        )
        #expect(deals.count == 2)
        #expect(deals.compactMap { $0["positionId"] as? Int } == [positionId, positionId])
    }

    @Test func limitOrderListedAndCancelled() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let accepted = try #require(
            try await fixture.json(["order", "buy", "EURUSD", "0.2", "--limit", "0.5", "--sl", "0.4", "--tp", "0.9"])
                as? [String: Any]
        )
        #expect(accepted["executionType"] as? String == "ORDER_ACCEPTED")
        let orderId = try #require((accepted["order"] as? [String: Any])?["orderId"] as? Int)

        let orders = try #require(try await fixture.json(["orders"]) as? [[String: Any]])
        #expect(orders.count == 1)
        #expect(orders.first?["orderId"] as? Int == orderId)
        #expect(orders.first?["type"] as? String == "LIMIT")
        #expect(orders.first?["limitPrice"] as? Double == 0.5)

        let cancelled = try #require(try await fixture.json(["cancel", "\(orderId)"]) as? [String: Any])
        #expect(cancelled["executionType"] as? String == "ORDER_CANCELLED")
        #expect(try #require(try await fixture.json(["orders"]) as? [Any]).isEmpty)
    }

    @Test func wrongCredentialsExitThree() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        var options = fixture.options
        options[options.firstIndex(of: SimulatorIdentity.demoClientSecret)!] = "wrong-secret"
        let result = try await CTraderBinary.runAsync(["accounts"] + options)
        #expect(result.status == 3)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("CH_CLIENT_AUTH_FAILURE"))
        #expect(!result.stderr.contains("wrong-secret"))

        var token = fixture.options
        token[token.firstIndex(of: SimulatorIdentity.demoAccessToken)!] = "wrong-token"
        let badToken = try await CTraderBinary.runAsync(["positions"] + token)
        #expect(badToken.status == 3)
        #expect(badToken.stderr.contains("CH_ACCESS_TOKEN_INVALID"))
    }

    @Test func unknownSymbolExitsOne() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let result = try await CTraderBinary.runAsync(["quotes", "NOSUCH", "--count", "1"] + fixture.options)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("unknown symbol 'NOSUCH'"))

        let rejected = try await CTraderBinary.runAsync(["order", "buy", "EURUSD", "100000"] + fixture.options)
        #expect(rejected.status == 1)
        #expect(rejected.stderr.contains("TRADING_BAD_VOLUME"))
    }

    @Test func closedPortExitsFour() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let listener = try await TCPListener.bind(port: 0, logger: logger)
        let port = listener.port
        await listener.close()
        let result = try await CTraderBinary.runAsync([
            "accounts", "--endpoint", "ws://127.0.0.1:\(port)", "--client-id", "a", "--client-secret", "b",
            "--access-token", "c",
        ])
        #expect(result.status == 4)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("network error"))
    }

    @Test(arguments: [
        ["bars", "EURUSD"],
        ["order", "hold", "EURUSD", "1"],
        ["quotes", "EURUSD", "--count", "0"],
        ["deals", "--from", "yesterday"],
        ["accounts", "--endpoint", "nowhere"],
        ["accounts", "--timeout", "0"],
        ["no-such-command"],
    ])
    func usageErrorsExitTwo(arguments: [String]) async throws {
        let result = try await CTraderBinary.runAsync(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test func helpExitsZero() async throws {
        let result = try await CTraderBinary.runAsync(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("demo"))
    }

    @Test func standaloneSimulatorPrintsItsURLAndStopsOnSIGTERM() async throws {
        let process = Process()
        process.executableURL = try CTraderBinary.locate()
        process.arguments = ["simulator", "--port", "0", "--seed", "3"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let firstLine = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<String, any Error>) in
            DispatchQueue.global().async {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) {
                    let chunk = out.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                continuation.resume(returning: String(decoding: data, as: UTF8.self).components(separatedBy: "\n")[0])
            }
        }
        #expect(firstLine.hasPrefix("url: ws://127.0.0.1:"))
        let url = String(firstLine.dropFirst("url: ".count))
        let result = try await CTraderBinary.runAsync([
            "accounts", "--endpoint", url, "--client-id", SimulatorIdentity.demoClientId, "--client-secret",
            SimulatorIdentity.demoClientSecret, "--access-token", SimulatorIdentity.demoAccessToken, "--json",
            "--timeout", "60",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        process.terminate()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        #expect(process.terminationStatus == 0)
    }
}
