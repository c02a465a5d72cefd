public import CTraderFraming

/// The messages a ``WebSocketConnection`` receives, as an `AsyncSequence`.
///
/// It ends (returns `nil`) once the connection is closed and every buffered message was taken.
/// Single consumer: iterate from one task at a time. While nobody iterates, up to
/// ``WebSocketConfiguration/inboundQueueDepth`` messages are buffered and then the connection
/// stops reading (backpressure). The sequence keeps its connection alive.
public struct WebSocketMessageStream: AsyncSequence, Sendable {
    /// The element type: a complete text or binary message.
    public typealias Element = WebSocketMessage
    /// The sequence never throws.
    public typealias Failure = Never

    let connection: WebSocketConnection

    /// Iterates the messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: WebSocketConnection

        /// The next message, or `nil` once the connection is closed and drained (or when the
        /// calling task is cancelled).
        public mutating func next() async -> WebSocketMessage? {
            await connection.core.nextMessage()
        }
    }

    /// Makes an iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }
}
