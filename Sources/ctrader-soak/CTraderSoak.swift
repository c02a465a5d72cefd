// swift-ctrader: the load side of the soak (scripts/soak.sh), kept out of the test run.

import ArgumentParser
import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderWebSocket
import Foundation
import Logging
import _CTraderLocking

/// `ctrader-soak --url URL [--connections N] [--duration SECONDS] [--churn FRACTION]`: holds N
/// authenticated, spot-subscribed `CTraderClient` connections to a simulator for a while, with
/// churn, then closes them all.
///
/// It prints one line per event on standard output, for `scripts/soak.sh` to read:
/// `soak <elapsed-seconds> <event> connected=<n> spots=<n> failures=<n>`, where the event is
/// `connected` (everything is up), `status` (once per churn interval, after the churn),
/// `closing` and `closed`. The script samples the simulator process itself.
@main
struct CTraderSoak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctrader-soak",
        abstract: "Hold many authenticated, subscribed connections to a simulator, with churn."
    )

    @Option(help: "The simulator's WebSocket URL, e.g. ws://127.0.0.1:5036.") var url: String
    @Option(help: "How many connections to hold.") var connections: Int = 1_000
    @Option(help: "How long to hold them, in seconds (from the moment all are up).") var duration: Int = 600
    @Option(help: "The fraction of the connections that reconnect every churn interval.") var churn: Double = 0.1
    @Option(help: "The churn interval, in seconds.") var churnInterval: Int = 60
    @Option(help: "How many connections are opened at the same time.") var parallelism: Int = 32
    @Flag(inversion: .prefixedNo, help: "Offer permessage-deflate (the cTrader client's default).") var deflate = true

    func validate() throws {
        guard connections > 0, duration > 0, churnInterval > 0, parallelism > 0, (0...1).contains(churn) else {
            throw ValidationError("counts and durations must be positive, --churn within 0…1")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "ctrader-soak")
        logger.logLevel = .error
        let pool = ConnectionPool(url: url, deflate: deflate, logger: logger)
        let start = ContinuousClock.now
        let report = { (event: String) in
            let elapsed = Int((ContinuousClock.now - start) / .seconds(1))
            FileHandle.standardOutput.write(Data("soak \(elapsed) \(event) \(pool.counters)\n".utf8))
        }

        await pool.open(Array(0..<connections), parallelism: parallelism)
        report("connected")
        let connected = ContinuousClock.now
        let end = connected + .seconds(duration)
        var random = SystemRandomNumberGenerator()
        // Churn on a fixed schedule (every interval after all were up), however long a churn takes.
        for round in 1... {
            let next = min(end, connected + .seconds(churnInterval * round))
            try await Task.sleep(until: next, clock: .continuous)
            guard next < end else { break }
            let churned = Array((0..<connections).shuffled(using: &random).prefix(Int(Double(connections) * churn)))
            await pool.close(churned, parallelism: parallelism)
            await pool.open(churned, parallelism: parallelism)
            report("status")
        }
        report("closing")
        await pool.close(Array(0..<connections), parallelism: parallelism)
        report("closed")
    }
}

/// The connections, by slot, and the counters the report prints.
final class ConnectionPool: Sendable {
    private struct State {
        var clients: [Int: (client: CTraderClient, spots: Task<Void, Never>)] = [:]
        var spots = 0
        var failures = 0
        var symbol: Int64?
    }

    private let url: String
    private let deflate: Bool
    private let logger: Logger
    private let state = Locked(State())

    init(url: String, deflate: Bool, logger: Logger) {
        self.url = url
        self.deflate = deflate
        self.logger = logger
    }

    /// `connected=… spots=… failures=…`.
    var counters: String {
        state.withLock { "connected=\($0.clients.count) spots=\($0.spots) failures=\($0.failures)" }
    }

    /// Opens the connections of `slots`, `parallelism` at a time.
    func open(_ slots: [Int], parallelism: Int) async {
        await forEach(slots, parallelism: parallelism) { slot in
            do {
                try await self.connect(slot)
            } catch {
                self.state.withLock { $0.failures += 1 }
                self.logger.error("connection failed", metadata: ["slot": "\(slot)", "error": "\(error)"])
            }
        }
    }

    /// Shuts down the connections of `slots`, `parallelism` at a time.
    func close(_ slots: [Int], parallelism: Int) async {
        await forEach(slots, parallelism: parallelism) { slot in
            guard let entry = self.state.withLock({ $0.clients.removeValue(forKey: slot) }) else { return }
            await entry.client.shutdown()
            await entry.spots.value
        }
    }

    /// Connects, authenticates the application and the account, subscribes to one symbol's
    /// spots and counts the quotes that arrive.
    private func connect(_ slot: Int) async throws {
        var configuration = CTraderClientConfiguration(
            endpoint: .url(url),
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret)
        )
        if !deflate { configuration.webSocket.perMessageDeflateOffer = .none }
        let client = CTraderClient(configuration: configuration, logger: logger)
        do {
            try await client.connect()
            let account = SimulatorIdentity.demoHedgedAccountId
            try await client.authorize(account: account, accessToken: SimulatorIdentity.demoAccessToken)
            let symbol: Int64
            if let known = state.withLock({ $0.symbol }) {
                symbol = known
            } else {
                symbol = try await client.symbols(account: account).symbol.first?.symbolID ?? 1
                state.withLock { $0.symbol = symbol }
            }
            let spots = client.spots()
            try await client.subscribeSpots(account: account, symbols: [symbol])
            let consumer = Task {
                do {
                    for try await case .message(_) in spots { self.state.withLock { $0.spots += 1 } }
                } catch {
                    // The stream ends with the client's shutdown.
                }
            }
            state.withLock { $0.clients[slot] = (client, consumer) }
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func forEach(
        _ slots: [Int], parallelism: Int, _ body: @escaping @Sendable (Int) async -> Void
    ) async {
        await withTaskGroup(of: Void.self) { group in
            var pending = slots[...]
            for _ in 0..<parallelism {
                guard let slot = pending.popFirst() else { break }
                group.addTask { await body(slot) }
            }
            while await group.next() != nil {
                guard let slot = pending.popFirst() else { continue }
                group.addTask { await body(slot) }
            }
        }
    }
}
