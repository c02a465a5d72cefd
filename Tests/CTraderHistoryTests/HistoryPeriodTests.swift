import CTraderHistory
import Testing

@Suite("HistoryPeriod: names, spans, bar starts")
struct HistoryPeriodTests {
    @Test func namesRoundTripAndNumberingMatchesTheOpenAPI() {
        for period in HistoryPeriod.allCases { #expect(HistoryPeriod(name: period.name.lowercased()) == period) }
        #expect(HistoryPeriod.m1.rawValue == 1)
        #expect(HistoryPeriod.m10.rawValue == 6)
        #expect(HistoryPeriod.mn1.rawValue == 14)
        #expect(HistoryPeriod(name: "M7") == nil)
    }

    @Test func theMaximumRequestSpansAreTheServers() {
        #expect(HistoryPeriod.m5.maximumRequestSpan == 302_400_000)
        #expect(HistoryPeriod.h1.maximumRequestSpan == 21_168_000_000)
        #expect(HistoryPeriod.d1.maximumRequestSpan == 31_622_400_000)
        #expect(HistoryPeriod.mn1.maximumRequestSpan == 158_112_000_000)
    }

    @Test func barStartsFloorToThePeriodWeekAndMonth() {
        // 2026-11-20T10:37:12.345Z, a Friday.
        let time: Int64 = 1_795_171_032_345
        #expect(HistoryPeriod.m1.barStart(containing: time) == 1_795_171_020_000)
        #expect(HistoryPeriod.h4.barStart(containing: time) == 1_795_161_600_000)
        // Monday 2026-11-16T00:00Z.
        #expect(HistoryPeriod.w1.barStart(containing: time) == 1_794_787_200_000)
        // 2026-11-01T00:00Z.
        #expect(HistoryPeriod.mn1.barStart(containing: time) == 1_793_491_200_000)
    }
}
