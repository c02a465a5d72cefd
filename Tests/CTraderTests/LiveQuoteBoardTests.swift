// swift-ctrader: a quote board fed through a client: fresh from the simulator's quotes, stale
// across a dropped connection, fresh again after the restore.

import Foundation
import Testing

@testable import CTrader

@Suite(.timeLimit(.minutes(3))) struct LiveQuoteBoardTests {
    @Test func theBoardHoldsTheSimulatorsQuote() async throws {
        try await withSimulatorClient { simulator, client in
            let quotes = await client.liveQuoteBoard(account: hedged)
            var updates = await quotes.updates(bufferSize: 100_000).makeAsyncIterator()
            try await client.subscribeSpots(account: hedged, symbols: [1])
            for step in 0..<6 {
                let bid: Int64 = 108_000 + Int64(step * 7)
                await simulator.setQuote(symbolId: 1, bid: bid, ask: bid + 12)
                // Spots after the first carry only the side that moved: the board merges them.
                let board = try await next(&updates) {
                    $0.quote(symbolId: 1)?.bid?.relativePrice == UInt64(bid)
                        && $0.quote(symbolId: 1)?.ask?.relativePrice == UInt64(bid + 12)
                }
                #expect(board.quote(symbolId: 1)?.isFresh == true)
            }
            await simulator.clearQuote(symbolId: 1)
        }
    }

    @Test func everyQuoteIsStaleAcrossADroppedConnectionUntilItsNextSpot() async throws {
        try await withSimulatorClient { simulator, client in
            let quotes = await client.liveQuoteBoard(account: hedged)
            var updates = await quotes.updates(bufferSize: 100_000).makeAsyncIterator()
            try await client.subscribeSpots(account: hedged, symbols: [1, 2])
            _ = try await next(&updates) {
                $0.quote(symbolId: 1)?.isFresh == true && $0.quote(symbolId: 2)?.isFresh == true
            }

            await simulator.faults.dropAllConnections()
            let lost = try await next(&updates) { $0.isDisconnected }
            #expect(lost.quote(symbolId: 1)?.isFresh == false)
            #expect(lost.quote(symbolId: 2)?.isFresh == false)
            #expect(lost.quote(symbolId: 1)?.bid?.isStale == true)
            #expect(lost.quote(symbolId: 1)?.ask?.isStale == true)

            // After the restore, the first spot of each symbol (both sides) makes it fresh again.
            let fresh = try await next(&updates) {
                !$0.isDisconnected && $0.quote(symbolId: 1)?.isFresh == true
                    && $0.quote(symbolId: 2)?.isFresh == true
            }
            #expect(fresh.quote(symbolId: 1)?.bid?.isStale == false)
            #expect(await quotes.isRunning)
        }
    }

    @Test func theBoardStopsWhenTheClientShutsDown() async throws {
        let simulator = try await startFastSimulator()
        let client = makeClient(simulator)
        try await connectAndAuthorize(client)
        let quotes = await client.liveQuoteBoard(account: hedged)
        var updates = await quotes.updates(bufferSize: 100_000).makeAsyncIterator()
        try await client.subscribeSpots(account: hedged, symbols: [1])
        _ = try await next(&updates) { $0.quote(symbolId: 1)?.isFresh == true }
        await client.shutdown()
        while await updates.next() != nil {}  // the updates end
        #expect(await quotes.isRunning == false)
        #expect(await quotes.board.quote(symbolId: 1)?.isFresh == false)
        await simulator.stop()
    }
}

/// The pairing of a lost connection (session events) with the reconnect markers (data streams),
/// whichever is read first.
@Suite struct ReconnectGapTests {
    /// Feeds `steps` to a gap of a session that was ready; returns what each step answered
    /// (`true`: mark everything stale now).
    private func answers(_ steps: [Step], hasBeenReady: Bool = true) -> [Bool] {
        var gap = ReconnectGap()
        gap.hasBeenReady = hasBeenReady
        return steps.map { step in
            switch step {
            case .reconnecting(let attempt): gap.reconnecting(attempt: attempt)
            case .marker: gap.marker()
            }
        }
    }

    private enum Step {
        case reconnecting(Int)
        case marker
    }

    @Test func aLossThenItsMarker() {
        // The loss opens the gap, its later attempts and its marker do not; the next loss does.
        #expect(
            answers([.reconnecting(1), .reconnecting(2), .marker, .reconnecting(1)]) == [true, false, false, true])
    }

    @Test func aMarkerReadBeforeItsLoss() {
        // The marker marks stale itself; that gap's late events open nothing; a new gap does.
        #expect(
            answers([.marker, .reconnecting(1), .reconnecting(2), .reconnecting(1)]) == [true, false, false, true])
    }

    @Test func aFirstConnectionThatFailsOpensNoGap() {
        #expect(answers([.reconnecting(1), .reconnecting(2)], hasBeenReady: false) == [false, false])
    }
}
