// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

func tickEntry(_ timestamp: Int64, _ tick: Int64) -> ProtoOATickData {
    var entry = ProtoOATickData()
    entry.timestamp = timestamp
    entry.tick = tick
    return entry
}

@Suite(.timeLimit(.minutes(3))) struct TickDecoderTests {
    /// Worked by hand. Four bids, oldest first:
    ///   1_700_000_000_000 ms  1.08512
    ///   1_700_000_000_250 ms  1.08515
    ///   1_700_000_000_250 ms  1.08514   (same millisecond)
    ///   1_700_000_001_000 ms  1.08520
    /// The server sends them newest first, the first absolute and each next one as the difference
    /// from the one before it in that order:
    ///   (1_700_000_001_000, 108_520)
    ///   (-750, -6)   1_700_000_001_000 - 750 = 1_700_000_000_250;  108_520 - 6 = 108_514
    ///   (0, +1)      1_700_000_000_250 + 0   = 1_700_000_000_250;  108_514 + 1 = 108_515
    ///   (-250, -3)   1_700_000_000_250 - 250 = 1_700_000_000_000;  108_515 - 3 = 108_512
    @Test func workedExample() throws {
        let entries = [
            tickEntry(1_700_000_001_000, 108_520), tickEntry(-750, -6), tickEntry(0, 1), tickEntry(-250, -3),
        ]
        var response = ProtoOAGetTickDataRes()
        response.tickData = entries
        let ticks = try TickDecoder.decode(response)
        #expect(
            ticks == [
                Tick(timestamp: 1_700_000_000_000, relativePrice: 108_512),
                Tick(timestamp: 1_700_000_000_250, relativePrice: 108_515),
                Tick(timestamp: 1_700_000_000_250, relativePrice: 108_514),
                Tick(timestamp: 1_700_000_001_000, relativePrice: 108_520),
            ])
        #expect(ticks.map(\.price) == ["1.08512", "1.08515", "1.08514", "1.0852"].map { Decimal(string: $0)! })
    }

    @Test func emptyAndSingle() throws {
        #expect(try TickDecoder.decode([]) == [])
        #expect(try TickDecoder.decode([tickEntry(5000, 99_000)]) == [Tick(timestamp: 5000, relativePrice: 99_000)])
    }

    @Test func brokenPagesNameTheRule() throws {
        #expect(throws: TickDecodingError.notNewestFirst(index: 1)) {
            try TickDecoder.decode([tickEntry(1000, 100_000), tickEntry(10, 1)])
        }
        #expect(throws: TickDecodingError.missingField(index: 1)) {
            try TickDecoder.decode([tickEntry(1000, 100_000), ProtoOATickData()])
        }
        #expect(throws: TickDecodingError.nonPositivePrice(index: 1)) {
            try TickDecoder.decode([tickEntry(1000, 100_000), tickEntry(-1, -100_000)])
        }
        #expect(throws: TickDecodingError.overflow(index: 1)) {
            try TickDecoder.decode([tickEntry(1000, Int64.max), tickEntry(-1, 1)])
        }
    }
}
