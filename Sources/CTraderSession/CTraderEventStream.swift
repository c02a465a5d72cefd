// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging
import _CTraderLocking

/// One element of an event stream: a server event, or the marker that the connection was
/// re-established after a gap during which events may have been missed.
public enum CTraderStreamElement<Message: CTraderMessage>: Sendable {
    /// A server event.
    case message(Message)
    /// The client reconnected and restored its subscriptions; events of the last `gap` were
    /// missed (quotes resume by themselves; for executions, reconcile with `ProtoOAReconcileReq`).
    case reconnected(gap: Duration)

    /// The message, or `nil` for a marker.
    public var message: Message? {
        if case .message(let message) = self { return message }
        return nil
    }
}

/// What a stream does when its consumer falls behind and its buffer is full.
public struct CTraderOverflowPolicy: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case keepLatestPerSymbol
        case failStream
    }

    let kind: Kind

    /// Quotes: a new event replaces the buffered one of the same account and symbol; when no such
    /// event is buffered, the oldest buffered event is dropped. A slow consumer sees fewer, but
    /// the latest, quotes.
    public static let keepLatestPerSymbol = CTraderOverflowPolicy(kind: .keepLatestPerSymbol)
    /// Nothing is dropped: the stream delivers what it buffered and then ends with
    /// ``CTraderError/Code/streamOverflow``. Used for executions, order errors, depth deltas and
    /// account events, which must never be lost silently.
    public static let failStream = CTraderOverflowPolicy(kind: .failStream)

    /// The policy's name.
    public var description: String {
        switch kind {
        case .keepLatestPerSymbol: "keepLatestPerSymbol"
        case .failStream: "failStream"
        }
    }
}

/// A stream of one kind of server event, with a bounded buffer and an overflow policy.
///
/// Single consumer. Iterating it never slows the connection: the connection's reader only ever
/// appends to the buffer. The stream ends when the client shuts down, and throws the client's
/// permanent error (``CTraderError/Code/authenticationFailed``,
/// ``CTraderError/Code/reconnectGaveUp``) or ``CTraderError/Code/streamOverflow``.
public struct CTraderEventStream<Message: CTraderMessage>: AsyncSequence, Sendable {
    /// A message or a reconnect marker.
    public typealias Element = CTraderStreamElement<Message>

    let buffer: EventBuffer<Message>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: EventBuffer<Message>

        /// The next element; `nil` once the stream ended.
        ///
        /// - Throws: ``CTraderError`` when the stream failed.
        public mutating func next() async throws -> CTraderStreamElement<Message>? {
            try await buffer.next()
        }
    }

    /// Makes the iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }
}

/// What the event hub needs of a stream's buffer, whatever its message type.
protocol EventSink: AnyObject, Sendable {
    /// Whether the sink wants events of this payload type.
    var payloadType: PayloadType { get }
    /// Offers an event; returns `false` once the sink ended (the hub then forgets it).
    func deliver(_ envelope: Envelope) -> Bool
    /// Appends a reconnect marker.
    func reconnected(gap: Duration)
    /// Ends the stream.
    func finish(_ error: CTraderError?)
}

/// The buffer behind one ``CTraderEventStream``: an ``AsyncSingleConsumerBuffer`` whose overflow
/// policy is the stream's ``CTraderOverflowPolicy``.
final class EventBuffer<Message: CTraderMessage>: EventSink {
    private struct Item: Sendable {
        var element: CTraderStreamElement<Message>
        var key: SymbolKey?
    }

    private struct SymbolKey: Hashable, Sendable {
        var account: Int64
        var symbol: Int64
    }

    let payloadType: PayloadType
    private let capacity: Int
    private let filter: @Sendable (Message) -> Bool
    private let buffer: AsyncSingleConsumerBuffer<Item>

    init(capacity: Int, policy: CTraderOverflowPolicy, filter: @escaping @Sendable (Message) -> Bool = { _ in true }) {
        self.payloadType = Message.messagePayloadType
        self.capacity = max(1, capacity)
        self.filter = filter
        self.buffer = AsyncSingleConsumerBuffer(limit: self.capacity, policy: Self.overflowPolicy(policy))
    }

    /// The buffer's policy for a stream's policy.
    private static func overflowPolicy(_ policy: CTraderOverflowPolicy) -> OverflowPolicy<Item> {
        switch policy.kind {
        case .keepLatestPerSymbol:
            // A new event replaces the buffered one of its account and symbol; otherwise the
            // oldest message (never a reconnect marker) makes room.
            .coalesce(
                key: { item in item.key.map { AnyHashable($0) } },
                merge: { buffered, newer in buffered = newer },
                compact: false,
                otherwise: .dropOldest(evictable: { $0.key != nil || $0.element.message != nil })
            )
        case .failStream:
            .fail
        }
    }

    /// The account and the one symbol an event is about (generated catalogue facts): spot and
    /// depth events, and any other event that names exactly one symbol of one account.
    private static func key(of message: Message) -> SymbolKey? {
        guard let scoped = message as? any AccountScopedMessage & SymbolScopedMessage,
            let account = scoped.accountId, scoped.symbolIds.count == 1
        else { return nil }
        return SymbolKey(account: account, symbol: scoped.symbolIds[0])
    }

    func deliver(_ envelope: Envelope) -> Bool {
        guard let message = envelope.message(as: Message.self) else { return !buffer.isEnded }
        guard filter(message) else { return !buffer.isEnded }
        switch buffer.push(Item(element: .message(message), key: Self.key(of: message))) {
        case nil:
            return false
        case .failed:
            buffer.finish(
                throwing: CTraderError(
                    code: .streamOverflow,
                    reason: "the \(Message.messagePayloadType) stream's consumer fell \(capacity) events behind; "
                        + "these events are never dropped, so the stream ends",
                    payloadType: Message.messagePayloadType
                )
            )
            return false
        case .appended, .coalesced, .droppedOldest, .dropped, .full:
            return true
        }
    }

    func reconnected(gap: Duration) {
        buffer.pushIgnoringLimit(Item(element: .reconnected(gap: gap), key: nil))
    }

    func finish(_ error: CTraderError?) {
        buffer.finish(throwing: error)
    }

    func next() async throws -> CTraderStreamElement<Message>? {
        try await buffer.next()?.element
    }
}

/// Fans server events out to the streams.
final class EventHub: Sendable {
    private struct State {
        var sinks: [any EventSink] = []
        var statusContinuations: [AsyncStream<SessionStatus>.Continuation] = []
        var ended: CTraderError?? = nil
    }

    private let state = Locked(State())

    /// Adds a sink; a sink added after the end ends at once.
    func add(_ sink: any EventSink) {
        let ended: CTraderError?? = state.withLock { state in
            if state.ended == nil { state.sinks.append(sink) }
            return state.ended
        }
        if let ended { sink.finish(ended) }
    }

    func statusStream(bufferSize: Int) -> AsyncStream<SessionStatus> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SessionStatus.self,
            bufferingPolicy: .bufferingNewest(bufferSize)
        )
        let ended = state.withLock { state in
            if state.ended == nil { state.statusContinuations.append(continuation) }
            return state.ended != nil
        }
        if ended { continuation.finish() }
        return stream
    }

    func deliver(_ envelope: Envelope) {
        let sinks = state.withLock { $0.sinks.filter { $0.payloadType == envelope.payloadType } }
        var ended: [ObjectIdentifier] = []
        for sink in sinks where !sink.deliver(envelope) {
            ended.append(ObjectIdentifier(sink))
        }
        if !ended.isEmpty {
            state.withLock { $0.sinks.removeAll { ended.contains(ObjectIdentifier($0)) } }
        }
    }

    func status(_ status: SessionStatus) {
        let continuations = state.withLock { $0.statusContinuations }
        for continuation in continuations { continuation.yield(status) }
        if case .reconnected(let gap) = status {
            for sink in state.withLock({ $0.sinks }) { sink.reconnected(gap: gap) }
        }
    }

    func finish(_ error: CTraderError?) {
        let (sinks, continuations) = state.withLock { state in
            state.ended = .some(error)
            defer {
                state.sinks = []
                state.statusContinuations = []
            }
            return (state.sinks, state.statusContinuations)
        }
        for sink in sinks { sink.finish(error) }
        for continuation in continuations { continuation.finish() }
    }
}
