// swift-ctrader: what the glue's end-to-end tests share: a fast simulator, a client of it that
// records what it sends, and a hang guard.

import CTrader
import CTraderTestSupport
import Foundation
import Testing

/// The envelopes a client sent, in order, over all its connections.
final class SentEnvelopes: @unchecked Sendable {
    // @unchecked: `envelopes` is only touched under `lock`.
    private let lock = NSLock()
    private var envelopes: [Envelope] = []

    func record(_ envelope: Envelope) { lock.withLock { envelopes.append(envelope) } }

    /// The sent messages of one type, decoded.
    func messages<Message: CTraderMessage>(_ type: Message.Type) -> [Message] {
        lock.withLock { envelopes.compactMap { $0.message(as: type) } }
    }
}

/// A channel that records what is sent through another.
private final class SendRecordingChannel: CTraderChannel {
    let base: any CTraderChannel
    let sent: SentEnvelopes

    init(_ base: any CTraderChannel, sent: SentEnvelopes) {
        self.base = base
        self.sent = sent
    }

    func send(_ envelope: Envelope) async throws {
        sent.record(envelope)
        try await base.send(envelope)
    }

    func next() async throws -> CTraderChannelElement? { try await base.next() }
    func close() async { await base.close() }
    func abort() async { await base.abort() }
}

/// A simulator whose market moves every `tick` (default 50 ms: quotes and books change often
/// enough for the tests, without flooding a loaded machine).
func startFastSimulator(tick: Duration = .milliseconds(50)) async throws -> Simulator {
    try await Simulator.start(
        Simulator.Configuration(engine: SimulatorEngine.Configuration(seed: 7), tickInterval: tick))
}

/// The demo hedged account.
let hedged = SimulatorIdentity.demoHedgedAccountId

/// A client of `simulator` with a fast reconnect policy, recording what it sends into `sent`.
func makeClient(_ simulator: Simulator, sent: SentEnvelopes = SentEnvelopes()) -> CTraderClient {
    var configuration = CTraderClientConfiguration(
        endpoint: .url(simulator.url),
        credentials: CTraderCredentials(
            clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
        requestTimeout: .seconds(60),
        reconnect: CTraderReconnectPolicy(
            initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200), maximumAttempts: 50, jitterSeed: 1)
    )
    let base = configuration.connector
    configuration.endpoint = .custom(
        CTraderConnector(description: base.description) { logger in
            SendRecordingChannel(try await base.open(logger: logger), sent: sent)
        })
    return CTraderClient(configuration: configuration)
}

/// Connects `client` and authorizes the hedged account.
func connectAndAuthorize(_ client: CTraderClient) async throws {
    try await client.connect()
    try await client.authorize(account: hedged, accessToken: SimulatorIdentity.demoAccessToken)
}

/// Runs `body` with a fresh simulator (market tick `tick`) and a connected, authorized client (recording into
/// `sent`), within a hang guard; shuts both down after, also when it throws.
func withSimulatorClient(
    sent: SentEnvelopes = SentEnvelopes(),
    tick: Duration = .milliseconds(50),
    _ body: @escaping @Sendable (Simulator, CTraderClient) async throws -> Void
) async throws {
    let simulator = try await startFastSimulator(tick: tick)
    let client = makeClient(simulator, sent: sent)
    var failure: (any Error)?
    do {
        try await withTimeout(.seconds(90)) {
            try await connectAndAuthorize(client)
            try await body(simulator, client)
        }
    } catch {
        failure = error
    }
    // Both stopped whatever the body did, then its failure reported.
    await client.shutdown()
    await simulator.stop()
    if let failure { throw failure }
}

/// Reads `iterator` until an element satisfies `condition`; returns it (the test's hang guard
/// bounds the wait).
func next<Element: Sendable>(
    _ iterator: inout AsyncStream<Element>.Iterator,
    where condition: (Element) -> Bool
) async throws -> Element {
    while let element = await iterator.next() {
        if condition(element) { return element }
    }
    throw StreamEnded()
}

struct StreamEnded: Error {}
