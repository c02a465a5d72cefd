// swift-ctrader: the messages sequence has one consumer; a second one gets a typed error.

import CTraderFraming
import CTraderTestSupport
import CTraderWebSocket
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketMessageStreamTests {
    @Test func aSecondConsumerGetsAlreadyConsumedAndTheFirstKeepsWorking() async throws {
        try await withTimeout {
            let (client, server) = try await makeConnectedPair()
            var first = client.messages.makeAsyncIterator()
            try await server.send(text: "one")
            #expect(await first.next() == WebSocketMessage(text: "one"))

            // Another iterator while the first exists: an error, not a crash, and no message taken.
            var second = client.messages.makeAsyncIterator()
            do throws(WebSocketError) {
                _ = try await second.nextMessage()
                Issue.record("a second consumer should fail")
            } catch {
                #expect(error.code == .alreadyConsumed)
            }
            var third = client.messages.makeAsyncIterator()
            #expect(await third.next() == nil)
            #expect(third.failure?.code == .alreadyConsumed)

            try await server.send(text: "two")
            #expect(await first.next() == WebSocketMessage(text: "two"))

            // Once the first iterator is gone, a new one takes over.
            _ = consume first
            var next = client.messages.makeAsyncIterator()
            try await server.send(text: "three")
            #expect(try await next.nextMessage() == WebSocketMessage(text: "three"))
            #expect(next.failure == nil)
            await client.close(code: .normalClosure, reason: "")
            #expect(try await next.nextMessage() == nil)
        }
    }
}
