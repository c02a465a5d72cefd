// swift-ctrader: the trader's toolkit.

public import CTraderMessaging
public import Foundation

/// What a symbol's trades are charged: the commission rate and its minimum, as `ProtoOASymbol`
/// states them, in `Decimal`.
public struct CommissionTerms: Hashable, Sendable {
    /// How `rate` is applied.
    public var type: ProtoOACommissionType
    /// The rate in the unit of `type`: USD per million USD of volume, USD per lot, percent of the
    /// traded value, or quote currency per lot (`preciseTradingCommissionRate` divided by 10^8,
    /// or by 10^5 for a percentage); `nil` when the symbol states none.
    public var rate: Decimal?
    /// The minimum commission per trade (`preciseMinCommission` divided by 10^8); `nil` when none.
    public var minimum: Decimal?
    /// The currency the minimum is counted in (the `minimumAsset`, or the quote currency).
    public var minimumType: ProtoOAMinCommissionType
    /// The asset of the minimum commission, such as "USD".
    public var minimumAsset: String
    /// The fraction of realized gross profit paid when the quote asset is not the deposit asset
    /// (`pnlConversionFeeRate`, where 1 is 0.01%, so 1 is 0.0001 here); `nil` when none.
    public var pnlConversionFee: Decimal?

    /// Reads the terms of a symbol.
    public init(_ symbol: ProtoOASymbol) {
        type = symbol.commissionType
        if symbol.hasPreciseTradingCommissionRate {
            let scale = symbol.commissionType == .percentageOfValue ? Decimal(100_000) : Decimal(100_000_000)
            rate = Decimal(symbol.preciseTradingCommissionRate) / scale
        } else {
            rate = nil
        }
        minimum = symbol.hasPreciseMinCommission ? Decimal(symbol.preciseMinCommission) / Decimal(100_000_000) : nil
        minimumType = symbol.minCommissionType
        minimumAsset = symbol.minCommissionAsset
        pnlConversionFee = symbol.hasPnlConversionFeeRate ? Decimal(symbol.pnlConversionFeeRate) / Decimal(10_000) : nil
    }
}

/// What holding a position of a symbol overnight costs, as `ProtoOASymbol` states it.
public struct SwapTerms: Hashable, Sendable {
    /// How `long` and `short` are counted: pips, annual percent, or points.
    public var calculationType: ProtoOASwapCalculationType
    /// The swap of a long position, in the unit of `calculationType`; `nil` when none is stated.
    public var long: Decimal?
    /// The swap of a short position, in the unit of `calculationType`; `nil` when none is stated.
    public var short: Decimal?
    /// The day of the week on which the swap is charged three times.
    public var tripleDay: ProtoOADayOfWeek
    /// Hours between two charges (24: once a day); `nil` when not stated.
    public var periodHours: Int?
    /// Minutes after 00:00 UTC of the first charge of the day; `nil` when not stated.
    public var firstChargeMinute: Int?
    /// Periods before the first charge; `nil` when not stated.
    public var skippedPeriods: Int?
    /// Whether swaps are charged on Saturdays and Sundays too.
    public var chargedAtWeekends: Bool
    /// The administrative fee charged instead of swaps on swap-free accounts, as the server
    /// sends it; `nil` when none.
    public var rolloverCommission: Int64?
    /// The day of the week (UTC) on which the administrative fee is charged three times.
    public var rolloverCommissionTripleDay: ProtoOADayOfWeek

    /// Reads the terms of a symbol. The swaps, which the protocol sends as binary floating point,
    /// become the `Decimal` of their shortest decimal form (-0.37, not -0.36999…).
    public init(_ symbol: ProtoOASymbol) {
        calculationType = symbol.swapCalculationType
        long = symbol.hasSwapLong ? Decimal(string: "\(symbol.swapLong)") : nil
        short = symbol.hasSwapShort ? Decimal(string: "\(symbol.swapShort)") : nil
        tripleDay = symbol.swapRollover3Days
        periodHours = symbol.hasSwapPeriod ? Int(symbol.swapPeriod) : nil
        firstChargeMinute = symbol.hasSwapTime ? Int(symbol.swapTime) : nil
        skippedPeriods = symbol.hasSkipSwapperiods ? Int(symbol.skipSwapperiods) : nil
        chargedAtWeekends = symbol.chargeSwapAtWeekends
        rolloverCommission = symbol.hasRolloverCommission ? symbol.rolloverCommission : nil
        rolloverCommissionTripleDay = symbol.rolloverCommission3Days
    }
}
