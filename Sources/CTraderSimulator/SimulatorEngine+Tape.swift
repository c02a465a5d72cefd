// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    /// Whether some connection subscribed to spots or depth quotes (a tape starts playing then).
    var hasMarketSubscriber: Bool {
        connections.values.contains { state in
            state.spots.values.contains { !$0.isEmpty } || state.depth.values.contains { !$0.isEmpty }
        }
    }

    /// Hands a taped market event to the connections subscribed to it, as if the market made it:
    /// a spot event (its live trendbars cut to the periods each subscriber asked for) to the spot
    /// subscribers of its symbol, a depth event to its depth subscribers, each with the
    /// subscriber's account. A spot's prices become the symbol's quote, so that orders fill and
    /// pending orders trigger at the taped prices. Anything else is ignored.
    mutating func replayMarketEvent(_ envelope: Envelope, now: Int64) -> [Output] {
        var out = Outbox()
        if let spot = envelope.message(as: ProtoOASpotEvent.self) {
            let symbolId = spot.symbolID
            let bid = spot.hasBid ? Int64(clamping: spot.bid) : quoteOverrides[symbolId]?.bid
            let ask = spot.hasAsk ? Int64(clamping: spot.ask) : quoteOverrides[symbolId]?.ask
            if let bid, let ask { quoteOverrides[symbolId] = (bid, ask) }
            for id in connections.keys.sorted() {
                guard let state = connections[id] else { continue }
                for account in state.spots.keys.sorted() where state.spots[account]?[symbolId] != nil {
                    let periods = state.liveTrendbars[account]?[symbolId] ?? []
                    var event = spot
                    event.ctidTraderAccountID = account
                    event.trendbar = spot.trendbar.filter { periods.contains($0.period.rawValue) }
                    out.send(id, Envelope(event))
                }
            }
            matchOrders(now: now, out: &out)
        } else if let depth = envelope.message(as: ProtoOADepthEvent.self) {
            let symbolId = Int64(clamping: depth.symbolID)
            for id in connections.keys.sorted() {
                guard let state = connections[id] else { continue }
                for account in state.depth.keys.sorted() where state.depth[account]?[symbolId] != nil {
                    var event = depth
                    event.ctidTraderAccountID = account
                    out.send(id, Envelope(event))
                }
            }
        }
        return out.outputs
    }
}
