// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Testing

@Suite(.timeLimit(.minutes(3))) struct HistorySpansTests {
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
}
