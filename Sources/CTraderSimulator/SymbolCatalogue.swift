// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging
import Foundation

/// The instruments a simulator trades: assets, asset classes, symbol categories and symbols, with
/// the numbers that drive their simulated prices. ``standard`` holds 23 symbols: FX majors and
/// crosses, metals, indices and crypto.
public struct SymbolCatalogue: Sendable {
    /// One tradable symbol and the parameters of its price model.
    public struct Symbol: Sendable, Hashable {
        /// The `symbolId`.
        public var id: Int64
        /// The name, e.g. `EURUSD`.
        public var name: String
        /// A longer description.
        public var description: String
        /// The base asset's id.
        public var baseAssetId: Int64
        /// The quote asset's id.
        public var quoteAssetId: Int64
        /// The symbol category's id.
        public var categoryId: Int64
        /// Price digits (5 for EURUSD).
        public var digits: Int32
        /// The pip position (4 for EURUSD).
        public var pipPosition: Int32
        /// The centre of the simulated price, as a price (1.085 for EURUSD).
        public var basePrice: Double
        /// The spread in points (units of 10^-digits).
        public var spreadPoints: Int64
        /// The lot size, in cents of units (10 000 000 = 100 000 units).
        public var lotSize: Int64
        /// The smallest volume, in cents of units.
        public var minVolume: Int64
        /// The largest volume, in cents of units.
        public var maxVolume: Int64
        /// The volume step, in cents of units.
        public var stepVolume: Int64
        /// Commission in USD per million USD traded, per side: ``Charges/commissionRate`` in whole USD.
        public var commissionPerMillion: Int64 {
            get { Money.wholeInt64(Money.rounded(charges.commissionRate, digits: 0)) }
            set { charges.commissionRate = Decimal(newValue) }
        }
        /// The commission and swap terms (SwapAndCommissionTerms.swift).
        public var charges: Charges
        /// Makes a symbol; `charges` defaults to ``Charges`` with `commissionPerMillion` USD per
        /// million and swaps derived from the spread.
        public init(
            id: Int64, name: String, description: String, baseAssetId: Int64, quoteAssetId: Int64, categoryId: Int64,
            digits: Int32, pipPosition: Int32, basePrice: Double, spreadPoints: Int64, lotSize: Int64,
            minVolume: Int64, maxVolume: Int64, stepVolume: Int64, commissionPerMillion: Int64 = 30,
            charges: Charges? = nil
        ) {
            self.id = id
            self.name = name
            self.description = description
            self.baseAssetId = baseAssetId
            self.quoteAssetId = quoteAssetId
            self.categoryId = categoryId
            self.digits = digits
            self.pipPosition = pipPosition
            self.basePrice = basePrice
            self.spreadPoints = spreadPoints
            self.lotSize = lotSize
            self.minVolume = minVolume
            self.maxVolume = maxVolume
            self.stepVolume = stepVolume
            self.charges =
                charges ?? .standard(spreadPoints: spreadPoints, commissionPerMillion: commissionPerMillion)
        }

        /// One point (the smallest price step) in the protocol's 1/100000 units.
        var pointRelative: Int64 {
            var value: Int64 = 1
            for _ in 0..<max(0, 5 - Int(digits)) { value *= 10 }
            return value
        }
    }

    /// The assets.
    public var assets: [ProtoOAAsset]
    /// The asset classes.
    public var assetClasses: [ProtoOAAssetClass]
    /// The symbol categories.
    public var categories: [ProtoOASymbolCategory]
    /// The symbols, by ascending id.
    public var symbols: [Symbol]

    /// Makes a catalogue.
    public init(
        assets: [ProtoOAAsset], assetClasses: [ProtoOAAssetClass], categories: [ProtoOASymbolCategory],
        symbols: [Symbol]
    ) {
        self.assets = assets
        self.assetClasses = assetClasses
        self.categories = categories
        self.symbols = symbols.sorted { $0.id < $1.id }
        self.byId = Dictionary(uniqueKeysWithValues: self.symbols.map { ($0.id, $0) })
    }

    private var byId: [Int64: Symbol]

    /// The symbol with this id.
    public func symbol(_ id: Int64) -> Symbol? {
        byId[id]
    }

    /// The asset id of USD in ``standard``.
    public static let usd: Int64 = 3

    /// The built-in catalogue.
    public static let standard: SymbolCatalogue = {
        let assetRows: [(Int64, String, Int32)] = [
            (1, "EUR", 2), (2, "GBP", 2), (3, "USD", 2), (4, "JPY", 0), (5, "CHF", 2), (6, "AUD", 2), (7, "CAD", 2),
            (8, "NZD", 2), (9, "XAU", 2), (10, "XAG", 2), (11, "US500", 2), (12, "DE40", 2), (13, "UK100", 2),
            (14, "JP225", 2), (15, "BTC", 8), (16, "ETH", 8),
        ]
        let assets = assetRows.map { row -> ProtoOAAsset in
            var asset = ProtoOAAsset()
            asset.assetID = row.0
            asset.name = row.1
            asset.displayName = row.1
            asset.digits = row.2
            return asset
        }
        let classRows: [(Int64, String)] = [(1, "Forex"), (2, "Metals"), (3, "Indices"), (4, "Crypto")]
        let classes = classRows.map { row -> ProtoOAAssetClass in
            var assetClass = ProtoOAAssetClass()
            assetClass.id = row.0
            assetClass.name = row.1
            assetClass.sortingNumber = Double(row.0)
            return assetClass
        }
        let categoryRows: [(Int64, Int64, String)] = [
            (1, 1, "Majors"), (2, 1, "Minors"), (3, 2, "Spot Metals"), (4, 3, "Indices"), (5, 4, "Crypto"),
        ]
        let categories = categoryRows.map { row -> ProtoOASymbolCategory in
            var category = ProtoOASymbolCategory()
            category.id = row.0
            category.assetClassID = row.1
            category.name = row.2
            category.sortingNumber = Double(row.0)
            return category
        }
        func fx(
            _ id: Int64, _ name: String, _ base: Int64, _ quote: Int64, _ category: Int64, _ price: Double,
            _ spread: Int64
        )
            -> Symbol
        {
            let jpy = quote == 4
            return Symbol(
                id: id, name: name, description: "\(name.prefix(3)) vs \(name.suffix(3))", baseAssetId: base,
                quoteAssetId: quote, categoryId: category, digits: jpy ? 3 : 5, pipPosition: jpy ? 2 : 4,
                basePrice: price, spreadPoints: spread, lotSize: 10_000_000, minVolume: 100_000,
                maxVolume: 1_000_000_000, stepVolume: 100_000)
        }
        let symbols: [Symbol] = [
            fx(1, "EURUSD", 1, 3, 1, 1.08500, 6),
            fx(2, "GBPUSD", 2, 3, 1, 1.27000, 9),
            fx(3, "USDJPY", 3, 4, 1, 150.000, 8),
            fx(4, "USDCHF", 3, 5, 1, 0.88000, 10),
            fx(5, "AUDUSD", 6, 3, 1, 0.66000, 8),
            fx(6, "USDCAD", 3, 7, 1, 1.36000, 10),
            fx(7, "NZDUSD", 8, 3, 1, 0.61000, 12),
            fx(8, "EURGBP", 1, 2, 2, 0.85500, 10),
            fx(9, "EURJPY", 1, 4, 2, 162.500, 12),
            fx(10, "GBPJPY", 2, 4, 2, 190.000, 18),
            fx(11, "EURCHF", 1, 5, 2, 0.95500, 14),
            fx(12, "AUDJPY", 6, 4, 2, 99.000, 14),
            fx(13, "EURAUD", 1, 6, 2, 1.64500, 18),
            fx(14, "GBPCHF", 2, 5, 2, 1.12000, 20),
            fx(15, "CADJPY", 7, 4, 2, 110.000, 16),
            Symbol(
                id: 16, name: "XAUUSD", description: "Gold vs US Dollar", baseAssetId: 9, quoteAssetId: 3,
                categoryId: 3,
                digits: 2, pipPosition: 1, basePrice: 2350.00, spreadPoints: 25, lotSize: 10_000, minVolume: 100,
                maxVolume: 10_000_000, stepVolume: 100),
            Symbol(
                id: 17, name: "XAGUSD", description: "Silver vs US Dollar", baseAssetId: 10, quoteAssetId: 3,
                categoryId: 3,
                digits: 3, pipPosition: 2, basePrice: 28.000, spreadPoints: 25, lotSize: 500_000, minVolume: 5_000,
                maxVolume: 50_000_000, stepVolume: 5_000),
            Symbol(
                id: 18, name: "US500", description: "US 500 Index", baseAssetId: 11, quoteAssetId: 3, categoryId: 4,
                digits: 2, pipPosition: 0, basePrice: 5200.00, spreadPoints: 50, lotSize: 100, minVolume: 10,
                maxVolume: 1_000_000, stepVolume: 10),
            Symbol(
                id: 19, name: "DE40", description: "Germany 40 Index", baseAssetId: 12, quoteAssetId: 1, categoryId: 4,
                digits: 2, pipPosition: 0, basePrice: 18000.00, spreadPoints: 120, lotSize: 100, minVolume: 10,
                maxVolume: 1_000_000, stepVolume: 10),
            Symbol(
                id: 20, name: "UK100", description: "UK 100 Index", baseAssetId: 13, quoteAssetId: 2, categoryId: 4,
                digits: 2, pipPosition: 0, basePrice: 8000.00, spreadPoints: 100, lotSize: 100, minVolume: 10,
                maxVolume: 1_000_000, stepVolume: 10),
            Symbol(
                id: 21, name: "JP225", description: "Japan 225 Index", baseAssetId: 14, quoteAssetId: 4, categoryId: 4,
                digits: 2, pipPosition: 0, basePrice: 38000.00, spreadPoints: 700, lotSize: 100, minVolume: 10,
                maxVolume: 1_000_000, stepVolume: 10),
            Symbol(
                id: 22, name: "BTCUSD", description: "Bitcoin vs US Dollar", baseAssetId: 15, quoteAssetId: 3,
                categoryId: 5,
                digits: 2, pipPosition: 0, basePrice: 65000.00, spreadPoints: 3000, lotSize: 100, minVolume: 1,
                maxVolume: 10_000, stepVolume: 1),
            Symbol(
                id: 23, name: "ETHUSD", description: "Ethereum vs US Dollar", baseAssetId: 16, quoteAssetId: 3,
                categoryId: 5,
                digits: 2, pipPosition: 0, basePrice: 3200.00, spreadPoints: 250, lotSize: 100, minVolume: 1,
                maxVolume: 100_000, stepVolume: 1),
        ]
        return SymbolCatalogue(assets: assets, assetClasses: classes, categories: categories, symbols: symbols)
    }()
}
