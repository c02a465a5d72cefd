// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderTestSupport
import CTraderToolkit
import Foundation
import Testing

/// One spot of the seeded sequences: a time and the sides it carries.
struct SeededSpot {
    var time: Int64
    var bid: Int64?
    var ask: Int64?
}

/// A seeded tick sequence (SplitMix64): spots every 0.2 to 20 s from `start` for `span` ms,
/// moving by up to 3 points, a third of them one-sided (ask-only or bid-only), the first one
/// ask-only (before any bid is known), and no spot at all in `gap`.
func seededSpots(seed: UInt64, start: Int64, span: Int64, step: ClosedRange<Int64>, gap: Range<Int64>) -> [SeededSpot] {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    var spots = [SeededSpot(time: start, bid: nil, ask: 112_050)]
    var time = start
    var bid: Int64 = 112_000
    while time < start + span {
        time += step.lowerBound + Int64(next() % UInt64(step.upperBound - step.lowerBound + 1))
        if gap.contains(time) { continue }
        bid += Int64(next() % 7) - 3
        let ask = bid + 10 + Int64(next() % 3)
        switch next() % 6 {
        case 0: spots.append(SeededSpot(time: time, bid: nil, ask: ask))
        case 1: spots.append(SeededSpot(time: time, bid: bid, ask: nil))
        default: spots.append(SeededSpot(time: time, bid: bid, ask: ask))
        }
    }
    return spots
}

/// Runs scripts/bars_reference.py on `spots` and returns its bars per period name.
func referenceBars(_ spots: [SeededSpot], periods: [String]) async throws -> [String: [[Int64]]] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "bars-reference-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let ticks: [[String: Any]] = spots.map { ["t": $0.time, "bid": $0.bid.map { $0 as Any } ?? NSNull()] }
    let input = directory.appendingPathComponent("in.json")
    let output = directory.appendingPathComponent("out.json")
    try JSONSerialization.data(withJSONObject: ["periods": periods, "weekStart": "monday", "ticks": ticks])
        .write(to: input)
    let script = TestPeers.packageRoot.appendingPathComponent("scripts/bars_reference.py").path
    let peer = try PeerProcess(try TestPeers.python(), [script, input.path, output.path])
    let status = try await peer.waitForExit()
    #expect(status == 0, "bars_reference.py failed: \(peer.standardError)")
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: output))
    let byPeriod = try #require(object as? [String: [[NSNumber]]])
    return byPeriod.mapValues { $0.map { $0.map(\.int64Value) } }
}

/// Feeds `spots` (with server timestamps) to a builder of `period`, received 50 ms late.
func build(_ spots: [SeededSpot], period: ProtoOATrendbarPeriod) -> BarBuilder {
    var builder = BarBuilder(period: period)
    for seeded in spots {
        var event = ProtoOASpotEvent()
        event.symbolID = 1
        if let bid = seeded.bid { event.bid = UInt64(bid) }
        if let ask = seeded.ask { event.ask = UInt64(ask) }
        event.timestamp = seeded.time
        _ = builder.apply(event, receivedAt: seeded.time + 50)
    }
    return builder
}

@Suite(.timeLimit(.minutes(2))) struct BarBuilderTests {
    static let periodNames: [(String, ProtoOATrendbarPeriod)] = [
        ("M1", .m1), ("M5", .m5), ("H1", .h1), ("H4", .h4), ("D1", .d1), ("W1", .w1), ("MN1", .mn1),
    ]

    /// Compares every bar with the reference's: start, open, high, low, close, volume; every bar
    /// but the last closed, the last forming.
    func compare(_ spots: [SeededSpot], periods: [String]) async throws {
        let reference = try await referenceBars(spots, periods: periods)
        for name in periods {
            let period = try #require(Self.periodNames.first { $0.0 == name }?.1)
            let bars = build(spots, period: period).bars
            let expected = try #require(reference[name])
            #expect(bars.count == expected.count, "\(name)")
            for (bar, row) in zip(bars, expected) {
                #expect([bar.start, bar.open, bar.high, bar.low, bar.close, bar.volume] == row, "\(name) \(bar)")
            }
            #expect(bars.dropLast().allSatisfy { $0.state == .closed }, "\(name)")
            #expect(bars.last?.state == .forming, "\(name)")
        }
    }

    /// Three and a half hours of ticks from 09:57 UTC (M1, M5 and H1 boundaries), a 7-minute gap
    /// without ticks (no bar is invented for it), and one-sided spots.
    @Test(.enabled(if: TestPeers.available(TestPeers.python), "needs the Python venv: CTRADER_TEST_PYTHON"))
    func intradayBarsMatchThePythonReference() async throws {
        let start: Int64 = 1_772_445_420_000  // 2026-03-02 09:57 UTC
        let spots = seededSpots(
            seed: 16, start: start, span: 210 * 60_000, step: 200...20_000,
            gap: (start + 21 * 60_000 + 30_000)..<(start + 28 * 60_000 + 10_000))
        #expect(spots.count > 1_000)
        try await compare(spots, periods: ["M1", "M5", "H1"])
        // The gap: no M1 bar starts in it.
        let m1 = build(spots, period: .m1).bars.map(\.start)
        #expect(!m1.contains(start + 23 * 60_000))
    }

    /// Ten weeks of sparse ticks (every 1 to 30 hours) across W1 and MN1 boundaries.
    @Test(.enabled(if: TestPeers.available(TestPeers.python), "needs the Python venv: CTRADER_TEST_PYTHON"))
    func weeklyAndMonthlyBarsMatchThePythonReference() async throws {
        let start: Int64 = 1_795_996_800_000 - 40 * 86_400_000
        let spots = seededSpots(
            seed: 39, start: start, span: 70 * 86_400_000, step: 3_600_000...108_000_000,
            gap: (start + 20 * 86_400_000)..<(start + 30 * 86_400_000))
        try await compare(spots, periods: ["H4", "D1", "W1", "MN1"])
    }

    // MARK: - Hand-made vectors

    static let t0: Int64 = 1_796_601_600_000  // Monday 2026-12-07 00:00 UTC

    func tick(_ builder: inout BarBuilder, _ bid: UInt64, at time: Int64) -> [Bar] {
        var event = ProtoOASpotEvent()
        event.bid = bid
        event.timestamp = time
        return builder.apply(event, receivedAt: time)
    }

    @Test func theTimerClosesABarOnlyAfterTheGracePeriod() {
        var builder = BarBuilder(period: .m1, configuration: .init(grace: 1_500))
        _ = tick(&builder, 100, at: Self.t0 + 10_000)
        _ = tick(&builder, 105, at: Self.t0 + 59_000)
        #expect(builder.advance(to: Self.t0 + 60_000).isEmpty)
        #expect(builder.advance(to: Self.t0 + 61_499).isEmpty)
        let closed = builder.advance(to: Self.t0 + 61_500)
        #expect(closed.count == 1)
        #expect(closed.first?.state == .provisional)
        #expect(closed.first?.close == 105)
        #expect(builder.forming == nil)
        // Nothing more to close; no empty bar is invented for the minutes without ticks.
        #expect(builder.advance(to: Self.t0 + 600_000).isEmpty)
        #expect(builder.bars.count == 1)
        // A late tick of the closed minute is ignored; the next tick opens its own minute.
        #expect(tick(&builder, 90, at: Self.t0 + 59_500).isEmpty)
        #expect(builder.ignoredTicks == 1)
        let next = tick(&builder, 110, at: Self.t0 + 300_000)
        #expect(next.map(\.start) == [Self.t0 + 300_000])
    }

    @Test func aTickOfTheNextPeriodClosesTheBar() {
        var builder = BarBuilder(period: .m5)
        _ = tick(&builder, 100, at: Self.t0 + 1_000)
        let changed = tick(&builder, 101, at: Self.t0 + 300_000)
        #expect(changed.map(\.state) == [.closed, .forming])
        #expect(changed.map(\.start) == [Self.t0, Self.t0 + 300_000])
    }

    @Test func historyConfirmsAProvisionalBar() {
        var builder = BarBuilder(period: .m1, configuration: .init(grace: 0))
        _ = tick(&builder, 100, at: Self.t0 + 10_000)
        _ = builder.advance(to: Self.t0 + 60_000)
        #expect(builder.closedBars.first?.state == .provisional)
        // The server saw one more tick (a high of 104) that did not reach us.
        let server = trendbar(
            .m1, minutes: UInt32(Self.t0 / 60_000), low: 99, deltaOpen: 1, deltaHigh: 5, deltaClose: 1, volume: 3)
        let confirmed = builder.confirm(with: server, now: Self.t0 + 65_000)
        #expect(confirmed.count == 1)
        #expect(builder.closedBars.count == 1)
        let bar = builder.closedBars[0]
        #expect(bar.state == .confirmed)
        #expect([bar.open, bar.high, bar.low, bar.close, bar.volume] == [100, 104, 99, 100, 3])
    }

    @Test func historySeedsAndTheLastBarKeepsForming() {
        var builder = BarBuilder(period: .m1)
        let minute = UInt32(Self.t0 / 60_000)
        let history = [
            trendbar(.m1, minutes: minute + 1, low: 100, deltaOpen: 2, deltaHigh: 4, deltaClose: 3, volume: 5),
            trendbar(.m1, minutes: minute, low: 98, deltaOpen: 0, deltaHigh: 0, deltaClose: 2, volume: 4),  // quirk
            trendbar(.m1, minutes: minute + 2, low: 101, deltaOpen: 1, deltaHigh: 1, deltaClose: 0, volume: 2),
        ]
        let changed = builder.seed(history, now: Self.t0 + 150_000)
        #expect(changed.map(\.start) == [Self.t0, Self.t0 + 60_000, Self.t0 + 120_000])
        #expect(builder.closedBars.map(\.state) == [.confirmed, .confirmed])
        #expect(builder.closedBars[0].repaired && builder.closedBars[0].high == 100)
        #expect(builder.forming?.start == Self.t0 + 120_000)
        // Ticks continue the forming bar seeded from history.
        let next = tick(&builder, 105, at: Self.t0 + 150_000)
        #expect(next.first.map { [$0.open, $0.high, $0.low, $0.close, $0.volume] } == [102, 105, 101, 105, 3])
        // A historical bar of a closed start again replaces it, without a duplicate.
        _ = builder.seed([history[0]], now: Self.t0 + 150_000)
        #expect(builder.bars.map(\.start) == [Self.t0, Self.t0 + 60_000, Self.t0 + 120_000])
    }

    @Test func liveTrendbarsReplaceTheFormingBar() {
        var builder = BarBuilder(period: .m1)
        _ = tick(&builder, 100, at: Self.t0 + 1_000)
        var event = ProtoOASpotEvent()
        event.bid = 103
        event.timestamp = Self.t0 + 2_000
        event.trendbar = [
            trendbar(
                .m1, minutes: UInt32(Self.t0 / 60_000), low: 97, deltaOpen: 3, deltaHigh: 6, deltaClose: 6, volume: 9),
            trendbar(.h1, minutes: UInt32(Self.t0 / 60_000), low: 1, deltaOpen: 1, deltaHigh: 1, deltaClose: 1),
        ]
        let changed = builder.apply(event, receivedAt: Self.t0 + 2_000)
        #expect(changed.count == 1)
        #expect(builder.forming.map { [$0.open, $0.high, $0.low, $0.close, $0.volume] } == [100, 103, 97, 103, 9])
        // A live bar of the next minute closes this one.
        let later = builder.applyLive(
            trendbar(.m1, minutes: UInt32(Self.t0 / 60_000) + 1, low: 104, deltaOpen: 0, deltaHigh: 0, deltaClose: 0))
        #expect(later.map(\.state) == [.closed, .forming])
    }

    /// The connection drops during the second minute and comes back in the fifth: the builder
    /// asks for the second minute to now; the history of that window fills the missed minutes once.
    @Test func aReconnectGapIsBackfilledWithoutDuplicates() throws {
        var builder = BarBuilder(period: .m1, configuration: .init(grace: 0))
        _ = tick(&builder, 100, at: Self.t0 + 10_000)
        _ = tick(&builder, 101, at: Self.t0 + 70_000)
        builder.connectionLost(at: Self.t0 + 80_000)
        _ = builder.advance(to: Self.t0 + 120_000)  // the timer closes the second minute meanwhile
        let reconnected = builder.reconnected(at: Self.t0 + 250_000)
        let window = try #require(reconnected)
        #expect(window == HistoryWindow(from: Self.t0 + 60_000, to: Self.t0 + 250_000))
        #expect(builder.backfillRange == window)
        _ = tick(&builder, 106, at: Self.t0 + 251_000)

        let minute = UInt32(Self.t0 / 60_000)
        let history = (1...4).map { offset in
            trendbar(
                .m1, minutes: minute + UInt32(offset), low: 100 + Int64(offset), deltaOpen: 0, deltaHigh: 2,
                deltaClose: 1)
        }
        let changed = builder.backfill(history, covering: window, now: Self.t0 + 252_000)
        #expect(changed.map(\.start) == (1...4).map { Self.t0 + Int64($0) * 60_000 })
        #expect(builder.backfillRange == nil)
        let starts = builder.bars.map(\.start)
        #expect(starts == (0...4).map { Self.t0 + Int64($0) * 60_000 })
        #expect(Set(starts).count == starts.count)
        #expect(builder.bars.map(\.state) == [.closed, .confirmed, .confirmed, .confirmed, .forming])
        // Feeding the same window again changes no start and adds no bar.
        _ = builder.backfill(history, covering: window, now: Self.t0 + 252_000)
        #expect(builder.bars.map(\.start) == starts)
    }

    @Test func aPartialBackfillLeavesTheRestOfTheRange() throws {
        var builder = BarBuilder(period: .m1)
        _ = tick(&builder, 100, at: Self.t0)
        builder.connectionLost(at: Self.t0 + 1_000)
        let reconnected = builder.reconnected(at: Self.t0 + 600_000)
        let window = try #require(reconnected)
        _ = builder.backfill(
            [], covering: HistoryWindow(from: window.from, to: Self.t0 + 300_000), now: Self.t0 + 600_000)
        #expect(builder.backfillRange == HistoryWindow(from: Self.t0 + 300_000, to: Self.t0 + 600_000))
    }

    @Test func closedBarsAreBoundedByTheLimit() {
        var builder = BarBuilder(period: .m1, configuration: .init(maximumBars: 3))
        for minute in 0..<6 { _ = tick(&builder, 100, at: Self.t0 + Int64(minute) * 60_000) }
        #expect(builder.closedBars.map(\.start) == (2...4).map { Self.t0 + Int64($0) * 60_000 })
    }
}
