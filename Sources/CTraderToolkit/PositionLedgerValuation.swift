// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging
public import Foundation

/// Why the ledger cannot value a position, or cannot take a conversion chain.
public enum PositionLedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The trader (deposit asset, `moneyDigits`) is not known yet.
    case traderUnknown
    /// The position's symbol is not registered, so its quote asset is unknown.
    case unknownSymbol(symbolId: Int64)
    /// The position has no entry price.
    case noEntryPrice(positionId: Int64)
    /// The quote board lacks the side that values the position, or a conversion symbol's quote
    /// (or has it only stale).
    case noQuote(symbolId: Int64)
    /// No conversion chain from the quote asset into the deposit asset is registered.
    case noConversionChain(from: Int64, to: Int64)
    /// The symbols do not lead from one asset to the other one after the other.
    case brokenConversionChain(from: Int64, to: Int64)

    /// What went wrong, naming the rule.
    public var description: String {
        switch self {
        case .traderUnknown: "the trader (deposit asset, moneyDigits) is not known yet"
        case .unknownSymbol(let id): "symbol \(id) is not registered: its quote asset is unknown"
        case .noEntryPrice(let id): "position \(id) has no entry price"
        case .noQuote(let id): "no fresh quote of symbol \(id)"
        case .noConversionChain(let from, let to): "no conversion chain from asset \(from) to asset \(to)"
        case .brokenConversionChain(let from, let to):
            "the conversion symbols do not lead from asset \(from) to asset \(to) one after the other"
        }
    }
}

/// The symbols that convert an amount of one asset into another, in order: for each, the amount
/// is multiplied by its price when it is in the symbol's base asset (and is then in its quote
/// asset), and divided by it when it is in its quote asset (and is then in its base asset).
public struct ConversionChain: Hashable, Sendable {
    /// The asset converted from.
    public let from: Int64
    /// The asset converted into.
    public let to: Int64
    /// The symbols, in order.
    public let symbols: [ProtoOALightSymbol]

    /// Checks that `symbols` lead from `from` to `to`.
    ///
    /// - Throws: ``PositionLedgerError/brokenConversionChain(from:to:)`` otherwise.
    public init(from: Int64, to: Int64, symbols: [ProtoOALightSymbol]) throws(PositionLedgerError) {
        var asset = from
        for symbol in symbols {
            if symbol.baseAssetID == asset {
                asset = symbol.quoteAssetID
            } else if symbol.quoteAssetID == asset {
                asset = symbol.baseAssetID
            } else {
                throw .brokenConversionChain(from: from, to: to)
            }
        }
        guard asset == to else { throw .brokenConversionChain(from: from, to: to) }
        self.from = from
        self.to = to
        self.symbols = symbols
    }

    /// The value of one unit of ``from`` in ``to``, each symbol priced by `price` (`nil` when a
    /// symbol has no price).
    public func rate(price: (ProtoOALightSymbol) -> Decimal?) -> Decimal? {
        var asset = from
        var rate = Decimal(1)
        for symbol in symbols {
            guard let value = price(symbol), value > 0 else { return nil }
            if symbol.baseAssetID == asset {
                rate *= value
                asset = symbol.quoteAssetID
            } else {
                rate /= value
                asset = symbol.baseAssetID
            }
        }
        return rate
    }
}

extension PositionLedger {
    /// One position's unrealized profit at the current quotes.
    public struct PositionValuation: Hashable, Sendable {
        /// The position.
        public var positionId: Int64
        /// The price it would close at: the bid for a buy, the ask for a sell.
        public var closingPrice: Decimal
        /// The gross profit in the symbol's quote asset.
        public var grossInQuoteAsset: Decimal
        /// The value of one unit of the quote asset in the deposit asset.
        public var conversionRate: Decimal
        /// The gross unrealized profit in the deposit asset, unrounded.
        public var grossProfit: Money
        /// The net unrealized profit: gross, plus the position's swap and commission so far (the
        /// commission of closing it is not included).
        public var netProfit: Money
    }

    /// The account at the current quotes.
    public struct Valuation: Hashable, Sendable {
        /// The positions that could be valued, by id.
        public var positions: [Int64: PositionValuation]
        /// Why the others could not, by position id.
        public var problems: [Int64: PositionLedgerError]
        /// The balance.
        public var balance: Money
        /// The gross unrealized profit of the valued positions.
        public var grossUnrealized: Money
        /// The net unrealized profit of the valued positions.
        public var netUnrealized: Money
        /// The margin the positions use, as the server reported it.
        public var usedMargin: Money
        /// The balance plus the net unrealized profit.
        public var equity: Money { balance + netUnrealized }
        /// The equity not used as margin.
        public var freeMargin: Money { equity - usedMargin }
        /// Whether every open position was valued.
        public var isComplete: Bool { problems.isEmpty }
    }

    /// The unrealized profit of one position at `quotes`, in the deposit currency.
    ///
    /// The gross profit in the quote asset is (closing price − entry price) × units for a buy and
    /// (entry price − closing price) × units for a sell (units = volume / 100), the closing price
    /// being the bid for a buy and the ask for a sell; it is converted through the quote asset's
    /// ``ConversionChain``, each symbol priced by ``Configuration/conversionPrice``.
    public func valuation(of position: Position, quotes: QuoteBoard) throws(PositionLedgerError) -> PositionValuation {
        guard let deposit = depositAssetId else { throw .traderUnknown }
        guard let symbol = symbols[position.symbolId], symbol.hasQuoteAssetID else {
            throw .unknownSymbol(symbolId: position.symbolId)
        }
        guard let entry = position.entryPrice else { throw .noEntryPrice(positionId: position.id) }
        let quote = quotes.quote(symbolId: position.symbolId)
        let buy = position.side == .buy
        guard let side = buy ? quote?.bid : quote?.ask, configuration.acceptsStaleQuotes || !side.isStale else {
            throw .noQuote(symbolId: position.symbolId)
        }
        let closing = side.price
        let units = Decimal(position.volume) / 100
        let gross = (buy ? closing - entry : entry - closing) * units
        let rate = try conversionRate(from: symbol.quoteAssetID, to: deposit, quotes: quotes)
        let grossProfit = Money(gross * rate)
        return PositionValuation(
            positionId: position.id, closingPrice: closing, grossInQuoteAsset: gross, conversionRate: rate,
            grossProfit: grossProfit, netProfit: grossProfit + position.swap + position.commission)
    }

    /// The value of one unit of `asset` in `deposit` at `quotes`.
    public func conversionRate(
        from asset: Int64, to deposit: Int64, quotes: QuoteBoard
    ) throws(PositionLedgerError)
        -> Decimal
    {
        if asset == deposit { return 1 }
        guard let chain = conversionChains[asset], chain.to == deposit else {
            throw .noConversionChain(from: asset, to: deposit)
        }
        var missing: Int64?
        let rate = chain.rate { symbol in
            guard let price = conversionPrice(of: symbol.symbolID, quotes: quotes) else {
                missing = symbol.symbolID
                return nil
            }
            return price
        }
        guard let rate else { throw .noQuote(symbolId: missing ?? chain.symbols.first?.symbolID ?? 0) }
        return rate
    }

    private func conversionPrice(of symbolId: Int64, quotes: QuoteBoard) -> Decimal? {
        guard let quote = quotes.quote(symbolId: symbolId) else { return nil }
        let usable = { (side: QuoteBoard.Side?) -> Decimal? in
            guard let side, configuration.acceptsStaleQuotes || !side.isStale else { return nil }
            return side.price
        }
        switch configuration.conversionPrice {
        case .bid: return usable(quote.bid)
        case .ask: return usable(quote.ask)
        case .mid:
            guard let bid = usable(quote.bid), let ask = usable(quote.ask) else { return nil }
            return (bid + ask) / 2
        }
    }

    /// Every open position valued at `quotes`, with the balance, equity and margins.
    public func valuation(quotes: QuoteBoard) -> Valuation {
        var valued: [Int64: PositionValuation] = [:]
        var problems: [Int64: PositionLedgerError] = [:]
        var gross = Money.zero
        var net = Money.zero
        var margin = Money.zero
        for position in positions.values {
            margin += position.usedMargin ?? .zero
            do throws(PositionLedgerError) {
                let value = try valuation(of: position, quotes: quotes)
                valued[position.id] = value
                gross += value.grossProfit
                net += value.netProfit
            } catch {
                problems[position.id] = error
            }
        }
        return Valuation(
            positions: valued, problems: problems, balance: balance, grossUnrealized: gross, netUnrealized: net,
            usedMargin: margin)
    }
}
