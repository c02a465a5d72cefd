// swift-ctrader: a `QuoteBoard` kept live from a client's spots, stale across reconnect gaps.

import CTraderMessaging
public import CTraderSession
public import CTraderToolkit

/// A `QuoteBoard` (CTraderToolkit) kept live from a `CTraderClient`'s spot events.
///
/// It applies every spot of its account (one-sided spots merge: the side a spot lacks is kept),
/// and follows the connection: when the session reports that the connection dropped
/// (`CTraderSessionEvent.reconnecting` on `sessionEvents()`), every side of every symbol becomes
/// stale; after the reconnection (the `reconnected(gap:)` marker of the spot stream, which comes
/// after every spot of the old connection and before every spot of the new one) each side stays
/// stale until a new spot sets it. A spot that arrives during the gap (buffered before the drop)
/// is applied, stale.
///
/// Read it as a snapshot (``board``, ``quote(symbolId:)``) or follow it (``updates(bufferSize:)``,
/// one snapshot per change). It listens from the moment it is made; subscribing to the spots is the
/// caller's (`CTraderClient.subscribeSpots`), and the session restores the subscription after a
/// reconnect. It stops at ``stop()``, when the client shuts down or gives up (every side then
/// stale), or when released.
///
/// ```swift
/// let quotes = await client.liveQuoteBoard(account: account)
/// try await client.subscribeSpots(account: account, symbols: [1])
/// for await board in quotes.updates() {
///     if let quote = board.quote(symbolId: 1), quote.isFresh { print(quote.bid!.price, quote.ask!.price) }
/// }
/// ```
///
/// Times are the client's: `CTraderClientConfiguration.unixMilliseconds` of its clock, so a board
/// under a virtual clock ages in virtual time.
///
/// The loss and the reconnection come from two streams; should the spot stream's marker be read
/// before the session's `reconnecting` event (its reader delayed for longer than a whole
/// reconnection), the board marks every side stale at the marker instead, and ignores that gap's
/// late `reconnecting` events.
public actor LiveQuoteBoard {
    /// The board as it is now.
    public private(set) var board = QuoteBoard()
    /// Whether the board still follows its client (`false` after ``stop()`` or once the spot
    /// stream ended).
    public private(set) var isRunning = true
    /// The error that ended the spot stream (the client gave up, or the stream overflowed), if any.
    public private(set) var failure: (any Error)?

    private let account: Int64?
    private let now: @Sendable () -> Int64
    private var gap = ReconnectGap()
    private var subscribers = LiveSubscribers<QuoteBoard>()
    private var tasks: [Task<Void, Never>] = []

    /// Starts following `client`'s spots of `account` (all accounts when `nil`); see
    /// `CTraderClient.liveQuoteBoard(account:bufferSize:)`.
    public init(client: CTraderClient, account: Int64?, bufferSize: Int? = nil) async {
        let spots = client.spots(bufferSize: bufferSize)
        let events = client.sessionEvents()
        let configuration = client.configuration
        self.account = account
        self.now = { configuration.unixMilliseconds(configuration.clock.now()) }
        gap.hasBeenReady = await client.isReady
        tasks = startLiveFeed(
            self, stream: spots, events: events,
            take: { await $0.take($1) }, takeEvent: { await $0.take($1) }, ended: { await $0.ended($1) })
    }

    deinit {
        for task in tasks { task.cancel() }
        subscribers.finishAll()
    }

    /// The quote of a symbol, if a spot of it was applied.
    public func quote(symbolId: Int64) -> QuoteBoard.Quote? { board.quote(symbolId: symbolId) }

    /// The board after every change, starting with the board as it is now. Keeps the newest
    /// `bufferSize` (default 1: a slow reader sees the latest board) snapshots when not read;
    /// ends at ``stop()`` or when the spot stream ends. Each call makes a new stream.
    public func updates(bufferSize: Int = 1) -> AsyncStream<QuoteBoard> {
        subscribers.stream(bufferSize: bufferSize, initial: [board], running: isRunning) { [weak self] id in
            Task { await self?.unsubscribe(id) }
        }
    }

    /// Stops following the client; the board keeps its last state and ``updates(bufferSize:)``
    /// streams end.
    public func stop() {
        for task in tasks { task.cancel() }
        tasks = []
        finish()
    }

    private func unsubscribe(_ id: Int) {
        subscribers.remove(id)
    }

    private func take(_ element: CTraderStreamElement<ProtoOASpotEvent>) {
        guard isRunning else { return }
        let now = now()
        switch element {
        case .message(let spot):
            if let account, spot.ctidTraderAccountID != account { return }
            board.apply(spot, now: now)
        case .reconnected(let gapDuration):
            if gap.marker() { board.connectionLost(at: now - Self.milliseconds(gapDuration)) }
            board.reconnected(at: now)
        }
        publish()
    }

    private func take(_ event: CTraderSessionEvent) {
        guard isRunning else { return }
        switch event {
        case .reconnecting(let attempt, _, _):
            guard gap.reconnecting(attempt: attempt) else { return }
            board.connectionLost(at: now())
            publish()
        case .ready:
            gap.hasBeenReady = true
        default:
            break
        }
    }

    private func ended(_ error: (any Error)?) {
        guard isRunning else { return }
        failure = error
        board.connectionLost(at: now())
        publish()
        finish()
    }

    private func finish() {
        isRunning = false
        subscribers.finishAll()
    }

    private func publish() {
        subscribers.yield(board)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// Pairs the session's report of a lost connection (`reconnecting` events on `sessionEvents()`)
/// with the reconnect marker of a data stream, whichever of the two streams is read first.
///
/// Every gap starts with `reconnecting(attempt: 1)` (a drop from a ready session) and may go on
/// with attempts 2, 3, …; it ends with one marker on each data stream.
struct ReconnectGap: Sendable, Hashable {
    /// Whether the session was ready once: `reconnecting` events of a first connection that never
    /// succeeded open no gap (there is nothing to mark stale, and no marker follows).
    var hasBeenReady = false
    /// Between a loss and its marker.
    private(set) var isOpen = false
    /// Markers read before the `reconnecting` event that opened their gap.
    private var markersAhead = 0
    /// Whether the `reconnecting` events now read belong to a gap whose marker came first.
    private var skippingLateGap = false

    /// A `reconnecting(attempt:)` event; `true` when it opens a gap (mark everything stale).
    mutating func reconnecting(attempt: Int) -> Bool {
        guard hasBeenReady else { return false }
        if attempt <= 1 {
            if markersAhead > 0 {
                markersAhead -= 1
                skippingLateGap = true
                return false
            }
            skippingLateGap = false
        } else if skippingLateGap {
            return false
        }
        guard !isOpen else { return false }
        isOpen = true
        return true
    }

    /// A reconnect marker; `true` when its gap's loss was not read yet (mark everything stale now).
    mutating func marker() -> Bool {
        hasBeenReady = true
        if isOpen {
            isOpen = false
            return false
        }
        markersAhead += 1
        return true
    }
}

extension CTraderClient {
    /// A ``LiveQuoteBoard`` following this client's spots of `account` (every account when `nil`)
    /// from now on. `bufferSize` is the spot stream's (`spots(bufferSize:)`; default
    /// `CTraderClientConfiguration.streamBufferSize`).
    public nonisolated func liveQuoteBoard(account: Int64? = nil, bufferSize: Int? = nil) async -> LiveQuoteBoard {
        await LiveQuoteBoard(client: self, account: account, bufferSize: bufferSize)
    }
}
