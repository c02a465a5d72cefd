// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    /// Whether the simulator enforces the trading hours its symbols publish
    /// (``SymbolCatalogue/MarketHours``).
    public enum MarketHoursMode: Sendable, Hashable {
        /// Every symbol trades at every instant, whatever its published `schedule` and `holiday`
        /// say: a test, a demo or a CI run behaves the same on a Saturday as on a Tuesday. The
        /// default.
        case alwaysOpen
        /// Outside a symbol's sessions, or on one of its holidays, new orders are refused with a
        /// `ProtoOAOrderErrorEvent` `MARKET_CLOSED`, no spot, depth or live trendbar event is sent
        /// for it, and its pending orders, stop losses and take profits do not fill. The instant
        /// is the engine's `now`, so tests choose it.
        case enforced
    }

    /// Whether `symbol` trades at `now` (Unix milliseconds) under ``Configuration/marketHours``.
    func isTrading(_ symbol: SymbolCatalogue.Symbol, now: Int64) -> Bool {
        configuration.marketHours == .alwaysOpen || symbol.marketHours.isOpen(atMilliseconds: now)
    }

    /// Whether the symbol `symbolId` trades at `now` (Unix milliseconds) under
    /// ``Configuration/marketHours``; `nil` for an unknown symbol.
    public func isMarketOpen(symbolId: Int64, now: Int64) -> Bool? {
        configuration.catalogue.symbol(symbolId).map { isTrading($0, now: now) }
    }

    /// Refuses a new order with `MARKET_CLOSED` when its symbol does not trade at the request's
    /// instant; returns whether it did.
    mutating func refuseWhenMarketClosed(
        _ symbol: SymbolCatalogue.Symbol, _ request: Request, out: inout Outbox
    ) -> Bool {
        guard !isTrading(symbol, now: request.now) else { return false }
        orderError(.marketClosed, "Market is closed for \(symbol.name)", request, out: &out)
        return true
    }
}
