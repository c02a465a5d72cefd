// swift-ctrader: the async single-consumer buffer hands elements, ends and failures over.

import Testing
import _CTraderLocking

private struct Broken: Error, Equatable {}

@Suite(.timeLimit(.minutes(1))) struct AsyncSingleConsumerBufferTests {
    @Test func theConsumerDrainsThenGetsTheErrorOnceThenNil() async throws {
        let buffer = AsyncSingleConsumerBuffer<Int>(limit: 2, policy: .fail)
        #expect(buffer.push(1) == .appended)
        #expect(buffer.push(2) == .appended)
        #expect(buffer.push(3) == .failed)
        buffer.finish(throwing: Broken())
        #expect(buffer.push(4) == nil)
        #expect(try await buffer.next() == 1)
        #expect(try await buffer.next() == 2)
        await #expect(throws: Broken.self) { try await buffer.next() }
        #expect(try await buffer.next() == nil)
    }

    @Test func aWaitingConsumerGetsThePushedElement() async throws {
        let buffer = AsyncSingleConsumerBuffer<Int>(limit: 1, policy: .backpressure)
        async let element = buffer.next()
        // Pushes until the consumer took one (it may not be waiting yet: then it is buffered).
        #expect(buffer.push(7) == .appended)
        #expect(try await element == 7)
    }

    @Test func statisticsCountDeliveredCoalescedAndDropped() async throws {
        let policy = OverflowPolicy<Int>.coalesce(
            key: { $0 < 100 ? AnyHashable($0 % 10) : nil },
            merge: { buffered, newer in buffered = newer },
            compact: false,
            otherwise: .dropOldest
        )
        let buffer = AsyncSingleConsumerBuffer<Int>(limit: 2, policy: policy)
        #expect(buffer.push(1) == .appended)
        #expect(buffer.push(2) == .appended)
        #expect(buffer.push(11) == .coalesced)
        #expect(buffer.push(100) == .droppedOldest)
        #expect(buffer.statistics == BufferStatistics(delivered: 0, coalesced: 1, dropped: 1))
        #expect(try await buffer.next() == 2)
        #expect(try await buffer.next() == 100)
        #expect(buffer.statistics == BufferStatistics(delivered: 2, coalesced: 1, dropped: 1))
        #expect(buffer.push(3) == .appended)
        #expect(buffer.push(4) == .appended)
        let failing = AsyncSingleConsumerBuffer<Int>(limit: 1, policy: .fail)
        #expect(failing.push(1) == .appended)
        #expect(failing.push(2) == .failed)
        #expect(failing.statistics.dropped == 1)
    }

    @Test func aSecondConsumerGetsAnErrorAndTheFirstKeepsWaiting() async throws {
        let buffer = AsyncSingleConsumerBuffer<Int>(limit: 1, policy: .backpressure)
        let first = Task { try await buffer.next() }
        try await withTimeout(.seconds(60), timeoutError: { Broken() }) {
            while !buffer.hasWaitingConsumer { await Task.yield() }
        }
        await #expect(throws: ConcurrentConsumerError.self) { try await buffer.next() }
        // A second consumer whose task is cancelled does not cancel the first one's wait.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await buffer.next()
        }
        await #expect(throws: (any Error).self) { try await cancelled.value }
        #expect(buffer.hasWaitingConsumer)
        #expect(buffer.push(5) == .appended)
        #expect(try await first.value == 5)
    }

    @Test func discardingEndsAtOnce() async throws {
        let buffer = AsyncSingleConsumerBuffer<Int>(limit: 4, policy: .backpressure)
        _ = buffer.push(1)
        buffer.finish(discarding: true)
        #expect(try await buffer.next() == nil)
    }

    @Test func cancellationEndsAWait() async throws {
        let buffer = AsyncSingleConsumerBuffer<Int>(limit: 1, policy: .backpressure)
        let consumer = Task { try await buffer.next() }
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
    }
}

@Suite(.timeLimit(.minutes(1))) struct WithTimeoutTests {
    @Test func aBodyThatFinishesGivesItsResult() async throws {
        #expect(try await withTimeout(.seconds(60), timeoutError: { Broken() }) { 42 } == 42)
    }

    @Test func aBodyThatIgnoresCancellationStillTimesOut() async throws {
        let never = FirstOutcome<Int>()
        await #expect(throws: Broken.self) {
            try await withTimeout(.milliseconds(10), timeoutError: { Broken() }) {
                // Waits for an outcome nobody settles, ignoring cancellation.
                try await never.value()
            }
        }
        never.settle(.success(0))
    }
}
