// swift-ctrader: order books rebuilt through a client equal the simulator's book, across many
// updates and across a dropped connection.

import CTrader
import Foundation
import Testing

/// The simulator's book of a symbol while its quote is pinned (`Simulator.setQuote`): its depth
/// event lists `depthLevels` quotes a side, level `n` at `n × point × max(1, spread / 2)` from the
/// quote, of size `minVolume × (10 + 7n)` (SimulatorEngine+MarketData.swift).
private func simulatorBook(
    symbolId: Int64, bid: Int64, ask: Int64
) throws -> (bids: [OrderBook.Level], asks: [OrderBook.Level]) {
    let symbol = try #require(SymbolCatalogue.standard.symbol(symbolId))
    var point: Int64 = 1
    for _ in 0..<max(0, 5 - Int(symbol.digits)) { point *= 10 }
    var bids: [OrderBook.Level] = []
    var asks: [OrderBook.Level] = []
    for level in 0..<SimulatorEngine.Configuration().depthLevels {
        let offset = Int64(level) * point * max(1, symbol.spreadPoints / 2)
        let size = UInt64(symbol.minVolume) * UInt64(10 + 7 * level)
        bids.append(OrderBook.Level(relativePrice: UInt64(max(point, bid - offset)), size: size, quoteCount: 1))
        asks.append(OrderBook.Level(relativePrice: UInt64(ask + offset), size: size, quoteCount: 1))
    }
    return (bids, asks)
}

@Suite(.timeLimit(.minutes(3))) struct LiveOrderBooksTests {
    @Test func theRebuiltBookEqualsTheSimulatorsBookAfterManyUpdates() async throws {
        try await withSimulatorClient { simulator, client in
            let books = await client.liveOrderBooks(account: hedged)
            var updates = await books.updates(bufferSize: 100_000).makeAsyncIterator()
            try await client.subscribeDepth(account: hedged, symbols: [1])
            var applied = 0
            for step in 0..<12 {
                let bid: Int64 = 108_000 + Int64(step * 13)
                let ask = bid + 12
                await simulator.setQuote(symbolId: 1, bid: bid, ask: ask)
                let expected = try simulatorBook(symbolId: 1, bid: bid, ask: ask)
                // Each tick replaces the whole book (every quote deleted by id, new ids added).
                let state = try await next(&updates) { state in
                    applied += 1
                    return state.symbolId == 1 && state.book.bids() == expected.bids
                        && state.book.asks() == expected.asks
                }
                #expect(state.isLive)
                #expect(state.book.quotes.count == expected.bids.count + expected.asks.count)
            }
            #expect(applied >= 12)
            #expect(await books.contradictions == 0)
            await simulator.clearQuote(symbolId: 1)
        }
    }

    @Test func booksAreStaleAcrossADroppedConnectionThenRebuiltWhole() async throws {
        try await withSimulatorClient { simulator, client in
            let books = await client.liveOrderBooks(account: hedged)
            var updates = await books.updates(bufferSize: 100_000).makeAsyncIterator()
            await simulator.setQuote(symbolId: 1, bid: 108_000, ask: 108_012)
            let expected = try simulatorBook(symbolId: 1, bid: 108_000, ask: 108_012)
            try await client.subscribeDepth(account: hedged, symbols: [1])
            _ = try await next(&updates) { $0.isLive && $0.book.bids() == expected.bids }

            await simulator.faults.dropAllConnections()
            let stale = try await next(&updates) { $0.status == .stale }
            #expect(!stale.book.isEmpty)  // the last book is kept, marked stale

            // After the restore the server sends the book whole: it replaces the old one, not added to it.
            let rebuilt = try await next(&updates) { $0.isLive }
            #expect(rebuilt.book.bids() == expected.bids)
            #expect(rebuilt.book.asks() == expected.asks)
            #expect(rebuilt.book.quotes.count == expected.bids.count + expected.asks.count)
            let later = try await next(&updates) { _ in true }
            #expect(later.isLive)
            #expect(later.book.bids() == expected.bids)
            #expect(await books.contradictions == 0)
            await simulator.clearQuote(symbolId: 1)
        }
    }

    @Test func aBookSubscribedBeforeItWasFollowedIsResynchronized() async throws {
        try await withSimulatorClient { simulator, client in
            await simulator.setQuote(symbolId: 1, bid: 108_000, ask: 108_012)
            let expected = try simulatorBook(symbolId: 1, bid: 108_000, ask: 108_012)
            // Subscribed, and the first (whole) book delivered, before the books follow it: the
            // next event deletes quotes they never saw.
            var raw = client.depth().makeAsyncIterator()
            try await client.subscribeDepth(account: hedged, symbols: [1])
            _ = try await raw.next()
            let books = await client.liveOrderBooks(account: hedged)
            var updates = await books.updates(bufferSize: 100_000).makeAsyncIterator()
            let resynchronizing = try await next(&updates) {
                if case .resynchronizing(.unknownQuoteId) = $0.status { true } else { false }
            }
            #expect(resynchronizing.book.isEmpty)
            let live = try await next(&updates) { $0.isLive }
            #expect(live.book.bids() == expected.bids)
            #expect(live.book.asks() == expected.asks)
            #expect(await books.contradictions >= 1)
            // Renewed: unsubscribed, then subscribed again.
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaUnsubscribeDepthQuotesReq) >= 1)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaSubscribeDepthQuotesReq) >= 2)
            await simulator.clearQuote(symbolId: 1)
        }
    }
}
