// swift-ctrader: the cTrader Open API message layer.

extension ProtoOASpotEvent {
    /// This spot event brought up to date by a newer one of the same account and symbol: what a
    /// buffer keeps when it folds two quotes into one.
    ///
    /// A spot event carries only what changed (a bid-only or ask-only update leaves the other side
    /// out), so replacing an event with a newer one would lose the side the newer lacks. The
    /// result is `newer`, with what it lacks taken from `self`:
    /// - `bid`, `ask` and `sessionClose`: the newer value when set, else this event's;
    /// - `trendbar`: the newer bars, then this event's bars of the periods the newer has none of;
    /// - `timestamp`, `ctidTraderAccountId`, `symbolId`: the newer event's (the merged quote is
    ///   as of the newer one).
    ///
    /// ```swift
    /// bidOnly.merging(newer: askOnly)  // bid of the first, ask of the second
    /// ```
    public func merging(newer: ProtoOASpotEvent) -> ProtoOASpotEvent {
        var merged = newer
        if !merged.hasBid && hasBid { merged.bid = bid }
        if !merged.hasAsk && hasAsk { merged.ask = ask }
        if !merged.hasSessionClose && hasSessionClose { merged.sessionClose = sessionClose }
        for bar in trendbar where !newer.trendbar.contains(where: { $0.period == bar.period }) {
            merged.trendbar.append(bar)
        }
        return merged
    }
}
