// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Foundation
import Testing

/// A spot event of account 7 carrying the given sides.
func spot(_ symbolId: Int64, bid: UInt64? = nil, ask: UInt64? = nil, timestamp: Int64? = nil) -> ProtoOASpotEvent {
    var event = ProtoOASpotEvent()
    event.ctidTraderAccountID = 7
    event.symbolID = symbolId
    if let bid { event.bid = bid }
    if let ask { event.ask = ask }
    if let timestamp { event.timestamp = timestamp }
    return event
}

@Suite(.timeLimit(.minutes(3))) struct QuoteBoardTests {
    @Test func oneSidedSpotsMergeWithTheirOwnTimes() throws {
        var board = QuoteBoard()
        board.apply(spot(1, bid: 112_345, ask: 112_355, timestamp: 990), now: 1000)
        board.apply(spot(1, ask: 112_360, timestamp: 1490), now: 1500)
        board.apply(spot(2, bid: 98_765, timestamp: 1590), now: 1600)

        let one = try #require(board.quote(symbolId: 1))
        #expect(one.bid == QuoteBoard.Side(relativePrice: 112_345, serverTimestamp: 990, receivedAt: 1000))
        #expect(one.ask == QuoteBoard.Side(relativePrice: 112_360, serverTimestamp: 1490, receivedAt: 1500))
        #expect(one.bid?.price == Decimal(string: "1.12345"))
        #expect(one.ask?.price == Decimal(string: "1.1236"))
        #expect(one.spread == Decimal(string: "0.00015"))
        #expect(one.isFresh)
        #expect(one.bid?.age(at: 2000) == 1000)
        #expect(one.ask?.age(at: 2000) == 500)
        #expect(one.age(at: 2000) == 1000)

        let two = try #require(board.quote(symbolId: 2))
        #expect(two.bid?.price == Decimal(string: "0.98765"))
        #expect(two.ask == nil)
        #expect(!two.isFresh)
        #expect(two.spread == nil)
        #expect(two.age(at: 2000) == nil)
        #expect(board.quote(symbolId: 3) == nil)
    }

    @Test func staleAcrossAReconnectGapUntilEachSideIsSetAgain() throws {
        var board = QuoteBoard()
        board.apply(spot(1, bid: 112_345, ask: 112_355, timestamp: 990), now: 1000)
        board.connectionLost(at: 1700)
        #expect(board.isDisconnected)
        #expect(board.disconnectedSince == 1700)
        #expect(board.quote(symbolId: 1)?.bid?.isStale == true)
        #expect(board.quote(symbolId: 1)?.ask?.isStale == true)
        #expect(board.quote(symbolId: 1)?.isFresh == false)
        // A spot applied while disconnected is kept, but stale.
        board.apply(spot(1, bid: 112_000), now: 1800)
        #expect(
            board.quote(symbolId: 1)?.bid
                == QuoteBoard.Side(relativePrice: 112_000, serverTimestamp: nil, receivedAt: 1800, isStale: true))
        board.reconnected(at: 1900)
        #expect(!board.isDisconnected)
        #expect(board.quote(symbolId: 1)?.isFresh == false)
        // A bid-only spot refreshes the bid; the ask from before the gap stays stale.
        board.apply(spot(1, bid: 112_100, timestamp: 1995), now: 2000)
        #expect(board.quote(symbolId: 1)?.bid?.isStale == false)
        #expect(board.quote(symbolId: 1)?.ask?.isStale == true)
        #expect(board.quote(symbolId: 1)?.ask?.relativePrice == 112_355)
        #expect(board.quote(symbolId: 1)?.isFresh == false)
        board.apply(spot(1, ask: 112_110, timestamp: 2095), now: 2100)
        #expect(board.quote(symbolId: 1)?.isFresh == true)
        #expect(board.quote(symbolId: 1)?.spread == Decimal(string: "0.0001"))
    }

    @Test func olderSpotsAndEmptySpotsChangeNothing() throws {
        var board = QuoteBoard()
        board.apply(spot(1, bid: 112_100, ask: 112_110, timestamp: 1995), now: 2000)
        let before = board
        board.apply(spot(1, bid: 111_111, timestamp: 1000), now: 2200)  // out of order
        board.apply(spot(1, timestamp: 2300), now: 2300)  // neither side (a trendbar-only spot)
        #expect(board == before)
        board.remove(symbolId: 1)
        #expect(board.quote(symbolId: 1) == nil)
    }
}
