// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

/// The simulator's trading arithmetic at one instant: currency conversion through the symbols'
/// mid prices, margin, commission, profit, and price rounding. Pure functions of a symbol
/// catalogue and a snapshot of its quotes; no engine state, no I/O.
///
/// Money amounts come out as `Int64` in the account's money digits, but the intermediate sums are
/// `Double` (as the engine always computed them).
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

    // MARK: - Money

    /// The value of one unit of `assetId` in USD, through the symbols' mid prices.
    func usdRate(of assetId: Int64, depth: Int = 0) -> Double {
        let usd = SymbolCatalogue.usd
        if assetId == usd { return 1 }
        let symbols = catalogue.symbols
        func mid(_ symbol: SymbolCatalogue.Symbol) -> Double {
            let q = quote(symbol)
            return Double(q.bid + q.ask) / 2 / 100_000
        }
        if let direct = symbols.first(where: { $0.baseAssetId == assetId && $0.quoteAssetId == usd }) {
            return mid(direct)
        }
        if let inverse = symbols.first(where: { $0.baseAssetId == usd && $0.quoteAssetId == assetId }) {
            return 1 / mid(inverse)
        }
        guard depth < 2 else { return 1 }
        if let cross = symbols.first(where: { $0.baseAssetId == assetId }) {
            return mid(cross) * usdRate(of: cross.quoteAssetId, depth: depth + 1)
        }
        if let cross = symbols.first(where: { $0.quoteAssetId == assetId }) {
            return usdRate(of: cross.baseAssetId, depth: depth + 1) / mid(cross)
        }
        return 1
    }

    /// The value of one unit of `assetId` in the account's deposit asset.
    func depositRate(of assetId: Int64, account: AccountState) -> Double {
        usdRate(of: assetId) / usdRate(of: account.account.depositAssetId)
    }

    /// `amount` (in the deposit asset) in the account's money digits, rounded to nearest.
    static func money(_ amount: Double, _ account: AccountState) -> Int64 {
        Int64((amount * account.moneyScale).rounded())
    }

    /// The margin `volume` (cents of units) of `symbol` uses: its notional in the deposit asset
    /// over the account's leverage.
    func margin(volume: Int64, symbol: SymbolCatalogue.Symbol, account: AccountState) -> Int64 {
        let units = Double(volume) / 100
        return Self.money(units * depositRate(of: symbol.baseAssetId, account: account) / account.leverage, account)
    }

    /// Commission for one side of `volume`, negative (a charge).
    func commission(volume: Int64, symbol: SymbolCatalogue.Symbol, account: AccountState) -> Int64 {
        let notionalUSD = Double(volume) / 100 * usdRate(of: symbol.baseAssetId)
        let usd = notionalUSD * Double(symbol.commissionPerMillion) / 1_000_000
        return -Self.money(usd / usdRate(of: account.account.depositAssetId), account)
    }

    /// The profit of `volume` moved from `entry` to `exit` on `side`, in the deposit asset.
    func grossProfit(
        side: ProtoOATradeSide,
        entry: Double,
        exit: Double,
        volume: Int64,
        symbol: SymbolCatalogue.Symbol,
        account: AccountState
    ) -> Int64 {
        let units = Double(volume) / 100
        let difference = side == .buy ? exit - entry : entry - exit
        return Self.money(difference * units * depositRate(of: symbol.quoteAssetId, account: account), account)
    }

    /// The sum of the gross profits of the account's open positions, each closed at the market
    /// (a long one at the bid, a short one at the ask).
    func unrealized(_ state: AccountState) -> Int64 {
        state.positions.values.reduce(0) { total, position in
            guard let symbol = catalogue.symbol(position.tradeData.symbolID) else { return total }
            let (bid, ask) = quote(symbol)
            let exit = Self.price(position.tradeData.tradeSide == .buy ? bid : ask, digits: symbol.digits)
            return total
                + grossProfit(
                    side: position.tradeData.tradeSide,
                    entry: position.price,
                    exit: exit,
                    volume: position.tradeData.volume,
                    symbol: symbol,
                    account: state
                )
        }
    }

    // MARK: - Prices

    /// A relative price (1/100000 units) as a price rounded to `digits`.
    static func price(_ relative: Int64, digits: Int32) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (Double(relative) / 100_000 * scale).rounded() / scale
    }

    /// `value` rounded to `digits` decimal places.
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
