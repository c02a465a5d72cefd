// swift-ctrader: the toolkit's order book and quote board, fed by the simulator's own events,
// agree with the simulator's quote tick after tick.

import CTraderMessaging
import CTraderSimulator
import CTraderToolkit
import Testing

@Suite struct EngineDepthBookTests {
    /// Subscribes account `hedged` to spots and depth of symbol 1 and feeds every event to a
    /// ``QuoteBoard`` and an ``OrderBook``.
    private struct Feed {
        var harness = EngineHarness.ready()
        var board = QuoteBoard()
        var book = OrderBook(symbolId: 1)

        mutating func take(_ envelopes: [Envelope]) throws {
            for envelope in envelopes {
                if let spot = envelope.message(as: ProtoOASpotEvent.self) {
                    board.apply(spot, now: harness.now)
                } else if let depth = envelope.message(as: ProtoOADepthEvent.self) {
                    try book.apply(depth)
                }
            }
        }
    }

    @Test func theRebuiltBookAndBoardMatchTheSimulatorsQuoteTickAfterTick() throws {
        var feed = Feed()
        var spots = ProtoOASubscribeSpotsReq()
        spots.ctidTraderAccountID = EngineHarness.hedged
        spots.symbolID = [1]
        var depth = ProtoOASubscribeDepthQuotesReq()
        depth.ctidTraderAccountID = EngineHarness.hedged
        depth.symbolID = [1]
        try feed.take(feed.harness.request(spots))
        try feed.take(feed.harness.request(depth))
        let levels = SimulatorEngine.Configuration(seed: 42).depthLevels

        var moves = 0
        var previous: (bid: Int64, ask: Int64)?
        for _ in 0..<300 {
            try feed.take(EngineHarness.envelopes(feed.harness.tick()))
            let quote = feed.harness.bidAsk(1)
            if let previous, previous != quote { moves += 1 }
            previous = quote
            // The book's best levels are the simulator's quote; every replaced quote is gone.
            #expect(feed.book.bestBid?.relativePrice == UInt64(quote.bid))
            #expect(feed.book.bestAsk?.relativePrice == UInt64(quote.ask))
            #expect(feed.book.bids().count == levels)
            #expect(feed.book.asks().count == levels)
            #expect(!feed.book.isCrossed)
            // The board, merged from one-sided spots, holds the same quote.
            let board = feed.board.quote(symbolId: 1)
            #expect(board?.bid?.relativePrice == UInt64(quote.bid))
            #expect(board?.ask?.relativePrice == UInt64(quote.ask))
        }
        // The market moved, so the comparison covered replaced books, not one book 300 times.
        #expect(moves > 10)
    }
}
