// swift-ctrader: the engine serving a tape's market events instead of its model's.

import CTraderMessaging
import Testing

@testable import CTraderSimulator

/// A taped spot of `symbol`, with a live trendbar of each period given.
private func spot(symbol: Int64, bid: UInt64, ask: UInt64, bars: [ProtoOATrendbarPeriod] = []) -> Envelope {
    var event = ProtoOASpotEvent()
    event.ctidTraderAccountID = 99
    event.symbolID = symbol
    event.bid = bid
    event.ask = ask
    event.trendbar = bars.map { period in
        var bar = ProtoOATrendbar()
        bar.period = period
        bar.volume = 10
        bar.low = Int64(bid)
        return bar
    }
    return Envelope(event)
}

struct EngineTapeTests {
    /// An engine serving a tape, with the hedged account subscribed to EURUSD's spots, its M1
    /// live trendbar and its depth.
    private func subscribedHarness() -> EngineHarness {
        var h = EngineHarness()
        h.engine.servesTape = true
        h.authorizeApplication()
        h.authorize()
        var spots = ProtoOASubscribeSpotsReq()
        spots.ctidTraderAccountID = EngineHarness.hedged
        spots.symbolID = [1]
        #expect(h.request(spots).map(\.payloadType) == [.protoOaSubscribeSpotsRes], "no quote from the model")
        var live = ProtoOASubscribeLiveTrendbarReq()
        live.ctidTraderAccountID = EngineHarness.hedged
        live.symbolID = 1
        live.period = .m1
        _ = h.request(live)
        var depth = ProtoOASubscribeDepthQuotesReq()
        depth.ctidTraderAccountID = EngineHarness.hedged
        depth.symbolID = [1]
        #expect(h.request(depth).map(\.payloadType) == [.protoOaSubscribeDepthQuotesRes], "no depth from the model")
        return h
    }

    @Test func theModelIsSilentAndTapedEventsReachTheirSubscribers() {
        var h = subscribedHarness()
        #expect(h.engine.hasMarketSubscriber)
        let ticked = EngineHarness.envelopes(h.tick(advancing: 1_000))
        #expect(!ticked.contains { $0.payloadType == .protoOaSpotEvent || $0.payloadType == .protoOaDepthEvent })

        let out = EngineHarness.envelopes(
            h.engine.replayMarketEvent(spot(symbol: 1, bid: 107_000, ask: 107_010, bars: [.m1, .h1]), now: h.now))
        let event = try? #require(out.first?.message(as: ProtoOASpotEvent.self))
        #expect(out.count == 1)
        #expect(event?.ctidTraderAccountID == EngineHarness.hedged, "the subscriber's account, not the tape's")
        #expect(event?.bid == 107_000)
        #expect(event?.trendbar.map(\.period) == [.m1], "only the live trendbars subscribed to")
        #expect(h.engine.quote(symbolId: 1, now: h.now)! == (bid: 107_000, ask: 107_010))

        var depth = ProtoOADepthEvent()
        depth.ctidTraderAccountID = 99
        depth.symbolID = 1
        var quote = ProtoOADepthQuote()
        quote.id = 5
        quote.size = 100
        quote.bid = 106_990
        depth.newQuotes = [quote]
        let depthOut = EngineHarness.envelopes(h.engine.replayMarketEvent(Envelope(depth), now: h.now))
        #expect(depthOut.count == 1)
        #expect(depthOut.first?.message(as: ProtoOADepthEvent.self)?.newQuotes == [quote])
        #expect(depthOut.first?.message(as: ProtoOADepthEvent.self)?.ctidTraderAccountID == EngineHarness.hedged)

        // Another symbol: nobody subscribed.
        #expect(h.engine.replayMarketEvent(spot(symbol: 2, bid: 1, ask: 2), now: h.now).isEmpty)
    }

    @Test func aSpotWithOnlyOneSideKeepsTheOtherInTheQuote() {
        var h = subscribedHarness()
        _ = h.engine.replayMarketEvent(spot(symbol: 1, bid: 107_000, ask: 107_010), now: h.now)
        var askOnly = ProtoOASpotEvent()
        askOnly.ctidTraderAccountID = 99
        askOnly.symbolID = 1
        askOnly.ask = 107_020
        let out = EngineHarness.envelopes(h.engine.replayMarketEvent(Envelope(askOnly), now: h.now))
        #expect(out.first?.message(as: ProtoOASpotEvent.self)?.hasBid == false, "forwarded as taped")
        #expect(h.engine.quote(symbolId: 1, now: h.now)! == (bid: 107_000, ask: 107_020))
    }
}
