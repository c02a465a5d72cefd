public import CTraderFraming
import Logging

/// The messages a ``WebSocketConnection`` receives, as an `AsyncSequence`.
///
/// It ends (returns `nil`) once the connection is closed and every buffered message was taken.
/// While nobody iterates, up to ``WebSocketConfiguration/inboundQueueDepth`` messages are buffered
/// and then the connection stops reading (backpressure). The sequence keeps its connection alive.
///
/// Single consumer: the first iterator that asks for a message takes the connection's messages
/// until it is released (a `for await` loop releases it when the loop ends); iterate from one
/// task at a time. Another iterator that asks while it exists, or a copy of it that asks while
/// the original waits, does not crash the process and takes nothing: its
/// ``AsyncIterator/next()`` returns `nil` and its ``AsyncIterator/failure`` says why
/// (``WebSocketError/Code/alreadyConsumed``), and ``AsyncIterator/nextMessage()`` throws that
/// error. The first consumer keeps working.
///
/// ```swift
/// var iterator = connection.messages.makeAsyncIterator()
/// while let message = try await iterator.nextMessage() { … }  // throws(WebSocketError)
/// ```
public struct WebSocketMessageStream: AsyncSequence, Sendable {
    /// The element type: a complete text or binary message.
    public typealias Element = WebSocketMessage
    /// The sequence never throws (``AsyncIterator/nextMessage()`` does).
    public typealias Failure = Never

    let connection: WebSocketConnection

    /// Iterates the messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: WebSocketConnection
        /// This iterator's hold on the messages, taken by its first request.
        private var claim: WebSocketConsumerClaim?
        /// Why this iterator ended early: ``WebSocketError/Code/alreadyConsumed`` when another
        /// consumer takes the connection's messages; `nil` otherwise (also after a normal end).
        public private(set) var failure: WebSocketError?

        init(connection: WebSocketConnection) {
            self.connection = connection
        }

        /// The next message, or `nil` once the connection is closed and drained (or when the
        /// calling task is cancelled, or when another consumer takes the messages: see
        /// ``failure``).
        public mutating func next() async -> WebSocketMessage? {
            do {
                return try await nextMessage()
            } catch {
                return nil
            }
        }

        /// The next message, or `nil` once the connection is closed and drained (or when the
        /// calling task is cancelled).
        ///
        /// - Throws: ``WebSocketError/Code/alreadyConsumed`` when another iterator takes the
        ///   connection's messages, or a copy of this one is waiting; the iterator then stays
        ///   ended (make a new one once the other consumer is gone).
        public mutating func nextMessage() async throws(WebSocketError) -> WebSocketMessage? {
            if let failure { throw failure }
            do {
                if claim == nil {
                    claim = try WebSocketConsumerClaim(connection.core)
                }
                return try await connection.core.nextMessage()
            } catch {
                connection.core.logger.warning(
                    "WebSocketConnection.messages has a second consumer; it gets no messages",
                    metadata: ["error": "\(error)"]
                )
                failure = error
                throw error
            }
        }
    }

    /// Makes an iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }
}

/// One iterator's exclusive hold on a connection's messages; released when the iterator (and
/// every copy of it) is gone.
final class WebSocketConsumerClaim: Sendable {
    private let core: WebSocketConnectionCore

    /// Takes the hold, or throws ``WebSocketError/Code/alreadyConsumed`` when another iterator
    /// has it.
    init(_ core: WebSocketConnectionCore) throws(WebSocketError) {
        guard core.claimConsumer() else { throw .alreadyConsumed() }
        self.core = core
    }

    deinit {
        core.releaseConsumer()
    }
}

extension WebSocketError {
    static func alreadyConsumed() -> WebSocketError {
        WebSocketError(
            code: .alreadyConsumed,
            detail: "WebSocketConnection.messages already has a consumer (one iterator at a time)"
        )
    }
}
