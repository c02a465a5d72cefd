// swift-ctrader: the two readers behind a live value (quote board, order books).

import CTraderSession

/// Starts the readers that keep a live value fed: one over a client's event stream, which reports
/// its end (nil when it finished, the error when it failed) through `ended`, and one over the
/// session's events. Each holds `target` weakly, so a value nobody keeps stops its readers; the
/// owner cancels the returned tasks in `deinit`.
func startLiveFeed<Target: AnyObject & Sendable, Message: Sendable>(
    _ target: Target,
    stream: CTraderEventStream<Message>,
    events: CTraderSessionEvents,
    take: @escaping @Sendable (Target, CTraderStreamElement<Message>) async -> Void,
    takeEvent: @escaping @Sendable (Target, CTraderSessionEvent) async -> Void,
    ended: @escaping @Sendable (Target, (any Error)?) async -> Void
) -> [Task<Void, Never>] {
    [
        Task { [weak target] in
            do {
                for try await element in stream {
                    guard let target else { return }
                    await take(target, element)
                }
                if let target { await ended(target, nil) }
            } catch {
                if let target { await ended(target, error) }
            }
        },
        Task { [weak target] in
            do {
                for try await event in events {
                    guard let target else { return }
                    await takeEvent(target, event)
                }
            } catch {}
        },
    ]
}

/// The `updates(bufferSize:)` streams (`LiveQuoteBoard`, `LiveOrderBooks`) of a live value, kept in its actor:
/// each registered by id, fed every new state, and all finished together.
struct LiveSubscribers<Element: Sendable> {
    private var continuations: [Int: AsyncStream<Element>.Continuation] = [:]
    private var nextId = 0

    /// A stream that starts with `initial` (in order), keeps the newest `bufferSize` states when
    /// not read, and, while `running`, receives every later ``yield(_:)``; it is finished at once
    /// otherwise. `remove` is called with its id when its reader stops.
    mutating func stream(
        bufferSize: Int, initial: some Sequence<Element>, running: Bool,
        remove: @escaping @Sendable (Int) -> Void
    ) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Element.self, bufferingPolicy: .bufferingNewest(max(1, bufferSize)))
        for element in initial { continuation.yield(element) }
        guard running else {
            continuation.finish()
            return stream
        }
        let id = nextId
        nextId += 1
        continuations[id] = continuation
        continuation.onTermination = { _ in remove(id) }
        return stream
    }

    /// Gives `element` to every stream.
    func yield(_ element: Element) {
        for continuation in continuations.values { continuation.yield(element) }
    }

    /// Forgets the stream `id` (its reader stopped).
    mutating func remove(_ id: Int) {
        continuations[id] = nil
    }

    /// Finishes every stream and forgets them.
    mutating func finishAll() {
        let finishing = continuations.values
        continuations = [:]
        for continuation in finishing { continuation.finish() }
    }
}
