// swift-ctrader: the simulator serving a tape's market.

import CTraderChannel
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import Foundation
import Testing

/// A taped spot event of EURUSD.
private func tapedSpot(time: Int64, bid: UInt64, ask: UInt64, account: Int64 = 99) throws -> CTraderTapeEntry {
    var event = ProtoOASpotEvent()
    event.ctidTraderAccountID = account
    event.symbolID = eurusd
    event.bid = bid
    event.ask = ask
    return CTraderTapeEntry(
        time: time, direction: .received, connection: 1,
        content: .envelope(json: try JSONEnvelopeCodec().encode(Envelope(event))))
}

/// Collects what a virtual clock was asked to sleep until.
private final class VirtualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offsets: [Duration] = []
    func sleep(until offset: Duration) { lock.withLock { offsets.append(offset) } }
    var recorded: [Duration] { lock.withLock { offsets } }
}

struct SimulatorTapeFeedTests {
    @Test func speedTenPlaysATwentySecondTapeInTwoSeconds() async throws {
        // 21 spots a second apart: a 20-second tape, with a request in between that is not market data.
        var entries = try (0...20).map {
            try tapedSpot(time: 1_000_000 + Int64($0) * 1_000, bid: 100 + UInt64($0), ask: 200)
        }
        entries.insert(
            CTraderTapeEntry(
                time: 1_000_500, direction: .sent, connection: 1,
                content: .envelope(json: try JSONEnvelopeCodec().encode(Envelope(ProtoOAVersionReq())))), at: 1)
        let feed = SimulatorTapeFeed(tape: CTraderTape(entries: entries), speed: 10)
        #expect(feed.events.count == 21)
        #expect(feed.duration == .seconds(2))
        let clock = VirtualClock()
        let delivered = LockedBox<[UInt64]>([])
        try await feed.play(
            sleepUntil: { clock.sleep(until: $0) },
            deliver: { envelope in delivered.mutate { $0.append(envelope.message(as: ProtoOASpotEvent.self)!.bid) } })
        #expect(clock.recorded.last == .seconds(2))
        #expect(clock.recorded == (0...20).map { .milliseconds(100 * $0) })
        #expect(delivered.value == (0...20).map { 100 + UInt64($0) })
        #expect(SimulatorTapeFeed(tape: CTraderTape(entries: entries), speed: 1).duration == .seconds(20))
    }

    @Test func aFreshClientReceivesTheRecordedSpotsInOrder() async throws {
        // Record a client's spots of EURUSD from a simulator with a fast-moving market.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spots-\(UUID().uuidString).jsonl")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try CTraderTapeRecorder(path: path)
        try await withSimulatorClient(
            configure: { simulator in
                CTraderClient(
                    configuration: CTraderClientConfiguration(
                        endpoint: .custom(CTraderConnector.webSocket(url: simulator.url).recording(into: recorder)),
                        credentials: CTraderCredentials(
                            clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
                        requestTimeout: .seconds(60)))
            }
        ) { _, client in
            try await connectAndAuthorize(client)
            var spots = client.spots().makeAsyncIterator()
            try await client.subscribeSpots(account: hedged, symbols: [eurusd])
            for _ in 0..<8 { _ = try await nextMessage(&spots) }
        }
        await recorder.close()
        let tape = try CTraderTape(contentsOf: URL(fileURLWithPath: path))
        let recorded = tape.envelopes(.received).compactMap { $0.message(as: ProtoOASpotEvent.self) }
        #expect(recorded.count >= 8)

        // Serve the tape fast, and subscribe a fresh client (of the other account).
        var configuration = Simulator.Configuration(engine: .init(seed: 99))
        configuration.tape = SimulatorTapeFeed(tape: tape, speed: 1_000)
        let simulator = try await Simulator.start(configuration)
        let client = makeClient(simulator)
        try await running(simulator, client, seconds: 120) {
            try await connectAndAuthorize(client, account: netted)
            var spots = client.spots().makeAsyncIterator()
            try await client.subscribeSpots(account: netted, symbols: [eurusd])
            var received: [ProtoOASpotEvent] = []
            while received.count < recorded.count { received.append(try await nextMessage(&spots)) }
            #expect(received.map(\.bid) == recorded.map(\.bid))
            #expect(received.map(\.ask) == recorded.map(\.ask))
            #expect(received.map(\.hasBid) == recorded.map(\.hasBid))
            #expect(received.allSatisfy { $0.ctidTraderAccountID == netted })
        }
    }
}
