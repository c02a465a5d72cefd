// swift-ctrader: the overflow policies of the single-consumer buffer, as plain values.

import Testing
import _CTraderLocking

/// A quote-like element: a key, and a bid and an ask that a push may lack.
private struct Quote: Equatable, Sendable {
    var symbol: Int?
    var bid: Int?
    var ask: Int?
    var serial: Int
}

private func drain<Element>(_ buffer: inout SingleConsumerBuffer<Element>) -> [Element] {
    var elements: [Element] = []
    while let element = buffer.pop() { elements.append(element) }
    return elements
}

@Suite struct SingleConsumerBufferTests {
    @Test func belowTheLimitEveryPolicyAppendsInOrder() {
        let policies: [OverflowPolicy<Int>] = [.backpressure, .dropOldest, .fail]
        for policy in policies {
            var buffer = SingleConsumerBuffer(limit: 3, policy: policy)
            #expect(buffer.push(1) == .appended)
            #expect(buffer.push(2) == .appended)
            #expect(buffer.pop() == 1)
            #expect(buffer.push(3) == .appended)
            #expect(buffer.push(4) == .appended)
            #expect(buffer.isFull)
            #expect(drain(&buffer) == [2, 3, 4])
            #expect(buffer.isEmpty)
        }
    }

    @Test func aLimitBelowOneMeansOne() {
        var buffer = SingleConsumerBuffer<Int>(limit: 0, policy: .backpressure)
        #expect(buffer.limit == 1)
        #expect(buffer.push(1) == .appended)
        #expect(buffer.push(2) == .full)
    }

    @Test func backpressureRefusesWhenFullAndTakesAgainAfterAPop() {
        var buffer = SingleConsumerBuffer<Int>(limit: 2, policy: .backpressure)
        _ = buffer.push(1)
        _ = buffer.push(2)
        #expect(buffer.push(3) == .full)
        #expect(Array(buffer.elements) == [1, 2])
        #expect(buffer.pop() == 1)
        #expect(buffer.push(3) == .appended)
        #expect(drain(&buffer) == [2, 3])
    }

    @Test func dropOldestMakesRoomForTheNewest() {
        var buffer = SingleConsumerBuffer<Int>(limit: 3, policy: .dropOldest)
        for value in 1...3 { _ = buffer.push(value) }
        #expect(buffer.push(4) == .droppedOldest)
        #expect(buffer.push(5) == .droppedOldest)
        #expect(drain(&buffer) == [3, 4, 5])
    }

    @Test func dropOldestSkipsWhatIsNotEvictableAndDropsTheNewcomerWhenNothingIs() {
        // Negative values are markers that must stay.
        var buffer = SingleConsumerBuffer<Int>(limit: 3, policy: .dropOldest(evictable: { $0 >= 0 }))
        _ = buffer.push(-1)
        _ = buffer.push(1)
        _ = buffer.push(2)
        #expect(buffer.push(3) == .droppedOldest)
        #expect(Array(buffer.elements) == [-1, 2, 3])
        var markers = SingleConsumerBuffer<Int>(limit: 2, policy: .dropOldest(evictable: { $0 >= 0 }))
        _ = markers.push(-1)
        _ = markers.push(-2)
        #expect(markers.push(5) == .dropped)
        #expect(drain(&markers) == [-1, -2])
    }

    @Test func failRefusesWhenFullAndKeepsWhatIsBuffered() {
        var buffer = SingleConsumerBuffer<Int>(limit: 2, policy: .fail)
        _ = buffer.push(1)
        _ = buffer.push(2)
        #expect(buffer.push(3) == .failed)
        #expect(drain(&buffer) == [1, 2])
    }

    @Test func pushIgnoringLimitGoesPastAFullBuffer() {
        var buffer = SingleConsumerBuffer<Int>(limit: 1, policy: .fail)
        _ = buffer.push(1)
        buffer.pushIgnoringLimit(2)
        #expect(buffer.count == 2)
        #expect(buffer.push(3) == .failed)
        #expect(drain(&buffer) == [1, 2])
    }

    /// Bid-only and ask-only quotes merge: the newer's sides win, the older's fill the gaps.
    private static func mergeSides(_ buffered: inout Quote, _ newer: Quote) {
        var merged = newer
        if merged.bid == nil { merged.bid = buffered.bid }
        if merged.ask == nil { merged.ask = buffered.ask }
        buffered = merged
    }

    private static func coalescing(compact: Bool, otherwise: OverflowPolicy<Quote>) -> OverflowPolicy<Quote> {
        .coalesce(
            key: { $0.symbol.map { AnyHashable($0) } },
            merge: { mergeSides(&$0, $1) },
            compact: compact,
            otherwise: otherwise
        )
    }

    @Test func coalesceMergesIntoTheBufferedElementOfTheSameKeyInItsPlace() {
        var buffer = SingleConsumerBuffer(limit: 2, policy: Self.coalescing(compact: false, otherwise: .fail))
        #expect(buffer.push(Quote(symbol: 1, bid: 10, ask: nil, serial: 1)) == .appended)
        #expect(buffer.push(Quote(symbol: 2, bid: 20, ask: 21, serial: 2)) == .appended)
        #expect(buffer.push(Quote(symbol: 1, bid: nil, ask: 11, serial: 3)) == .coalesced)
        #expect(buffer.push(Quote(symbol: 1, bid: 12, ask: nil, serial: 4)) == .coalesced)
        #expect(
            drain(&buffer) == [
                Quote(symbol: 1, bid: 12, ask: 11, serial: 4),
                Quote(symbol: 2, bid: 20, ask: 21, serial: 2),
            ]
        )
    }

    @Test func coalesceFallsBackWhenNoKeyMatches() {
        var failing = SingleConsumerBuffer(limit: 2, policy: Self.coalescing(compact: false, otherwise: .fail))
        _ = failing.push(Quote(symbol: 1, serial: 1))
        _ = failing.push(Quote(symbol: 2, serial: 2))
        #expect(failing.push(Quote(symbol: 3, serial: 3)) == .failed)
        #expect(failing.push(Quote(symbol: nil, serial: 4)) == .failed)
        #expect(failing.count == 2)

        var dropping = SingleConsumerBuffer(limit: 2, policy: Self.coalescing(compact: false, otherwise: .dropOldest))
        _ = dropping.push(Quote(symbol: 1, serial: 1))
        _ = dropping.push(Quote(symbol: 2, serial: 2))
        #expect(dropping.push(Quote(symbol: 3, serial: 3)) == .droppedOldest)
        #expect(drain(&dropping).map(\.serial) == [2, 3])
    }

    @Test func coalesceWithoutCompactingLeavesBufferedDuplicatesAlone() {
        var buffer = SingleConsumerBuffer(limit: 3, policy: Self.coalescing(compact: false, otherwise: .fail))
        _ = buffer.push(Quote(symbol: 1, bid: 1, serial: 1))
        _ = buffer.push(Quote(symbol: 1, ask: 2, serial: 2))
        _ = buffer.push(Quote(symbol: 2, serial: 3))
        #expect(buffer.push(Quote(symbol: nil, serial: 4)) == .failed)
        #expect(buffer.count == 3)
    }

    @Test func coalesceCompactsBufferedDuplicatesToMakeRoom() {
        var buffer = SingleConsumerBuffer(limit: 4, policy: Self.coalescing(compact: true, otherwise: .fail))
        _ = buffer.push(Quote(symbol: 1, bid: 10, ask: nil, serial: 1))
        _ = buffer.push(Quote(symbol: nil, serial: 2))
        _ = buffer.push(Quote(symbol: 1, bid: nil, ask: 11, serial: 3))
        _ = buffer.push(Quote(symbol: 2, bid: 20, serial: 4))
        // An unkeyed element finds the buffer full: the two quotes of symbol 1 merge.
        #expect(buffer.push(Quote(symbol: nil, serial: 5)) == .coalesced)
        #expect(
            drain(&buffer) == [
                Quote(symbol: 1, bid: 10, ask: 11, serial: 3),
                Quote(symbol: nil, serial: 2),
                Quote(symbol: 2, bid: 20, serial: 4),
                Quote(symbol: nil, serial: 5),
            ]
        )
    }

    @Test func coalesceFailsWhenCompactingFreesNothing() {
        var buffer = SingleConsumerBuffer(limit: 2, policy: Self.coalescing(compact: true, otherwise: .fail))
        _ = buffer.push(Quote(symbol: 1, serial: 1))
        _ = buffer.push(Quote(symbol: nil, serial: 2))
        #expect(buffer.push(Quote(symbol: nil, serial: 3)) == .failed)
        #expect(drain(&buffer).map(\.serial) == [1, 2])
    }

    @Test func manyPushesAndPopsKeepOrder() {
        var buffer = SingleConsumerBuffer<Int>(limit: 10, policy: .backpressure)
        var popped: [Int] = []
        var next = 0
        for _ in 0..<500 {
            while buffer.push(next) == .appended { next += 1 }
            for _ in 0..<7 { if let value = buffer.pop() { popped.append(value) } }
        }
        popped += drain(&buffer)
        #expect(popped == Array(0..<next))
    }
}
