// swift-ctrader: the local cTrader-compatible simulator.

extension SymbolCatalogue {
    /// The chain of symbols that converts asset `first` into asset `last`, as
    /// `ProtoOASymbolsForConversionRes` sends it and as the simulator converts its money:
    ///
    /// - no symbol when the assets are the same;
    /// - the one symbol that joins them (either way round), e.g. JPY → EUR: `EURJPY`;
    /// - else two symbols through USD, e.g. CAD → EUR: `USDCAD`, `EURUSD`;
    /// - else the shortest chain through any assets (symbols tried by ascending id), e.g.
    ///   JP225 → USD: `JP225`, `USDJPY`.
    ///
    /// `nil` when no chain joins them.
    public func conversionChain(from first: Int64, to last: Int64) -> [Symbol]? {
        if first == last { return [] }
        func joining(_ a: Int64, _ b: Int64) -> Symbol? {
            symbols.first {
                ($0.baseAssetId == a && $0.quoteAssetId == b) || ($0.baseAssetId == b && $0.quoteAssetId == a)
            }
        }
        if let direct = joining(first, last) { return [direct] }
        if let toUSD = joining(first, Self.usd), let fromUSD = joining(Self.usd, last) { return [toUSD, fromUSD] }
        // Breadth first over the assets, symbols in ascending id order.
        var chains: [Int64: [Symbol]] = [first: []]
        var frontier = [first]
        while !frontier.isEmpty {
            var next: [Int64] = []
            for asset in frontier {
                let path = chains[asset] ?? []
                for symbol in symbols where symbol.baseAssetId == asset || symbol.quoteAssetId == asset {
                    let other = symbol.baseAssetId == asset ? symbol.quoteAssetId : symbol.baseAssetId
                    guard chains[other] == nil else { continue }
                    chains[other] = path + [symbol]
                    if other == last { return path + [symbol] }
                    next.append(other)
                }
            }
            frontier = next
        }
        return nil
    }
}
