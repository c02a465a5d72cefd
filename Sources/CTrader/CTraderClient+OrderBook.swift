// swift-ctrader: an `OrderBook` per symbol kept live from a client's depth events.

import CTraderMessaging
public import CTraderSession
public import CTraderToolkit

/// One symbol's book in a ``LiveOrderBooks``: the book, and whether it can be trusted.
public struct LiveOrderBook: Sendable, Hashable {
    /// Whether a ``LiveOrderBook`` follows the server's book.
    public enum Status: Sendable, Hashable {
        /// The book is the server's, as of the last depth event.
        case live
        /// The connection dropped: the book is as it was before, and waits for the server to send
        /// it whole again after the reconnection (the first event without deletions replaces it).
        case stale
        /// An event contradicted the book (the error), or a reconnection was noticed too late to
        /// know which events belong to which connection (`nil`): the book was emptied and its
        /// depth subscription is being renewed (unsubscribe, subscribe); the first event without
        /// deletions after that fills it again.
        case resynchronizing(OrderBookError?)
        /// An event contradicted the book (the error) and it is not resynchronized (the
        /// ``LiveOrderBooks`` was made with `resynchronizes: false`, or renewing the subscription
        /// failed): the book stays empty and its events are ignored.
        case failed(OrderBookError?)
    }

    /// The book.
    public var book: OrderBook
    /// Whether it follows the server's book.
    public var status: Status
    /// When (the client's Unix milliseconds) the last depth event was applied to it, if one was.
    public var updatedAt: Int64?

    /// Makes a state.
    public init(book: OrderBook, status: Status = .live, updatedAt: Int64? = nil) {
        self.book = book
        self.status = status
        self.updatedAt = updatedAt
    }

    /// The symbol.
    public var symbolId: Int64 { Int64(clamping: book.symbolId) }
    /// Whether the book is the server's (``Status/live``).
    public var isLive: Bool { status == .live }
}

/// An `OrderBook` (CTraderToolkit) per symbol, kept live from a `CTraderClient`'s depth events of
/// one account.
///
/// Each event goes to its symbol's book, all or nothing. Across a reconnect gap and when an event
/// contradicts a book, the books follow these rules:
/// - **Connection lost** (`CTraderSessionEvent.reconnecting` on `sessionEvents()`): every book
///   becomes ``LiveOrderBook/Status/stale`` and keeps its quotes. Events still buffered from the
///   old connection apply as usual. The server sends a renewed subscription's book whole, as new
///   quotes without deletions, so the first event without deletions after the loss empties the
///   book, fills it, and makes it live again. (The session renews the subscriptions after the
///   reconnect; nothing is asked of the caller.)
/// - **Contradiction**: an event that contradicts a book (`OrderBookError`: an unknown quote id
///   deleted, an id that changes side, …) is never half applied. The book is emptied and becomes
///   ``LiveOrderBook/Status/resynchronizing(_:)`` with the error; with `resynchronizes` (the
///   default) its depth subscription is renewed (`ProtoOAUnsubscribeDepthQuotesReq` 2158, then
///   `ProtoOASubscribeDepthQuotesReq` 2156), events are ignored until that is answered, and the
///   next event without deletions is the book again. Without `resynchronizes` the book becomes
///   ``LiveOrderBook/Status/failed(_:)``. ``contradictions`` counts them.
/// - A book subscribed before the ``LiveOrderBooks`` was made starts with events that delete
///   quotes it never saw: a contradiction, resynchronized as above.
///
/// The loss and the reconnection come from two streams; should the depth stream's
/// `reconnected(gap:)` marker be read before the session's `reconnecting` event (its reader
/// delayed for longer than a whole reconnection), every book is resynchronized (status
/// `resynchronizing(nil)`), since the renewed subscriptions' events may already have been applied
/// to the old books.
///
/// ```swift
/// let books = await client.liveOrderBooks(account: account)
/// try await client.subscribeDepth(account: account, symbols: [1])
/// for await state in books.updates() where state.isLive {
///     print(state.book.bids(top: 5), state.book.asks(top: 5))
/// }
/// ```
public actor LiveOrderBooks {
    /// The books by symbol id.
    public private(set) var books: [Int64: LiveOrderBook] = [:]
    /// How many events contradicted a book so far.
    public private(set) var contradictions = 0
    /// Whether the books still follow the client (`false` after ``stop()`` or once the depth
    /// stream ended: every book is then stale).
    public private(set) var isRunning = true
    /// The error that ended the depth stream (the client gave up, or the stream overflowed: depth
    /// deltas are never dropped), if any.
    public private(set) var failure: (any Error)?

    private struct Sync {
        /// After a loss: the next event without deletions replaces the book.
        var awaitingSnapshot = false
        /// While resynchronizing: the renewed subscription was answered.
        var resubscribed = false
    }

    private let client: CTraderClient
    private let account: Int64
    private let resynchronizes: Bool
    private let crossedBookPolicy: OrderBook.CrossedBookPolicy
    private let now: @Sendable () -> Int64
    private var sync: [Int64: Sync] = [:]
    private var gap = ReconnectGap()
    private var subscribers = LiveSubscribers<LiveOrderBook>()
    private var tasks: [Task<Void, Never>] = []

    /// Starts following `client`'s depth events of `account`; see
    /// `CTraderClient.liveOrderBooks(account:resynchronizes:crossedBookPolicy:bufferSize:)`.
    public init(
        client: CTraderClient,
        account: Int64,
        resynchronizes: Bool = true,
        crossedBookPolicy: OrderBook.CrossedBookPolicy = .allow,
        bufferSize: Int? = nil
    ) async {
        let depth = client.depth(bufferSize: bufferSize)
        let events = client.sessionEvents()
        let configuration = client.configuration
        self.client = client
        self.account = account
        self.resynchronizes = resynchronizes
        self.crossedBookPolicy = crossedBookPolicy
        self.now = { configuration.unixMilliseconds(configuration.clock.now()) }
        gap.hasBeenReady = await client.isReady
        tasks = startLiveFeed(
            self, stream: depth, events: events,
            take: { await $0.take($1) }, takeEvent: { await $0.take($1) }, ended: { await $0.ended($1) })
    }

    deinit {
        for task in tasks { task.cancel() }
        subscribers.finishAll()
    }

    /// The book of a symbol, once a depth event of it arrived.
    public func book(symbolId: Int64) -> LiveOrderBook? { books[symbolId] }

    /// Each book after each change (an applied event, a status change), starting with the books as
    /// they are now (by symbol id). Keeps the newest `bufferSize` (default 64) states when not
    /// read; ends at ``stop()`` or when the depth stream ends. Each call makes a new stream.
    public func updates(bufferSize: Int = 64) -> AsyncStream<LiveOrderBook> {
        subscribers.stream(bufferSize: bufferSize, initial: books.keys.sorted().map { books[$0]! }, running: isRunning)
        { [weak self] id in
            Task { await self?.unsubscribe(id) }
        }
    }

    /// Stops following the client; the books keep their last state and ``updates(bufferSize:)``
    /// streams end.
    public func stop() {
        for task in tasks { task.cancel() }
        tasks = []
        finish()
    }

    private func unsubscribe(_ id: Int) {
        subscribers.remove(id)
    }

    // MARK: - Events

    private func take(_ element: CTraderStreamElement<ProtoOADepthEvent>) {
        guard isRunning else { return }
        switch element {
        case .message(let event):
            guard event.ctidTraderAccountID == account else { return }
            apply(event)
        case .reconnected:
            guard gap.marker() else { return }
            for symbolId in books.keys.sorted() { resynchronize(symbolId, because: nil) }
        }
    }

    private func apply(_ event: ProtoOADepthEvent) {
        let symbolId = Int64(clamping: event.symbolID)
        var state =
            books[symbolId]
            ?? LiveOrderBook(book: OrderBook(symbolId: event.symbolID, crossedBookPolicy: crossedBookPolicy))
        var symbolSync = sync[symbolId] ?? Sync()
        let isSnapshot = event.deletedQuotes.isEmpty
        switch state.status {
        case .failed:
            return
        case .resynchronizing:
            guard symbolSync.resubscribed, isSnapshot else { return }
            state.book.reset()
        case .stale:
            if symbolSync.awaitingSnapshot, isSnapshot { state.book.reset() }
        case .live:
            break
        }
        do {
            try state.book.apply(event)
        } catch {
            books[symbolId] = state
            resynchronize(symbolId, because: error)
            return
        }
        if state.status != .stale || isSnapshot {
            state.status = .live
            symbolSync = Sync()
        }
        state.updatedAt = now()
        books[symbolId] = state
        sync[symbolId] = symbolSync
        publish(state)
    }

    /// Empties a book and renews its subscription (or fails it, without `resynchronizes`).
    private func resynchronize(_ symbolId: Int64, because error: OrderBookError?) {
        guard var state = books[symbolId] else { return }
        if error != nil { contradictions += 1 }
        state.book.reset()
        state.status = resynchronizes ? .resynchronizing(error) : .failed(error)
        books[symbolId] = state
        sync[symbolId] = Sync()
        publish(state)
        guard resynchronizes else { return }
        let client = client
        let account = account
        tasks.append(
            Task { [weak self] in
                do {
                    var unsubscribe = ProtoOAUnsubscribeDepthQuotesReq()
                    unsubscribe.ctidTraderAccountID = account
                    unsubscribe.symbolID = [symbolId]
                    _ = try await client.send(unsubscribe, expecting: ProtoOAUnsubscribeDepthQuotesRes.self)
                    try await client.subscribeDepth(account: account, symbols: [symbolId])
                    await self?.resubscribed(symbolId, error: nil)
                } catch {
                    await self?.resubscribed(symbolId, error: error)
                }
            })
    }

    private func resubscribed(_ symbolId: Int64, error: (any Error)?) {
        guard var state = books[symbolId], case .resynchronizing(let cause) = state.status else { return }
        if error != nil {
            state.status = .failed(cause)
            books[symbolId] = state
            publish(state)
        } else {
            sync[symbolId, default: Sync()].resubscribed = true
        }
    }

    private func take(_ event: CTraderSessionEvent) {
        guard isRunning else { return }
        switch event {
        case .reconnecting(let attempt, _, _):
            guard gap.reconnecting(attempt: attempt) else { return }
            markStale()
        case .ready:
            gap.hasBeenReady = true
        default:
            break
        }
    }

    /// Every book stale, waiting for its renewed subscription's book.
    private func markStale() {
        for symbolId in books.keys.sorted() {
            guard var state = books[symbolId] else { continue }
            if case .failed = state.status { continue }
            state.status = .stale
            books[symbolId] = state
            sync[symbolId] = Sync(awaitingSnapshot: true)
            publish(state)
        }
    }

    private func ended(_ error: (any Error)?) {
        guard isRunning else { return }
        failure = error
        markStale()
        finish()
    }

    private func finish() {
        isRunning = false
        subscribers.finishAll()
    }

    private func publish(_ state: LiveOrderBook) {
        subscribers.yield(state)
    }
}

extension CTraderClient {
    /// A ``LiveOrderBooks`` following this client's depth events of `account` from now on.
    ///
    /// - Parameters:
    ///   - account: the account whose depth events the books take.
    ///   - resynchronizes: whether a book that an event contradicts renews its subscription
    ///     (default) or fails.
    ///   - crossedBookPolicy: each book's; a crossed book is allowed by default.
    ///   - bufferSize: the depth stream's (`depth(bufferSize:)`; default
    ///     `CTraderClientConfiguration.streamBufferSize`). Depth deltas are never dropped: a
    ///     reader that falls further behind ends the stream (``LiveOrderBooks/failure``).
    public nonisolated func liveOrderBooks(
        account: Int64,
        resynchronizes: Bool = true,
        crossedBookPolicy: OrderBook.CrossedBookPolicy = .allow,
        bufferSize: Int? = nil
    ) async -> LiveOrderBooks {
        await LiveOrderBooks(
            client: self, account: account, resynchronizes: resynchronizes, crossedBookPolicy: crossedBookPolicy,
            bufferSize: bufferSize)
    }
}
