// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging
public import Foundation

/// The last bid and ask of each symbol of one account, merged from spot events.
///
/// A spot event may carry one side only (a bid-only or an ask-only update), so the board keeps
/// each side with its own times: the server's `timestamp` of the spot that set it (when the
/// spot had one) and the local time at which it was applied, from which its age is measured
/// (the local clock, so that a skew between the server's clock and ours does not age a quote).
///
/// Across a reconnect gap the board cannot know what happened to the market, so
/// ``connectionLost(at:)`` marks every side stale, and a side stays stale until a spot after
/// ``reconnected(at:)`` sets it again. A spot whose server timestamp is older than the side it
/// would replace is ignored for that side (it arrived out of order).
///
/// ```swift
/// var board = QuoteBoard()
/// board.apply(spot, now: nowMs)
/// board.quote(symbolId: 1)?.bid?.price  // 1.12345
/// ```
///
/// Times are Unix milliseconds. The board is a value: feed it spots of one account.
public struct QuoteBoard: Hashable, Sendable {
    /// One side (bid or ask) of a symbol's quote.
    public struct Side: Hashable, Sendable {
        /// The relative price (1/100000 of a price unit) as the spot carried it.
        public var relativePrice: UInt64
        /// The server's `timestamp` of the spot that set this side, when the spot had one.
        public var serverTimestamp: Int64?
        /// The local time (Unix ms) at which the spot was applied.
        public var receivedAt: Int64
        /// Whether this side was set before a connection loss and not since.
        public var isStale: Bool

        /// Makes a side.
        public init(relativePrice: UInt64, serverTimestamp: Int64?, receivedAt: Int64, isStale: Bool = false) {
            self.relativePrice = relativePrice
            self.serverTimestamp = serverTimestamp
            self.receivedAt = receivedAt
            self.isStale = isStale
        }

        /// The price: `relativePrice` / 100000, exactly.
        public var price: Decimal { Decimal(relativePrice) / Decimal(CTraderUnits.relativePriceScale) }

        /// Milliseconds since this side was received, at `now` (never negative).
        public func age(at now: Int64) -> Int64 { max(0, now - receivedAt) }
    }

    /// A symbol's last bid and ask, each with its own times.
    public struct Quote: Hashable, Sendable {
        /// The symbol.
        public var symbolId: Int64
        /// The last bid, if any spot carried one.
        public var bid: Side?
        /// The last ask, if any spot carried one.
        public var ask: Side?

        /// Makes a quote.
        public init(symbolId: Int64, bid: Side? = nil, ask: Side? = nil) {
            self.symbolId = symbolId
            self.bid = bid
            self.ask = ask
        }

        /// Whether the quote is usable: both sides known and neither stale.
        public var isFresh: Bool {
            guard let bid, let ask else { return false }
            return !bid.isStale && !ask.isStale
        }

        /// `ask - bid` as a price, when both sides are known.
        public var spread: Decimal? {
            guard let bid, let ask else { return nil }
            return ask.price - bid.price
        }

        /// The age of the older side at `now`; `nil` unless both sides are known.
        public func age(at now: Int64) -> Int64? {
            guard let bid, let ask else { return nil }
            return max(bid.age(at: now), ask.age(at: now))
        }
    }

    /// The quotes by symbol id.
    public private(set) var quotes: [Int64: Quote] = [:]
    /// When the connection was lost, while it is down; `nil` while connected.
    public private(set) var disconnectedSince: Int64?

    /// An empty board, connected.
    public init() {}

    /// The quote of a symbol, if a spot of it was applied.
    public func quote(symbolId: Int64) -> Quote? { quotes[symbolId] }

    /// Whether the board is waiting for a reconnection (between ``connectionLost(at:)`` and
    /// ``reconnected(at:)``).
    public var isDisconnected: Bool { disconnectedSince != nil }

    /// Applies a spot event received at `now`: the sides it carries replace the symbol's, the
    /// sides it lacks are kept. A spot without a symbol id, or with neither side, changes nothing.
    public mutating func apply(_ spot: ProtoOASpotEvent, now: Int64) {
        guard spot.hasSymbolID, spot.hasBid || spot.hasAsk else { return }
        let serverTime = spot.hasTimestamp ? spot.timestamp : nil
        let stale = isDisconnected
        var quote = quotes[spot.symbolID] ?? Quote(symbolId: spot.symbolID)
        if spot.hasBid {
            quote.bid = Self.updated(quote.bid, price: spot.bid, serverTime: serverTime, now: now, stale: stale)
        }
        if spot.hasAsk {
            quote.ask = Self.updated(quote.ask, price: spot.ask, serverTime: serverTime, now: now, stale: stale)
        }
        quotes[spot.symbolID] = quote
    }

    /// Records that the connection was lost at `now`: every side becomes stale.
    public mutating func connectionLost(at now: Int64) {
        if disconnectedSince == nil { disconnectedSince = now }
        for symbolId in quotes.keys {
            quotes[symbolId]?.bid?.isStale = true
            quotes[symbolId]?.ask?.isStale = true
        }
    }

    /// Records that the connection is back at `now`. Sides stay stale until a new spot sets
    /// them; a spot applied while disconnected also leaves them stale (it cannot be trusted
    /// to be current).
    public mutating func reconnected(at now: Int64) {
        disconnectedSince = nil
    }

    /// Forgets a symbol (after unsubscribing from its spots).
    public mutating func remove(symbolId: Int64) {
        quotes[symbolId] = nil
    }

    private static func updated(
        _ old: Side?, price: UInt64, serverTime: Int64?, now: Int64, stale: Bool
    ) -> Side? {
        if let old, let oldTime = old.serverTimestamp, let serverTime, serverTime < oldTime, !old.isStale {
            return old  // out of order: an older spot does not replace a newer side
        }
        return Side(relativePrice: price, serverTimestamp: serverTime, receivedAt: now, isStale: stale)
    }
}
