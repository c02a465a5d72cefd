// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

/// A depth quote of the scripted sequences.
func depthQuote(_ id: UInt64, bid: UInt64? = nil, ask: UInt64? = nil, size: UInt64) -> ProtoOADepthQuote {
    var quote = ProtoOADepthQuote()
    quote.id = id
    quote.size = size
    if let bid { quote.bid = bid }
    if let ask { quote.ask = ask }
    return quote
}

/// A depth event of symbol 1.
func depthEvent(new: [ProtoOADepthQuote] = [], deleted: [UInt64] = [], symbolId: UInt64 = 1) -> ProtoOADepthEvent {
    var event = ProtoOADepthEvent()
    event.ctidTraderAccountID = 7
    event.symbolID = symbolId
    event.newQuotes = new
    event.deletedQuotes = deleted
    return event
}

/// A level written by hand: relative price, summed size, number of quotes.
func level(_ price: UInt64, _ size: UInt64, _ count: Int) -> OrderBook.Level {
    OrderBook.Level(relativePrice: price, size: size, quoteCount: count)
}

@Suite(.timeLimit(.minutes(3))) struct OrderBookTests {
    /// The snapshot of the script: two bids at one price, one below; two asks at one price, one above.
    let snapshot = depthEvent(new: [
        depthQuote(1, bid: 110_000, size: 100),
        depthQuote(2, bid: 110_000, size: 50),
        depthQuote(3, bid: 109_990, size: 200),
        depthQuote(4, ask: 110_020, size: 70),
        depthQuote(5, ask: 110_030, size: 30),
        depthQuote(6, ask: 110_020, size: 10),
    ])

    @Test func snapshotSumsSizesByPrice() throws {
        var book = OrderBook(symbolId: 1)
        try book.apply(snapshot)
        #expect(book.bids() == [level(110_000, 150, 2), level(109_990, 200, 1)])
        #expect(book.asks() == [level(110_020, 80, 2), level(110_030, 30, 1)])
        #expect(book.bestBid?.price == Decimal(string: "1.1"))
        #expect(book.bestAsk?.price == Decimal(string: "1.1002"))
        #expect(book.quotes.count == 6)
        #expect(book.quotes[3] == OrderBook.Quote(id: 3, side: .bid, relativePrice: 109_990, size: 200))
        #expect(!book.isCrossed)
    }

    @Test func deletionsThenNewQuotesAndReplacementById() throws {
        var book = OrderBook(symbolId: 1)
        try book.apply(snapshot)
        // Deletes 1 (bid 110000 ×100) and 4 (ask 110020 ×70); adds a better bid; resizes id 2.
        try book.apply(
            depthEvent(
                new: [depthQuote(7, bid: 110_010, size: 25), depthQuote(2, bid: 110_000, size: 60)],
                deleted: [1, 4]))
        #expect(book.bids() == [level(110_010, 25, 1), level(110_000, 60, 1), level(109_990, 200, 1)])
        #expect(book.asks() == [level(110_020, 10, 1), level(110_030, 30, 1)])
        #expect(book.bids(top: 2) == [level(110_010, 25, 1), level(110_000, 60, 1)])
        #expect(book.asks(top: 1) == [level(110_020, 10, 1)])
        #expect(book.bids(top: 0) == [])
        #expect(book.quotes.count == 5)
        // A quote moving price under the same id leaves its old level.
        try book.apply(depthEvent(new: [depthQuote(7, bid: 109_990, size: 5)]))
        #expect(book.bids() == [level(110_000, 60, 1), level(109_990, 205, 2)])
    }

    @Test func contradictionsThrowAndLeaveTheBookUnchanged() throws {
        var book = OrderBook(symbolId: 1)
        try book.apply(snapshot)
        let before = book
        // The valid deletion of 5 must not survive the failing deletion of 99.
        #expect(throws: OrderBookError.unknownQuoteId(99)) { try book.apply(depthEvent(deleted: [5, 99])) }
        #expect(book == before)
        #expect(throws: OrderBookError.quoteChangedSide(id: 3)) {
            try book.apply(depthEvent(new: [depthQuote(3, ask: 110_050, size: 1)]))
        }
        #expect(throws: OrderBookError.quoteWithoutSide(id: 9)) {
            try book.apply(depthEvent(new: [depthQuote(9, size: 1)]))
        }
        #expect(throws: OrderBookError.quoteWithBothSides(id: 9)) {
            try book.apply(depthEvent(new: [depthQuote(9, bid: 1, ask: 2, size: 1)]))
        }
        #expect(throws: OrderBookError.wrongSymbol(expected: 1, received: 2)) {
            try book.apply(depthEvent(deleted: [1], symbolId: 2))
        }
        // Deleting twice: the second deletion names an id already gone.
        #expect(throws: OrderBookError.unknownQuoteId(1)) { try book.apply(depthEvent(deleted: [1, 1])) }
        #expect(book == before)
    }

    @Test func crossedBookIsReportedOrRejectedByPolicy() throws {
        let crossing = depthEvent(new: [depthQuote(8, ask: 109_995, size: 5)])
        var allowing = OrderBook(symbolId: 1)
        try allowing.apply(snapshot)
        try allowing.apply(crossing)
        #expect(allowing.isCrossed)
        #expect(allowing.bestAsk == level(109_995, 5, 1))

        var rejecting = OrderBook(symbolId: 1, crossedBookPolicy: .reject)
        try rejecting.apply(snapshot)
        let before = rejecting
        #expect(throws: OrderBookError.crossedBook(bestBid: 110_000, bestAsk: 109_995)) {
            try rejecting.apply(crossing)
        }
        #expect(rejecting == before)
        // A locked book (bid == ask) counts as crossed too.
        #expect(throws: OrderBookError.crossedBook(bestBid: 110_000, bestAsk: 110_000)) {
            try rejecting.apply(depthEvent(new: [depthQuote(8, ask: 110_000, size: 5)]))
        }
    }

    @Test func resetForResubscription() throws {
        var book = OrderBook(symbolId: 1)
        try book.apply(snapshot)
        book.reset()
        #expect(book.isEmpty)
        #expect(book.bestBid == nil && book.bestAsk == nil)
        #expect(book.bids() == [] && book.asks() == [])
        // The server sends the book again with the same ids: accepted as new.
        try book.apply(snapshot)
        #expect(book.bids() == [level(110_000, 150, 2), level(109_990, 200, 1)])
    }

    /// The simulator's shape: each event deletes every quote of the previous one and adds the
    /// new levels under fresh ids.
    @Test func replacingEveryQuoteEachEvent() throws {
        var book = OrderBook(symbolId: 1)
        try book.apply(
            depthEvent(new: [
                depthQuote(1, bid: 110_000, size: 100), depthQuote(2, ask: 110_010, size: 100),
                depthQuote(3, bid: 109_990, size: 170), depthQuote(4, ask: 110_020, size: 170),
            ]))
        try book.apply(
            depthEvent(
                new: [
                    depthQuote(5, bid: 110_005, size: 100), depthQuote(6, ask: 110_015, size: 100),
                    depthQuote(7, bid: 109_995, size: 170), depthQuote(8, ask: 110_025, size: 170),
                ],
                deleted: [1, 2, 3, 4]))
        #expect(book.bids() == [level(110_005, 100, 1), level(109_995, 170, 1)])
        #expect(book.asks() == [level(110_015, 100, 1), level(110_025, 170, 1)])
        #expect(book.quotes.keys.sorted() == [5, 6, 7, 8])
    }
}
