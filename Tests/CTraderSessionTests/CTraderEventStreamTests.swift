// swift-ctrader: event streams merge one-sided quotes, count what they did, and leave the client
// when nobody can read them any more.

import CTraderMessaging
import CTraderSession
import CTraderTestSupport
import Testing

private func spot(symbol: Int64, bid: UInt64? = nil, ask: UInt64? = nil) -> ProtoOASpotEvent {
    var spot = ProtoOASpotEvent()
    spot.ctidTraderAccountID = 1
    spot.symbolID = symbol
    if let bid { spot.bid = bid }
    if let ask { spot.ask = ask }
    return spot
}

private func execution(account: Int64) -> ProtoOAExecutionEvent {
    var event = ProtoOAExecutionEvent()
    event.ctidTraderAccountID = account
    event.executionType = .orderAccepted
    return event
}

/// Waits (bounded) until the client counts `count` streams.
private func waitForStreamCount(_ client: CTraderClient, _ count: Int) async throws {
    try await withTimeout(.seconds(180), "waiting for \(count) registered streams") {
        while client.activeStreamCount != count { await Task.yield() }
    }
}

@Suite(.timeLimit(.minutes(5))) struct CTraderEventStreamTests {
    @Test func oneSidedSpotsMergeUnderBackpressureAndTheStreamCountsIt() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let spots = client.spots(bufferSize: 2)
        let markers = client.executions()
        let connection = try await connectClient(client, server: server)
        try await connection.send(spot(symbol: 2, bid: 5))
        try await connection.send(spot(symbol: 1, bid: 110_000))  // the buffer is full now
        try await connection.send(spot(symbol: 1, ask: 110_020))  // merges into the bid-only quote
        try await connection.send(spot(symbol: 3, bid: 7))  // drops the oldest quote (symbol 2)
        // Events reach the streams in order: once the marker arrived, the quotes did.
        try await connection.send(execution(account: 1))
        var markerIterator = markers.makeAsyncIterator()
        _ = try await markerIterator.next()
        #expect(spots.statistics == CTraderStreamStatistics(delivered: 0, merged: 1, dropped: 1))

        var iterator = spots.makeAsyncIterator()
        let quote = try #require(try await iterator.next()?.message)
        #expect(quote.symbolID == 1)
        #expect(quote.bid == 110_000)
        #expect(quote.ask == 110_020)
        #expect(try await iterator.next()?.message?.symbolID == 3)
        #expect(spots.statistics == CTraderStreamStatistics(delivered: 2, merged: 1, dropped: 1))
        await client.shutdown()
    }

    @Test func aFailStreamCountsTheEventThatOverflowedIt() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let executions = client.executions(bufferSize: 1)
        let markers = client.orderErrors()
        let connection = try await connectClient(client, server: server)
        let registered = client.activeStreamCount
        for account in [1, 2] as [Int64] {
            try await connection.send(execution(account: account))
        }
        var marker = ProtoOAOrderErrorEvent()
        marker.ctidTraderAccountID = 1
        marker.errorCode = "MARKET_CLOSED"
        try await connection.send(marker)
        var markerIterator = markers.makeAsyncIterator()
        _ = try await markerIterator.next()
        // The failed stream left the client at once.
        #expect(client.activeStreamCount == registered - 1)
        #expect(executions.statistics == CTraderStreamStatistics(delivered: 0, merged: 0, dropped: 1))

        var iterator = executions.makeAsyncIterator()
        #expect(try await iterator.next()?.message?.ctidTraderAccountID == 1)
        await #expect(throws: CTraderError.self) { try await iterator.next() }
        #expect(executions.statistics == CTraderStreamStatistics(delivered: 1, merged: 0, dropped: 1))
        await client.shutdown()
    }

    @Test func aReleasedOrCancelledStreamLeavesTheClient() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let connection = try await connectClient(client, server: server)
        let before = client.activeStreamCount

        // Made and dropped unread.
        _ = client.spots()
        try await waitForStreamCount(client, before)

        // Read a little, then the iterator (the stream's last reference) is released.
        var iterator: CTraderEventStream<ProtoOASpotEvent>.AsyncIterator? = client.spots().makeAsyncIterator()
        #expect(client.activeStreamCount == before + 1)
        try await connection.send(spot(symbol: 1, bid: 1))
        #expect(try await iterator?.next()?.message?.bid == 1)
        iterator = nil
        try await waitForStreamCount(client, before)

        // The consuming task is cancelled while it waits.
        let reader = Task {
            for try await _ in client.spots() {}
        }
        try await waitForStreamCount(client, before + 1)
        reader.cancel()
        _ = await reader.result
        try await waitForStreamCount(client, before)

        // A stream still held ends with the client.
        let held = client.executions()
        #expect(client.activeStreamCount == before + 1)
        await client.shutdown()
        #expect(client.activeStreamCount == 0)
        var heldIterator = held.makeAsyncIterator()
        #expect(try await heldIterator.next() == nil)
    }
}
