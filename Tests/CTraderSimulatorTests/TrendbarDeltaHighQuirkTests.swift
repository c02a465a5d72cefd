// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import Testing

/// The server's `deltaHigh` quirk (spotware/openapi-proto-messages#39), reproduced on demand:
/// historical trendbars whose `deltaClose` is 0 come with `deltaHigh` 0.
@Suite("Simulator: the deltaHigh quirk", .timeLimit(.minutes(5)))
struct TrendbarDeltaHighQuirkTests {
    static func bars(quirk: Bool) -> [ProtoOATrendbar] {
        var h = EngineHarness.ready()
        h.engine.faults.trendbarDeltaHighQuirk = quirk
        var req = ProtoOAGetTrendbarsReq()
        req.ctidTraderAccountID = EngineHarness.hedged
        req.symbolID = 1
        req.period = .m1
        req.fromTimestamp = h.now - 2 * 86_400_000
        req.toTimestamp = h.now
        return h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)?.trendbar ?? []
    }

    @Test func barsClosingAtTheirLowLoseTheirHighOnlyWithTheQuirk() {
        let honest = Self.bars(quirk: false)
        let quirky = Self.bars(quirk: true)
        #expect(honest.count > 2_000)
        #expect(quirky.count == honest.count)
        // The bars that close at their low and still rose above it: the ones the quirk changes.
        let affected = honest.indices.filter { honest[$0].deltaClose == 0 && honest[$0].deltaHigh > 0 }
        #expect(affected.count > 10)
        for index in honest.indices {
            var expected = honest[index]
            if expected.deltaClose == 0 { expected.deltaHigh = 0 }
            #expect(quirky[index] == expected)
        }
        // Off by default.
        #expect(SimulatorEngine.Faults().trendbarDeltaHighQuirk == false)
    }
}
