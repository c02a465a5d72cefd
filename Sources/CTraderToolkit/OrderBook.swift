// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging
public import Foundation

/// The depth-of-market book of one symbol, rebuilt from `ProtoOADepthEvent`s.
///
/// Depth quotes are keyed by id, not by price: an event deletes quotes by id
/// (`deletedQuotes`) and adds quotes (`newQuotes`), each with an id, a size and either a bid or
/// an ask price. The book keeps the quotes by id and sums their sizes into levels by price.
///
/// An event is applied all or nothing: deletions first, then new quotes. When it contradicts
/// the book, ``apply(_:)`` throws an ``OrderBookError`` and leaves the book as it was:
/// - deleting an id the book does not hold (``OrderBookError/unknownQuoteId(_:)``);
/// - a new quote with an id the book holds on the other side
///   (``OrderBookError/quoteChangedSide(id:)``); the same id on the same side replaces the quote;
/// - a new quote with neither or both prices (``OrderBookError/quoteWithoutSide(id:)``,
///   ``OrderBookError/quoteWithBothSides(id:)``);
/// - an event of another symbol (``OrderBookError/wrongSymbol(expected:received:)``);
/// - a crossed book (best bid ≥ best ask), only under ``CrossedBookPolicy/reject``.
///
/// A crossed book is allowed by default: a book aggregated from several liquidity providers can
/// cross for a moment without any message being wrong, so ``isCrossed`` reports it instead.
///
/// On resubscription the server sends the whole book again as new quotes: call ``reset()``
/// when subscribing again (or after a reconnection), then apply the events.
public struct OrderBook: Hashable, Sendable {
    /// The side of a depth quote.
    public enum Side: String, Hashable, Sendable {
        /// A bid (buyers' price).
        case bid
        /// An ask (sellers' price).
        case ask
    }

    /// One depth quote.
    public struct Quote: Hashable, Sendable {
        /// The quote's id, unique within the book.
        public var id: UInt64
        /// Bid or ask.
        public var side: Side
        /// The relative price (1/100000 of a price unit).
        public var relativePrice: UInt64
        /// The size, in the protocol's volume units (cents of the base asset).
        public var size: UInt64

        /// Makes a quote.
        public init(id: UInt64, side: Side, relativePrice: UInt64, size: UInt64) {
            self.id = id
            self.side = side
            self.relativePrice = relativePrice
            self.size = size
        }

        /// The price: `relativePrice` / 100000, exactly.
        public var price: Decimal { Decimal(relativePrice) / Decimal(CTraderUnits.relativePriceScale) }
    }

    /// The quotes of one side at one price.
    public struct Level: Hashable, Sendable {
        /// The relative price (1/100000 of a price unit).
        public var relativePrice: UInt64
        /// The sum of the sizes of the quotes at this price.
        public var size: UInt64
        /// How many quotes make up this level.
        public var quoteCount: Int

        /// Makes a level.
        public init(relativePrice: UInt64, size: UInt64, quoteCount: Int) {
            self.relativePrice = relativePrice
            self.size = size
            self.quoteCount = quoteCount
        }

        /// The price: `relativePrice` / 100000, exactly.
        public var price: Decimal { Decimal(relativePrice) / Decimal(CTraderUnits.relativePriceScale) }
    }

    /// What ``OrderBook/apply(_:)`` does when an event leaves the book crossed.
    public enum CrossedBookPolicy: Hashable, Sendable {
        /// Keep the event; ``OrderBook/isCrossed`` reports the state (the default).
        case allow
        /// Refuse the event with ``OrderBookError/crossedBook(bestBid:bestAsk:)``.
        case reject
    }

    /// The symbol whose events the book takes.
    public let symbolId: UInt64
    /// What to do with an event that crosses the book.
    public var crossedBookPolicy: CrossedBookPolicy
    /// The quotes by id.
    public private(set) var quotes: [UInt64: Quote] = [:]
    private var bidLevels: [UInt64: Level] = [:]
    private var askLevels: [UInt64: Level] = [:]

    /// An empty book of a symbol.
    public init(symbolId: UInt64, crossedBookPolicy: CrossedBookPolicy = .allow) {
        self.symbolId = symbolId
        self.crossedBookPolicy = crossedBookPolicy
    }

    /// Empties the book (on resubscription or reconnection: the server then sends it whole).
    public mutating func reset() {
        quotes = [:]
        bidLevels = [:]
        askLevels = [:]
    }

    /// Applies a depth event: its deletions, then its new quotes. All or nothing: on error the
    /// book is unchanged.
    public mutating func apply(_ event: ProtoOADepthEvent) throws(OrderBookError) {
        if event.hasSymbolID, event.symbolID != symbolId {
            throw .wrongSymbol(expected: symbolId, received: event.symbolID)
        }
        var next = self
        for id in event.deletedQuotes {
            guard let old = next.quotes.removeValue(forKey: id) else { throw .unknownQuoteId(id) }
            next.removeFromLevel(old)
        }
        for depthQuote in event.newQuotes {
            let quote = try Self.quote(depthQuote)
            if let old = next.quotes[quote.id] {
                guard old.side == quote.side else { throw .quoteChangedSide(id: quote.id) }
                next.removeFromLevel(old)
            }
            next.quotes[quote.id] = quote
            try next.addToLevel(quote)
        }
        if crossedBookPolicy == .reject, let bid = next.bestBid, let ask = next.bestAsk,
            bid.relativePrice >= ask.relativePrice
        {
            throw .crossedBook(bestBid: bid.relativePrice, bestAsk: ask.relativePrice)
        }
        self = next
    }

    /// The highest bid level.
    public var bestBid: Level? { bidLevels.values.max { $0.relativePrice < $1.relativePrice } }
    /// The lowest ask level.
    public var bestAsk: Level? { askLevels.values.min { $0.relativePrice < $1.relativePrice } }

    /// Whether the best bid is at or above the best ask.
    public var isCrossed: Bool {
        guard let bid = bestBid, let ask = bestAsk else { return false }
        return bid.relativePrice >= ask.relativePrice
    }

    /// The bid levels, best (highest) first; at most `count` of them.
    public func bids(top count: Int = .max) -> [Level] {
        Array(bidLevels.values.sorted { $0.relativePrice > $1.relativePrice }.prefix(max(0, count)))
    }

    /// The ask levels, best (lowest) first; at most `count` of them.
    public func asks(top count: Int = .max) -> [Level] {
        Array(askLevels.values.sorted { $0.relativePrice < $1.relativePrice }.prefix(max(0, count)))
    }

    /// Whether the book holds no quote.
    public var isEmpty: Bool { quotes.isEmpty }

    private static func quote(_ depthQuote: ProtoOADepthQuote) throws(OrderBookError) -> Quote {
        switch (depthQuote.hasBid, depthQuote.hasAsk) {
        case (true, false):
            return Quote(id: depthQuote.id, side: .bid, relativePrice: depthQuote.bid, size: depthQuote.size)
        case (false, true):
            return Quote(id: depthQuote.id, side: .ask, relativePrice: depthQuote.ask, size: depthQuote.size)
        case (true, true): throw .quoteWithBothSides(id: depthQuote.id)
        case (false, false): throw .quoteWithoutSide(id: depthQuote.id)
        }
    }

    private mutating func addToLevel(_ quote: Quote) throws(OrderBookError) {
        var level =
            levels(quote.side)[quote.relativePrice] ?? Level(relativePrice: quote.relativePrice, size: 0, quoteCount: 0)
        let (sum, overflow) = level.size.addingReportingOverflow(quote.size)
        guard !overflow else { throw .sizeOverflow(relativePrice: quote.relativePrice) }
        level.size = sum
        level.quoteCount += 1
        setLevel(level, side: quote.side)
    }

    private mutating func removeFromLevel(_ quote: Quote) {
        guard var level = levels(quote.side)[quote.relativePrice] else { return }
        level.size -= min(level.size, quote.size)
        level.quoteCount -= 1
        setLevel(level.quoteCount > 0 ? level : nil, side: quote.side, price: quote.relativePrice)
    }

    private func levels(_ side: Side) -> [UInt64: Level] { side == .bid ? bidLevels : askLevels }

    private mutating func setLevel(_ level: Level?, side: Side, price: UInt64? = nil) {
        let key = price ?? level?.relativePrice ?? 0
        switch side {
        case .bid: bidLevels[key] = level
        case .ask: askLevels[key] = level
        }
    }
}

/// Why a depth event contradicts an ``OrderBook``; each case names the rule it breaks.
public enum OrderBookError: Error, Hashable, Sendable {
    /// `deletedQuotes` names an id the book does not hold.
    case unknownQuoteId(UInt64)
    /// A new quote reuses the id of a quote on the other side.
    case quoteChangedSide(id: UInt64)
    /// A new quote has neither a bid nor an ask price.
    case quoteWithoutSide(id: UInt64)
    /// A new quote has both a bid and an ask price.
    case quoteWithBothSides(id: UInt64)
    /// The event is of another symbol than the book's.
    case wrongSymbol(expected: UInt64, received: UInt64)
    /// The best bid is at or above the best ask (only under ``OrderBook/CrossedBookPolicy/reject``).
    case crossedBook(bestBid: UInt64, bestAsk: UInt64)
    /// The sizes at one price add up past `UInt64.max`.
    case sizeOverflow(relativePrice: UInt64)
}
