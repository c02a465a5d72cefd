// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging
public import Foundation

extension SymbolCatalogue {
    /// What trading a symbol costs: its commission and swap terms, published in `ProtoOASymbol`
    /// and charged by the simulator exactly as published (see the Money article).
    public struct Charges: Sendable, Hashable {
        /// How ``commissionRate`` applies (`commissionType`).
        public var commissionType: ProtoOACommissionType
        /// The commission per side, in the unit of ``commissionType``: USD per million USD of
        /// notional, USD per lot, percent of the traded value, or quote currency per lot
        /// (published as `preciseTradingCommissionRate`, × 10^8, or × 10^5 for a percentage).
        public var commissionRate: Decimal
        /// The least commission per side (`preciseMinCommission`, × 10^8); 0 for none.
        public var minimumCommission: Decimal
        /// The currency of ``minimumCommission``: USD (`CURRENCY`) or the quote currency.
        public var minimumCommissionType: ProtoOAMinCommissionType
        /// The swap of a long position per rollover, in the unit of ``swapCalculationType``.
        public var swapLong: Decimal
        /// The swap of a short position per rollover.
        public var swapShort: Decimal
        /// Pips (the default), points, or an annual percentage of the position's value.
        public var swapCalculationType: ProtoOASwapCalculationType
        /// The UTC weekday whose rollover charges three times (`swapRollover3Days`).
        public var tripleSwapDay: ProtoOADayOfWeek
        /// Minutes after 00:00 UTC of the first rollover of a day (`swapTime`); 1320 is 22:00.
        public var swapTimeMinutes: Int32
        /// Hours between rollovers (`swapPeriod`); 24 is once a day.
        public var swapPeriodHours: Int32
        /// Whether rollovers falling on a Saturday or Sunday (UTC) charge (`chargeSwapAtWeekends`).
        public var chargesSwapAtWeekends: Bool

        /// Makes the terms; the defaults are 30 USD per million per side, no minimum, and a daily
        /// rollover at 22:00 UTC, tripled on Wednesdays, none at weekends.
        public init(
            commissionType: ProtoOACommissionType = .usdPerMillionUsd,
            commissionRate: Decimal = 30,
            minimumCommission: Decimal = 0,
            minimumCommissionType: ProtoOAMinCommissionType = .currency,
            swapLong: Decimal = 0,
            swapShort: Decimal = 0,
            swapCalculationType: ProtoOASwapCalculationType = .pips,
            tripleSwapDay: ProtoOADayOfWeek = .wednesday,
            swapTimeMinutes: Int32 = 1_320,
            swapPeriodHours: Int32 = 24,
            chargesSwapAtWeekends: Bool = false
        ) {
            self.commissionType = commissionType
            self.commissionRate = commissionRate
            self.minimumCommission = minimumCommission
            self.minimumCommissionType = minimumCommissionType
            self.swapLong = swapLong
            self.swapShort = swapShort
            self.swapCalculationType = swapCalculationType
            self.tripleSwapDay = tripleSwapDay
            self.swapTimeMinutes = swapTimeMinutes
            self.swapPeriodHours = swapPeriodHours
            self.chargesSwapAtWeekends = chargesSwapAtWeekends
        }

        /// The built-in symbols' terms: `commissionPerMillion` USD per million, and swaps from the
        /// spread: long −spread/10 pips, short +spread/40 pips (EURUSD, spread 6: −0.6 and +0.15).
        static func standard(spreadPoints: Int64, commissionPerMillion: Int64) -> Charges {
            Charges(
                commissionRate: Decimal(commissionPerMillion),
                swapLong: -Decimal(spreadPoints) / 10,
                swapShort: Decimal(spreadPoints) / 40)
        }

        /// Writes these terms into a symbol's details, as the server publishes them.
        func publish(into details: inout ProtoOASymbol) {
            details.commissionType = commissionType
            let rateScale = commissionType == .percentageOfValue ? Money.powerOfTen(5) : Money.powerOfTen(8)
            details.preciseTradingCommissionRate = Money.wholeInt64(
                Money.rounded(commissionRate * rateScale, digits: 0))
            details.preciseMinCommission = Money.wholeInt64(
                Money.rounded(minimumCommission * Money.powerOfTen(8), digits: 0))
            details.minCommissionType = minimumCommissionType
            details.minCommissionAsset = "USD"
            details.swapLong = Money.rateDouble(swapLong)
            details.swapShort = Money.rateDouble(swapShort)
            details.swapCalculationType = swapCalculationType
            details.swapRollover3Days = tripleSwapDay
            details.swapTime = swapTimeMinutes
            details.swapPeriod = swapPeriodHours
            details.skipSwapperiods = 0
            details.chargeSwapAtWeekends = chargesSwapAtWeekends
            details.pnlConversionFeeRate = 0
        }
    }
}

extension SimulatorEngine {
    /// A symbol's details with its commission and swap terms as the simulator charges them.
    static func publishingCharges(of symbol: SymbolCatalogue.Symbol, in details: ProtoOASymbol) -> ProtoOASymbol {
        var details = details
        symbol.charges.publish(into: &details)
        return details
    }
}
