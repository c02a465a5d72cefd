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
