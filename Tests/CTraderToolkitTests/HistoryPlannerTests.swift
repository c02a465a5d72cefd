// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Testing

@Suite(.timeLimit(.minutes(1))) struct HistoryPlannerTests {
    /// The server's maximum `toTimestamp - fromTimestamp` per request, from the official table.
    static let officialSpans: [(HistoryKind, Int64)] = [
        (.trendbars(.m1), 302_400_000), (.trendbars(.m2), 302_400_000), (.trendbars(.m3), 302_400_000),
        (.trendbars(.m4), 302_400_000), (.trendbars(.m5), 302_400_000),
        (.trendbars(.m10), 21_168_000_000), (.trendbars(.m15), 21_168_000_000),
        (.trendbars(.m30), 21_168_000_000), (.trendbars(.h1), 21_168_000_000),
        (.trendbars(.h4), 31_622_400_000), (.trendbars(.h12), 31_622_400_000), (.trendbars(.d1), 31_622_400_000),
        (.trendbars(.w1), 158_112_000_000), (.trendbars(.mn1), 158_112_000_000),
        (.ticks, 604_800_000),
    ]

    @Test func spanTable() {
        for (kind, span) in Self.officialSpans { #expect(kind.maximumSpan == span, "\(kind)") }
        #expect(Self.officialSpans.count == ProtoOATrendbarPeriod.allCases.count + 1)
    }

    @Test(arguments: officialSpans.map(\.1)) func boundaries(span: Int64) throws {
        let from: Int64 = 1_600_000_000_000
        // Exactly one span: one request.
        #expect(
            try HistorySpans.windows(from: from, to: from + span, maximumSpan: span) == [
                HistoryWindow(from: from, to: from + span)
            ])
        // One millisecond more: a second request for the last millisecond.
        #expect(
            try HistorySpans.windows(from: from, to: from + span + 1, maximumSpan: span) == [
                HistoryWindow(from: from, to: from + span), HistoryWindow(from: from + span, to: from + span + 1),
            ])
        // Exact multiples: three spans, three requests sharing their boundaries.
        #expect(
            try HistorySpans.windows(from: from, to: from + 3 * span, maximumSpan: span) == [
                HistoryWindow(from: from, to: from + span),
                HistoryWindow(from: from + span, to: from + 2 * span),
                HistoryWindow(from: from + 2 * span, to: from + 3 * span),
            ])
        // to == from: one empty request.
        #expect(
            try HistorySpans.windows(from: from, to: from, maximumSpan: span) == [HistoryWindow(from: from, to: from)])
    }

    @Test func perKindAndErrors() throws {
        // M5 over 7 days (604,800,000 ms) = exactly two spans of 3.5 days.
        #expect(
            try HistorySpans.windows(for: .trendbars(.m5), from: 0, to: 604_800_000) == [
                HistoryWindow(from: 0, to: 302_400_000), HistoryWindow(from: 302_400_000, to: 604_800_000),
            ])
        // Ticks over a week and a day: two requests.
        #expect(try HistorySpans.windows(for: .ticks, from: 0, to: 691_200_000).count == 2)
        #expect(throws: HistorySpanError.fromAfterTo(from: 2, to: 1)) {
            try HistorySpans.windows(for: .ticks, from: 2, to: 1)
        }
        #expect(throws: HistorySpanError.negativeFrom(-1)) { try HistorySpans.windows(for: .ticks, from: -1, to: 1) }
        #expect(throws: HistorySpanError.nonPositiveSpan(0)) {
            try HistorySpans.windows(from: 0, to: 1, maximumSpan: 0)
        }
        #expect(throws: HistorySpanError.tooManyRequests(needed: 4, limit: 3)) {
            try HistorySpans.windows(from: 0, to: 31, maximumSpan: 10, maximumRequests: 3)
        }
    }

    @Test func pacerKeepsFivePerSecond() {
        var pacer = RequestPacer(limit: 5, window: 1000)
        for time: Int64 in [0, 100, 200, 300] {
            #expect(pacer.nextAllowed(at: time) == time)
            pacer.record(at: time)
        }
        #expect(pacer.nextAllowed(at: 400) == 400)
        pacer.record(at: 400)
        // Five in [0, 400]: the sixth waits until the first leaves the window.
        #expect(pacer.nextAllowed(at: 500) == 1000)
        #expect(pacer.nextAllowed(at: 1200) == 1200)
        pacer.record(at: 1000)
        #expect(pacer.nextAllowed(at: 1000) == 1100)
        #expect(pacer.recent == [100, 200, 300, 400, 1000])
    }

    @Test func plannerPacesAndReportsProgress() throws {
        let span: Int64 = 302_400_000
        var plan = try HistoryPlanner(
            kind: .trendbars(.m1), from: 0, to: 6 * span + 1, pacer: RequestPacer(limit: 5, window: 1000))
        #expect(plan.windows.count == 7)
        #expect(plan.progress == HistoryProgress(done: 0, total: 7))
        var now: Int64 = 0
        var sent: [(Int64, HistoryWindow)] = []
        loop: while true {
            switch plan.next(at: now) {
            case .send(let window):
                plan.sent(at: now)
                sent.append((now, window))
                plan.completed()
            case .wait(let until):
                #expect(until > now)
                now = until
            case .finished: break loop
            }
        }
        // Five at once, then two when the first second is over.
        #expect(sent.map(\.0) == [0, 0, 0, 0, 0, 1000, 1000])
        #expect(sent.map(\.1) == plan.windows)
        #expect(sent.last?.1 == HistoryWindow(from: 6 * span, to: 6 * span + 1))
        #expect(plan.progress == HistoryProgress(done: 7, total: 7))
        #expect(plan.progress.isComplete)
    }

    @Test func extraPagesCountAgainstTheLimit() throws {
        var plan = HistoryPlanner(
            windows: [HistoryWindow(from: 0, to: 10), HistoryWindow(from: 10, to: 20)],
            pacer: RequestPacer(limit: 2, window: 1000))
        #expect(plan.next(at: 0) == .send(HistoryWindow(from: 0, to: 10)))
        plan.sent(at: 0)
        plan.recordExtraRequest(at: 50)  // the first window had more
        plan.completed()
        #expect(plan.next(at: 60) == .wait(until: 1000))
        #expect(plan.progress == HistoryProgress(done: 1, total: 2))
        #expect(plan.next(at: 1000) == .send(HistoryWindow(from: 10, to: 20)))
    }
}
