// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

/// A trendbar from relative prices (deltas from `low`) at minute `minutes`.
func trendbar(
    _ period: ProtoOATrendbarPeriod, minutes: UInt32, low: Int64, deltaOpen: UInt64, deltaHigh: UInt64,
    deltaClose: UInt64, volume: Int64 = 10
) -> ProtoOATrendbar {
    var bar = ProtoOATrendbar()
    bar.period = period
    bar.utcTimestampInMinutes = minutes
    bar.low = low
    bar.deltaOpen = deltaOpen
    bar.deltaHigh = deltaHigh
    bar.deltaClose = deltaClose
    bar.volume = volume
    return bar
}

@Suite(.timeLimit(.minutes(3))) struct BarTests {
    @Test func aTrendbarIsLowPlusItsDeltas() throws {
        let bar = try #require(
            Bar(
                trendbar(.m1, minutes: 100, low: 112_000, deltaOpen: 5, deltaHigh: 20, deltaClose: 12),
                state: .confirmed))
        #expect(bar.start == 6_000_000)
        #expect([bar.open, bar.high, bar.low, bar.close] == [112_005, 112_020, 112_000, 112_012])
        #expect(bar.volume == 10)
        #expect(!bar.repaired)
        #expect(bar.openPrice == Decimal(string: "1.12005"))
    }

    /// openapi-proto-messages#39: `deltaHigh` 0 while `deltaClose` is not (and while the open is
    /// above the low): the high is raised to the larger of open and close, and the bar flagged.
    @Test func theDeltaHighQuirkIsRepairedAndFlagged() throws {
        let bar = try #require(
            Bar(trendbar(.m1, minutes: 1, low: 112_000, deltaOpen: 7, deltaHigh: 0, deltaClose: 15), state: .confirmed))
        #expect(bar.high == 112_015)
        #expect(bar.low == 112_000)
        #expect(bar.repaired)
        #expect(bar.high >= max(bar.open, bar.close) && bar.low <= min(bar.open, bar.close))

        // Open above the reported high, close at the low (deltaClose 0).
        let other = try #require(
            Bar(trendbar(.m1, minutes: 1, low: 112_000, deltaOpen: 30, deltaHigh: 10, deltaClose: 0), state: .confirmed)
        )
        #expect(other.high == 112_030)
        #expect(other.repaired)

        // A consistent bar with deltaHigh 0 (all four prices equal) is left alone.
        let flat = try #require(
            Bar(trendbar(.m1, minutes: 1, low: 112_000, deltaOpen: 0, deltaHigh: 0, deltaClose: 0), state: .confirmed))
        #expect(!flat.repaired)
    }
}
