// swift-ctrader: simulator tests: the bounded outbound queue of a connection.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import CTraderTransport
import Foundation
import Logging
import Testing

/// Collects log messages, for tests that wait on what a component logs.
final class CapturedLog: @unchecked Sendable {
    // @unchecked Sendable: every access holds `lock`.
    private let lock = NSLock()
    private var lines: [(Logger.Level, String)] = []

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(log: self) }
    }

    func contains(_ text: String, level: Logger.Level? = nil) -> Bool {
        lock.withLock { lines.contains { $0.1.contains(text) && (level == nil || $0.0 == level) } }
    }

    fileprivate func append(_ level: Logger.Level, _ message: String) {
        lock.withLock { lines.append((level, message)) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.append(event.level, event.message.description)
        }
    }
}

/// Waits until `condition` holds, checking every 10 ms (the caller bounds the wait with `withTimeout`).
func eventually(_ condition: @Sendable () async -> Bool) async throws {
    while !(await condition()) {
        try await Task.sleep(for: .milliseconds(10))
    }
}

@Suite("Simulator: a client that stops reading", .timeLimit(.minutes(5)))
struct OutboundQueueTests {
    /// A simulator on in-memory listeners with small buffers, a 5 ms tick and a queue of 32.
    func start(_ log: CapturedLog) -> (Simulator, InMemoryListener) {
        let listener = InMemoryListener(bufferCapacity: 1_024)
        let simulator = Simulator.start(
            Simulator.Configuration(tickInterval: .milliseconds(5), maximumQueuedMessages: 32),
            webSocketListener: InMemoryListener(),
            protobufListener: listener,
            logger: log.logger
        )
        return (simulator, listener)
    }

    func authorize(_ channel: ProtobufChannel) async throws {
        var app = ProtoOAApplicationAuthReq()
        app.clientID = SimulatorIdentity.demoClientId
        app.clientSecret = SimulatorIdentity.demoClientSecret
        try await channel.send(Envelope(app, clientMsgId: "app"))
        #expect(try await channel.receive()?.payloadType == .protoOaApplicationAuthRes)
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
        auth.accessToken = SimulatorIdentity.demoAccessToken
        try await channel.send(Envelope(auth, clientMsgId: "acc"))
        #expect(try await channel.receive()?.payloadType == .protoOaAccountAuthRes)
    }

    @Test func spotEventsAreCoalescedAndTheConnectionStays() async throws {
        let log = CapturedLog()
        let (simulator, listener) = start(log)
        try await withTimeout(.seconds(180)) {
            let channel = ProtobufChannel(transport: try listener.connect())
            try await authorize(channel)
            var subscribe = ProtoOASubscribeSpotsReq()
            subscribe.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
            subscribe.symbolID = Array(1...23)
            try await channel.send(Envelope(subscribe, clientMsgId: "spots"))
            // Stop reading until the queue has overflowed its limit and coalesced.
            try await eventually { log.contains("coalesces spot events") }
            #expect(await simulator.connectionCount == 1)
            // Reading again: the answer to a new request comes after a bounded backlog of quotes,
            // each a whole quote (sides merged), not after every quote of the stalled time.
            let version = ProtoOAVersionReq()
            try await channel.send(Envelope(version, clientMsgId: "version"))
            var spots = 0
            while let envelope = try await channel.receive() {
                if envelope.clientMsgId == "version" { break }
                if envelope.payloadType == .protoOaSpotEvent { spots += 1 }
            }
            #expect(spots < 32 + 200)
            #expect(!log.contains("drops a connection"))
            #expect(await simulator.connectionCount == 1)
            await channel.close()
        }
        await simulator.stop()
    }

    @Test func answersOverTheLimitDropTheConnection() async throws {
        let log = CapturedLog()
        let (simulator, listener) = start(log)
        try await withTimeout(.seconds(180)) {
            let channel = ProtobufChannel(transport: try listener.connect())
            try await authorize(channel)
            // 200 requests, none read: their answers cannot be coalesced.
            // (Sending may fail once the simulator has dropped the connection.)
            for index in 0..<200 {
                var trader = ProtoOATraderReq()
                trader.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
                do {
                    try await channel.send(Envelope(trader, clientMsgId: "t\(index)"))
                } catch {
                    break
                }
            }
            try await eventually { log.contains("drops a connection whose client does not read", level: .warning) }
            try await eventually { await simulator.connectionCount == 0 }
            // What was already written can be read, then the connection ends.
            do {
                while try await channel.receive() != nil {}
            } catch {}
            await channel.close()
        }
        await simulator.stop()
    }
}
