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

/// The buffer behind one ``CTraderEventStream``.
final class EventBuffer<Message: CTraderMessage>: EventSink {
    private struct Item {
        var element: CTraderStreamElement<Message>
        var key: SymbolKey?
    }

    private struct SymbolKey: Hashable {
        var account: Int64
        var symbol: Int64
    }

    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<CTraderStreamElement<Message>?, any Error>?
        var ended = false
        var failure: CTraderError?
    }

    let payloadType: PayloadType
    private let capacity: Int
    private let policy: CTraderOverflowPolicy
    private let filter: @Sendable (Message) -> Bool
    private let state = Locked(State())

    init(capacity: Int, policy: CTraderOverflowPolicy, filter: @escaping @Sendable (Message) -> Bool = { _ in true }) {
        self.payloadType = Message.messagePayloadType
        self.capacity = max(1, capacity)
        self.policy = policy
        self.filter = filter
    }

    private static func key(of message: Message) -> SymbolKey? {
        switch message {
        case let spot as ProtoOASpotEvent: SymbolKey(account: spot.ctidTraderAccountID, symbol: spot.symbolID)
        case let depth as ProtoOADepthEvent:
            SymbolKey(account: depth.ctidTraderAccountID, symbol: Int64(truncatingIfNeeded: depth.symbolID))
        default: nil
        }
    }

    func deliver(_ envelope: Envelope) -> Bool {
        guard let message = envelope.message(as: Message.self) else {
            return state.withLock { !$0.ended }
        }
        guard filter(message) else { return state.withLock { !$0.ended } }
        let item = Item(element: .message(message), key: Self.key(of: message))
        let (waiter, alive): (CheckedContinuation<CTraderStreamElement<Message>?, any Error>?, Bool) = state.withLock {
            state in
            if state.ended { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            if state.items.count < capacity {
                state.items.append(item)
                return (nil, true)
            }
            switch policy.kind {
            case .keepLatestPerSymbol:
                if let key = item.key, let index = state.items.firstIndex(where: { $0.key == key }) {
                    state.items[index] = item
                } else if let index = state.items.firstIndex(where: { $0.key != nil || $0.element.message != nil }) {
                    state.items.remove(at: index)
                    state.items.append(item)
                }
                return (nil, true)
            case .failStream:
                state.ended = true
                state.failure = CTraderError(
                    code: .streamOverflow,
                    reason: "the \(Message.messagePayloadType) stream's consumer fell \(capacity) events behind; "
                        + "these events are never dropped, so the stream ends",
                    payloadType: Message.messagePayloadType
                )
                return (nil, false)
            }
        }
        waiter?.resume(returning: item.element)
        return alive
    }

    func reconnected(gap: Duration) {
        let waiter: CheckedContinuation<CTraderStreamElement<Message>?, any Error>? = state.withLock { state in
            if state.ended { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.items.append(Item(element: .reconnected(gap: gap), key: nil))
            return nil
        }
        waiter?.resume(returning: .reconnected(gap: gap))
    }

    func finish(_ error: CTraderError?) {
        let waiter: CheckedContinuation<CTraderStreamElement<Message>?, any Error>? = state.withLock { state in
            if state.ended { return nil }
            state.ended = true
            state.failure = error
            let waiter = state.waiter
            state.waiter = nil
            if waiter != nil { state.failure = nil }
            return waiter
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    private enum Immediate {
        case element(CTraderStreamElement<Message>)
        case end
        case fail(CTraderError)
        case wait
    }

    private func take(_ state: inout State) -> Immediate {
        if !state.items.isEmpty { return .element(state.items.removeFirst().element) }
        if state.ended {
            if let failure = state.failure {
                state.failure = nil
                return .fail(failure)
            }
            return .end
        }
        return .wait
    }

    func next() async throws -> CTraderStreamElement<Message>? {
        switch state.withLock({ take(&$0) }) {
        case .element(let element): return element
        case .end: return nil
        case .fail(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Immediate = state.withLock { state in
                    let result = take(&state)
                    if case .wait = result { state.waiter = continuation }
                    return result
                }
                switch immediate {
                case .element(let element): continuation.resume(returning: element)
                case .end: continuation.resume(returning: nil)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.waiter
                state.waiter = nil
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
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
