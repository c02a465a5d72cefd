// swift-ctrader: the trader's toolkit.

public import CTraderMessaging
public import Foundation

/// A symbol as a trader thinks of it: its digits and pips, its lot size and volume limits, what it
/// charges and when it trades, read from `ProtoOASymbol` (and `ProtoOALightSymbol` for its name).
///
/// It converts between the trader's units and the protocol's, and checks a price or a volume
/// against the symbol's rules before a request is sent:
/// - prices: a `Decimal` with at most ``digits`` decimals ↔ the protocol's relative integer
///   (price × 100 000): 1.08345 ↔ 108 345;
/// - volumes: lots ↔ cents of units (lots × ``lotSize``): with a lot size of 10 000 000
///   (100 000 units), 0.01 lots ↔ 100 000.
/// A broken rule throws a ``SymbolRuleError`` that names it.
public struct SymbolSpecification: Hashable, Sendable {
    /// The symbol's id on its server.
    public var id: Int64
    /// The symbol's name, such as "EURUSD" (empty without a `ProtoOALightSymbol`).
    public var name: String
    /// The symbol's description (empty without a `ProtoOALightSymbol`).
    public var summary: String
    /// The base asset's id (0 without a `ProtoOALightSymbol`).
    public var baseAssetId: Int64
    /// The quote asset's id (0 without a `ProtoOALightSymbol`).
    public var quoteAssetId: Int64
    /// Decimal digits of the symbol's prices (5 for EURUSD: 1.08345).
    public var digits: Int
    /// The decimal position of a pip (4 for EURUSD: a pip is 0.0001).
    public var pipPosition: Int
    /// Cents of units in one lot (10 000 000 for 100 000 units); `nil` when the server sent none.
    public var lotSize: Int64?
    /// The smallest volume of an order, in cents of units; `nil` when no limit was sent.
    public var minVolume: Int64?
    /// The largest volume of an order, in cents of units; `nil` when no limit was sent.
    public var maxVolume: Int64?
    /// Volumes must be multiples of this, in cents of units; `nil` when no step was sent.
    public var stepVolume: Int64?
    /// Whether and how the symbol may be traded.
    public var tradingMode: ProtoOATradingMode
    /// Commission rate and minimum.
    public var commission: CommissionTerms
    /// Swap and administrative fee.
    public var swap: SwapTerms
    /// The weekly trading intervals, read on the clocks of ``scheduleTimeZone``.
    public var schedule: [WeeklySession]
    /// The time zone of ``schedule`` (a tz database identifier, such as "America/New_York").
    public var scheduleTimeZone: String
    /// The holidays, each read on the clocks of its own time zone.
    public var holidays: [MarketHoliday]

    /// Reads a symbol's full entity and, when given, its light entity (name, description, assets).
    public init(_ symbol: ProtoOASymbol, light: ProtoOALightSymbol? = nil) {
        id = symbol.symbolID
        name = light?.symbolName ?? ""
        summary = light?.description_p ?? ""
        baseAssetId = light?.baseAssetID ?? 0
        quoteAssetId = light?.quoteAssetID ?? 0
        digits = Int(symbol.digits)
        pipPosition = Int(symbol.pipPosition)
        lotSize = symbol.hasLotSize ? symbol.lotSize : nil
        minVolume = symbol.hasMinVolume ? symbol.minVolume : nil
        maxVolume = symbol.hasMaxVolume ? symbol.maxVolume : nil
        stepVolume = symbol.hasStepVolume ? symbol.stepVolume : nil
        tradingMode = symbol.tradingMode
        commission = CommissionTerms(symbol)
        swap = SwapTerms(symbol)
        schedule = symbol.schedule.map(WeeklySession.init)
        scheduleTimeZone = symbol.scheduleTimeZone
        holidays = symbol.holiday.map(MarketHoliday.init)
    }

    /// The symbol's market calendar (``schedule``, ``scheduleTimeZone`` and ``holidays``).
    ///
    /// - Throws: ``MarketCalendarError`` naming an unknown time zone or an invalid interval.
    public func calendar(
        searchDays: Int = MarketCalendar.defaultSearchDays
    ) throws(MarketCalendarError)
        -> MarketCalendar
    {
        try MarketCalendar(
            sessions: schedule, timeZoneIdentifier: scheduleTimeZone, holidays: holidays, searchDays: searchDays)
    }

    // MARK: - Prices

    /// The smallest price step the symbol shows: 10^-``digits`` (0.00001 for EURUSD).
    public var priceStep: Decimal { Self.powerOfTen(-digits) }

    /// The size of a pip: 10^-``pipPosition`` (0.0001 for EURUSD).
    public var pipSize: Decimal { Self.powerOfTen(-pipPosition) }

    /// The price a relative integer stands for: 108 345 is 1.08345.
    public func price(relative: Int64) -> Decimal {
        Decimal(relative) / Decimal(CTraderUnits.relativePriceScale)
    }

    /// The relative integer of a price (price × 100 000): 1.08345 is 108 345.
    ///
    /// - Throws: ``SymbolRuleError/tooManyDigits(price:digits:)`` when the price has more decimals
    ///   than ``digits`` (or than the protocol's five), ``SymbolRuleError/outOfRange(value:)``
    ///   when it does not fit.
    public func relativePrice(_ price: Decimal) throws(SymbolRuleError) -> Int64 {
        guard Self.hasAtMost(fractionDigits: min(digits, 5), price) else {
            throw .tooManyDigits(price: price, digits: digits)
        }
        return try Self.exactInt64(price * Decimal(CTraderUnits.relativePriceScale))
    }

    /// The price rounded to the symbol's ``digits`` (halves away from zero).
    public func rounded(_ price: Decimal) -> Decimal {
        var input = price
        var result = Decimal()
        NSDecimalRound(&result, &input, digits, .plain)
        return result
    }

    /// The pips a price distance makes: 0.0012 is 12 pips on EURUSD.
    public func pips(priceDistance: Decimal) -> Decimal {
        priceDistance / pipSize
    }

    /// The relative integer of a distance in pips, as relative stop loss and take profit carry
    /// it: 12 pips on EURUSD is 0.0012, which is 120.
    ///
    /// - Throws: ``SymbolRuleError/tooManyDigits(price:digits:)`` when the distance is finer than
    ///   the symbol's ``digits``, ``SymbolRuleError/outOfRange(value:)`` when it does not fit.
    public func relativeDistance(pips: Decimal) throws(SymbolRuleError) -> Int64 {
        try relativePrice(pips * pipSize)
    }

    // MARK: - Volumes

    /// The lots a volume makes: 100 000 cents is 0.01 lots with a lot size of 10 000 000.
    ///
    /// - Throws: ``SymbolRuleError/lotSizeUnknown`` when the symbol has no positive lot size.
    public func lots(volume: Int64) throws(SymbolRuleError) -> Decimal {
        guard let lotSize, lotSize > 0 else { throw .lotSizeUnknown }
        return Decimal(volume) / Decimal(lotSize)
    }

    /// The protocol volume (cents of units) of a number of lots, checked against the symbol's
    /// limits: 0.01 lots is 100 000 with a lot size of 10 000 000.
    ///
    /// - Throws: ``SymbolRuleError`` naming the rule: no lot size, not whole cents, not positive,
    ///   below the minimum, above the maximum, or not a multiple of the step.
    public func volume(lots: Decimal) throws(SymbolRuleError) -> Int64 {
        guard let lotSize, lotSize > 0 else { throw .lotSizeUnknown }
        let cents = lots * Decimal(lotSize)
        guard Self.hasAtMost(fractionDigits: 0, cents) else { throw .volumeNotWholeCents(lots: lots, lotSize: lotSize) }
        let volume = try Self.exactInt64(cents)
        try checkVolume(volume)
        return volume
    }

    /// Checks a protocol volume (cents of units) against the symbol's limits.
    ///
    /// - Throws: ``SymbolRuleError`` naming the rule: not positive, below ``minVolume``, above
    ///   ``maxVolume``, or not a multiple of ``stepVolume``.
    public func checkVolume(_ volume: Int64) throws(SymbolRuleError) {
        guard volume > 0 else { throw .volumeNotPositive(volume: volume) }
        if let minVolume, volume < minVolume { throw .volumeBelowMinimum(volume: volume, minimum: minVolume) }
        if let maxVolume, maxVolume > 0, volume > maxVolume {
            throw .volumeAboveMaximum(volume: volume, maximum: maxVolume)
        }
        if let stepVolume, stepVolume > 0, volume % stepVolume != 0 {
            throw .volumeNotMultipleOfStep(volume: volume, step: stepVolume)
        }
    }

    // MARK: - Decimal helpers

    static func powerOfTen(_ exponent: Int) -> Decimal {
        Decimal(sign: .plus, exponent: exponent, significand: 1)
    }

    static func hasAtMost(fractionDigits: Int, _ value: Decimal) -> Bool {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, max(0, fractionDigits), .plain)
        return result == value
    }

    /// The `Int64` of a whole `Decimal`, without going through `Double`.
    static func exactInt64(_ value: Decimal) throws(SymbolRuleError) -> Int64 {
        guard value.isFinite, let result = Int64(NSDecimalNumber(decimal: value).stringValue) else {
            throw .outOfRange(value: value)
        }
        return result
    }
}
