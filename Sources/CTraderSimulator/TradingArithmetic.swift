// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging
import Foundation

/// The simulator's trading arithmetic at one instant: currency conversion through the symbols'
/// mid prices, margin, commission, profit, and price rounding. Pure functions of a symbol
/// catalogue and a snapshot of its quotes; no engine state, no I/O.
///
/// Money is `Decimal` while it is computed and comes out as `Int64` in the account's money digits,
/// rounded once per amount, half away from zero (the Money article).
struct TradingArithmetic: Sendable {
    /// The symbols, for conversion paths and for the positions' symbol ids.
    let catalogue: SymbolCatalogue
    /// The bid and ask of every catalogue symbol, by symbol id, in 1/100000 units.
    let quotes: [Int64: (bid: Int64, ask: Int64)]

    /// Takes the quotes as given (a symbol without one converts at its base price).
    init(catalogue: SymbolCatalogue, quotes: [Int64: (bid: Int64, ask: Int64)]) {
        self.catalogue = catalogue
        self.quotes = quotes
    }

    /// Snapshots `quote` for every symbol of `catalogue`.
    init(catalogue: SymbolCatalogue, quote: (SymbolCatalogue.Symbol) -> (bid: Int64, ask: Int64)) {
        var quotes: [Int64: (bid: Int64, ask: Int64)] = [:]
        for symbol in catalogue.symbols { quotes[symbol.id] = quote(symbol) }
        self.init(catalogue: catalogue, quotes: quotes)
    }

    /// The quote of `symbol`; every catalogue symbol has one when built from a quote function.
    func quote(_ symbol: SymbolCatalogue.Symbol) -> (bid: Int64, ask: Int64) {
        guard let quote = quotes[symbol.id] else {
            let base = Int64((symbol.basePrice * 100_000).rounded())
            return (base, base)
        }
        return quote
    }

    // MARK: - Conversion

    /// The mid price of `symbol`, (bid + ask) / 2, exactly.
    func mid(_ symbol: SymbolCatalogue.Symbol) -> Decimal {
        let q = quote(symbol)
        return Decimal(q.bid + q.ask) / 200_000
    }

    /// What one unit of asset `from` is worth in asset `to`: the product of the mid prices along
    /// ``SymbolCatalogue/conversionChain(from:to:)`` (times a symbol's mid when the asset is its
    /// base, divided by it when the asset is its quote). 1 for the same asset or when no chain
    /// joins them.
    func rate(from: Int64, to: Int64) -> Decimal {
        guard let chain = catalogue.conversionChain(from: from, to: to) else { return 1 }
        var rate: Decimal = 1
        var asset = from
        for symbol in chain {
            if symbol.baseAssetId == asset {
                rate *= mid(symbol)
                asset = symbol.quoteAssetId
            } else {
                rate /= mid(symbol)
                asset = symbol.baseAssetId
            }
        }
        return rate
    }

    /// The value of one unit of `assetId` in USD.
    func usdRate(of assetId: Int64) -> Decimal {
        rate(from: assetId, to: SymbolCatalogue.usd)
    }

    /// The value of one unit of `assetId` in the account's deposit asset.
    func depositRate(of assetId: Int64, account: AccountState) -> Decimal {
        rate(from: assetId, to: account.account.depositAssetId)
    }

    // MARK: - Money

    /// `amount` (in the deposit asset) in the account's money digits, rounded half away from zero.
    static func money(_ amount: Decimal, _ account: AccountState) -> Int64 {
        Money.scaled(amount, digits: account.account.moneyDigits)
    }

    /// The margin `volume` (cents of units) of `symbol` uses: units × rate(base → deposit) ×
    /// 100 / leverageInCents, rounded once.
    func margin(volume: Int64, symbol: SymbolCatalogue.Symbol, account: AccountState) -> Int64 {
        let units = Decimal(volume) / 100
        let notional = units * depositRate(of: symbol.baseAssetId, account: account)
        return Self.money(notional * 100 / Decimal(account.account.leverageInCents), account)
    }

    /// Commission for one side of `volume` traded at `price` (the mid when `nil`), negative (a
    /// charge), by the symbol's ``SymbolCatalogue/Charges``:
    /// - USD per million USD: units × rate(base → USD) × rate / 1 000 000, then × rate(USD → deposit);
    /// - USD per lot: volume / lotSize × rate, then × rate(USD → deposit);
    /// - quote currency per lot: volume / lotSize × rate, then × rate(quote → deposit);
    /// - percentage of value: units × price × rate / 100, then × rate(quote → deposit);
    /// at least the minimum (in USD, or in the quote currency), rounded once, half away from zero.
    func commission(
        volume: Int64, price: Decimal? = nil, symbol: SymbolCatalogue.Symbol, account: AccountState
    ) -> Int64 {
        let charges = symbol.charges
        let units = Decimal(volume) / 100
        let lots = Decimal(volume) / Decimal(max(1, symbol.lotSize))
        let usd = SymbolCatalogue.usd
        let deposit = account.account.depositAssetId
        let quoteRate = rate(from: symbol.quoteAssetId, to: deposit)
        let usdRate = rate(from: usd, to: deposit)
        var fee: Decimal
        switch charges.commissionType {
        case .usdPerMillionUsd:
            fee = units * rate(from: symbol.baseAssetId, to: usd) * charges.commissionRate / 1_000_000 * usdRate
        case .usdPerLot:
            fee = lots * charges.commissionRate * usdRate
        case .quoteCcyPerLot:
            fee = lots * charges.commissionRate * quoteRate
        case .percentageOfValue:
            fee = units * (price ?? mid(symbol)) * charges.commissionRate / 100 * quoteRate
        }
        if charges.minimumCommission > 0 {
            let minimum =
                charges.minimumCommission * (charges.minimumCommissionType == .currency ? usdRate : quoteRate)
            fee = max(fee, minimum)
        }
        return -Self.money(fee, account)
    }

    /// The profit of `volume` moved from `entry` to `exit` on `side`: (exit − entry) × units for a
    /// buy, (entry − exit) × units for a sell, in the quote asset, × rate(quote → deposit),
    /// rounded once.
    func grossProfit(
        side: ProtoOATradeSide,
        entry: Decimal,
        exit: Decimal,
        volume: Int64,
        symbol: SymbolCatalogue.Symbol,
        account: AccountState
    ) -> Int64 {
        let units = Decimal(volume) / 100
        let difference = side == .buy ? exit - entry : entry - exit
        return Self.money(difference * units * depositRate(of: symbol.quoteAssetId, account: account), account)
    }

    /// The gross profit of an open position closed at the market now: a long one at the bid, a
    /// short one at the ask (each rounded to the symbol's digits).
    func unrealizedGross(_ position: ProtoOAPosition, symbol: SymbolCatalogue.Symbol, account: AccountState) -> Int64 {
        let (bid, ask) = quote(symbol)
        let exit = Money.price(relative: position.tradeData.tradeSide == .buy ? bid : ask, digits: symbol.digits)
        return grossProfit(
            side: position.tradeData.tradeSide, entry: Money.price(position.price, digits: symbol.digits), exit: exit,
            volume: position.tradeData.volume, symbol: symbol, account: account)
    }

    /// The sum of the gross profits of the account's open positions, each closed at the market.
    func unrealized(_ state: AccountState) -> Int64 {
        state.positions.values.reduce(0) { total, position in
            guard let symbol = catalogue.symbol(position.tradeData.symbolID) else { return total }
            return total + unrealizedGross(position, symbol: symbol, account: state)
        }
    }

    /// The swap one rollover charges `volume` of `side` (`multiplier` 3 on the triple day), by the
    /// symbol's ``SymbolCatalogue/Charges``: pips × 10^-pipPosition × units, points × 10^-digits ×
    /// units, or an annual percentage: units × mid × percent / 100 / 365; in the quote asset,
    /// × rate(quote → deposit), rounded once. Positive is a credit.
    func swap(
        volume: Int64, side: ProtoOATradeSide, symbol: SymbolCatalogue.Symbol, account: AccountState,
        multiplier: Int
    ) -> Int64 {
        let charges = symbol.charges
        let rate = side == .buy ? charges.swapLong : charges.swapShort
        let units = Decimal(volume) / 100
        let perUnit: Decimal
        switch charges.swapCalculationType {
        case .pips: perUnit = rate * Money.powerOfTen(-Int(symbol.pipPosition))
        case .points: perUnit = rate * Money.powerOfTen(-Int(symbol.digits))
        case .percentage: perUnit = mid(symbol) * rate / 100 / 365
        }
        let amount = perUnit * units * Decimal(multiplier)
        return Self.money(amount * depositRate(of: symbol.quoteAssetId, account: account), account)
    }

    // MARK: - Prices

    /// A relative price (1/100000 units) as a wire price rounded to `digits`, half away from zero.
    static func price(_ relative: Int64, digits: Int32) -> Double {
        Money.wire(Money.price(relative: relative, digits: digits), digits: digits)
    }

    /// `value` rounded to `digits` decimal places, half away from zero (prices only).
    static func round(_ value: Double, digits: Int32) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}

extension SimulatorEngine {
    /// The trading arithmetic with the quotes at `now`.
    func arithmetic(at now: Int64) -> TradingArithmetic {
        TradingArithmetic(catalogue: configuration.catalogue) { quote($0, now: now) }
    }
}
