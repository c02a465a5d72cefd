// swift-ctrader: folding two spot events of one symbol into one keeps both sides.

import CTraderMessaging
import Testing

@Suite struct SpotEventMergingTests {
    private func spot(bid: UInt64? = nil, ask: UInt64? = nil, timestamp: Int64? = nil) -> ProtoOASpotEvent {
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 7
        spot.symbolID = 1
        if let bid { spot.bid = bid }
        if let ask { spot.ask = ask }
        if let timestamp { spot.timestamp = timestamp }
        return spot
    }

    private func bar(_ period: ProtoOATrendbarPeriod, low: Int64) -> ProtoOATrendbar {
        var bar = ProtoOATrendbar()
        bar.period = period
        bar.low = low
        return bar
    }

    @Test func aBidOnlyAndAnAskOnlyUpdateMergeIntoOneQuote() {
        let merged = spot(bid: 110_000, timestamp: 1).merging(newer: spot(ask: 110_020, timestamp: 2))
        #expect(merged.bid == 110_000)
        #expect(merged.ask == 110_020)
        #expect(merged.timestamp == 2)
        #expect(merged.ctidTraderAccountID == 7 && merged.symbolID == 1)
    }

    @Test func theNewerEventsFieldsWin() {
        var older = spot(bid: 1, ask: 2, timestamp: 1)
        older.sessionClose = 100
        var newer = spot(bid: 3)
        newer.sessionClose = 200
        let merged = older.merging(newer: newer)
        #expect(merged.bid == 3)
        #expect(merged.ask == 2)
        #expect(merged.sessionClose == 200)
        // The timestamp is the newer event's: it has none.
        #expect(!merged.hasTimestamp)
        #expect(spot(bid: 1).merging(newer: spot(ask: 2)).hasSessionClose == false)
    }

    @Test func trendbarsMergePerPeriod() {
        var older = spot(bid: 1)
        older.trendbar = [bar(.m1, low: 10), bar(.h1, low: 11)]
        var newer = spot(bid: 2)
        newer.trendbar = [bar(.m1, low: 20)]
        let merged = older.merging(newer: newer)
        #expect(merged.trendbar.map(\.period) == [.m1, .h1])
        #expect(merged.trendbar.map(\.low) == [20, 11])
    }
}
