// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import Testing

@Suite("Engine: symbols and market data", .timeLimit(.minutes(5)))
struct EngineMarketDataTests {
    @Test func symbolsAssetsAndDetails() {
        var h = EngineHarness.ready()
        var list = ProtoOASymbolsListReq()
        list.ctidTraderAccountID = EngineHarness.hedged
        let symbols = h.request(list).first?.message(as: ProtoOASymbolsListRes.self)?.symbol ?? []
        #expect(symbols.count >= 20)
        let names = Set(symbols.map(\.symbolName))
        #expect(names.isSuperset(of: ["EURUSD", "GBPUSD", "USDJPY", "EURGBP", "XAUUSD", "US500", "DE40"]))

        var assets = ProtoOAAssetListReq()
        assets.ctidTraderAccountID = EngineHarness.hedged
        #expect((h.request(assets).first?.message(as: ProtoOAAssetListRes.self)?.asset.count ?? 0) >= 10)
        var classes = ProtoOAAssetClassListReq()
        classes.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(classes).first?.message(as: ProtoOAAssetClassListRes.self)?.assetClass.count == 4)
        var categories = ProtoOASymbolCategoryListReq()
        categories.ctidTraderAccountID = EngineHarness.hedged
        #expect(h.request(categories).first?.message(as: ProtoOASymbolCategoryListRes.self)?.symbolCategory.count == 5)

        var byId = ProtoOASymbolByIdReq()
        byId.ctidTraderAccountID = EngineHarness.hedged
        byId.symbolID = [1, 16]
        let details = h.request(byId).first?.message(as: ProtoOASymbolByIdRes.self)?.symbol ?? []
        #expect(details.count == 2)
        #expect(details.first?.digits == 5)
        #expect(details.first?.pipPosition == 4)
        #expect(details.first?.lotSize == 10_000_000)
        #expect(details.first?.minVolume == 100_000)
        #expect(details.first?.schedule.isEmpty == false)
        #expect(details.last?.digits == 2)
        #expect(details.allSatisfy { $0.hasSymbolID && $0.hasDigits && $0.hasPipPosition })

        byId.symbolID = [12345]
        #expect(h.request(byId).first?.error?.errorCode == "SYMBOL_NOT_FOUND")
    }

    @Test func spotSubscriptionStreamsOnTick() {
        var h = EngineHarness.ready()
        var sub = ProtoOASubscribeSpotsReq()
        sub.ctidTraderAccountID = EngineHarness.hedged
        sub.symbolID = [1, 2]
        let replies = h.request(sub)
        #expect(replies.map(\.payloadType) == [.protoOaSubscribeSpotsRes, .protoOaSpotEvent, .protoOaSpotEvent])
        let first = replies[1].message(as: ProtoOASpotEvent.self)
        #expect(first?.hasBid == true && first?.hasAsk == true)
        #expect((first?.ask ?? 0) > (first?.bid ?? 0))
        #expect(h.request(sub).first?.error?.errorCode == "ALREADY_SUBSCRIBED")

        var spots = 0
        for _ in 0..<10 {
            spots += EngineHarness.envelopes(h.tick()).filter { $0.payloadType == .protoOaSpotEvent }.count
        }
        #expect(spots >= 10)

        var unsub = ProtoOAUnsubscribeSpotsReq()
        unsub.ctidTraderAccountID = EngineHarness.hedged
        unsub.symbolID = [1, 2]
        #expect(h.request(unsub).first?.payloadType == .protoOaUnsubscribeSpotsRes)
        #expect(EngineHarness.envelopes(h.tick()).isEmpty)
    }

    @Test func liveTrendbarsNeedSpotsAndRideOnSpotEvents() {
        var h = EngineHarness.ready()
        var live = ProtoOASubscribeLiveTrendbarReq()
        live.ctidTraderAccountID = EngineHarness.hedged
        live.symbolID = 1
        live.period = .m1
        #expect(h.request(live).first?.error?.errorCode == "NOT_SUBSCRIBED_TO_SPOTS")
        var sub = ProtoOASubscribeSpotsReq()
        sub.ctidTraderAccountID = EngineHarness.hedged
        sub.symbolID = [1]
        _ = h.request(sub)
        #expect(h.request(live).first?.payloadType == .protoOaSubscribeLiveTrendbarRes)
        let spot = EngineHarness.envelopes(h.tick()).first?.message(as: ProtoOASpotEvent.self)
        #expect(spot?.trendbar.count == 1)
        #expect(spot?.trendbar.first?.period == .m1)
    }

    @Test func depthQuotesReplaceTheirPredecessors() {
        var h = EngineHarness.ready()
        var sub = ProtoOASubscribeDepthQuotesReq()
        sub.ctidTraderAccountID = EngineHarness.hedged
        sub.symbolID = [1]
        let replies = h.request(sub)
        #expect(replies.map(\.payloadType) == [.protoOaSubscribeDepthQuotesRes, .protoOaDepthEvent])
        let first = replies[1].message(as: ProtoOADepthEvent.self)
        #expect(first?.newQuotes.count == 10)
        let next = EngineHarness.envelopes(h.tick()).first?.message(as: ProtoOADepthEvent.self)
        #expect(Set(next?.deletedQuotes ?? []) == Set(first?.newQuotes.map(\.id) ?? []))
    }

    @Test func trendbarsWithinTheLimits() {
        var h = EngineHarness.ready()
        var req = ProtoOAGetTrendbarsReq()
        req.ctidTraderAccountID = EngineHarness.hedged
        req.symbolID = 1
        req.period = .m1
        let hourStart = h.now / 3_600_000 * 3_600_000 - 3_600_000
        req.fromTimestamp = hourStart
        req.toTimestamp = hourStart + 3_600_000
        let res = h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)
        #expect(res?.trendbar.count == 60)
        #expect(res?.hasMore_p == false)
        #expect(res?.trendbar.first?.utcTimestampInMinutes == UInt32(hourStart / 60_000))
        for bar in res?.trendbar ?? [] {
            #expect(bar.deltaHigh >= bar.deltaOpen && bar.deltaHigh >= bar.deltaClose)
            #expect(bar.low > 0)
        }
        // The same request gives the same bars.
        #expect(h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)?.trendbar == res?.trendbar)

        req.count = 10
        let counted = h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)
        #expect(counted?.trendbar.count == 10)
        #expect(counted?.hasMore_p == true)
        #expect(counted?.trendbar.last == res?.trendbar.last)

        h.now += 1_000  // stay inside the historical rate limit
        req.clearCount()
        // The documented M1 limit, 302,400,000 ms (3.5 days): one millisecond more is refused.
        req.fromTimestamp = req.toTimestamp - 302_400_001
        #expect(h.request(req).first?.error?.errorCode == "INCORRECT_BOUNDARIES")
        h.now += 1_000
        req.fromTimestamp = req.toTimestamp - 302_400_000
        #expect(h.request(req).first?.payloadType == .protoOaGetTrendbarsRes)
        h.now += 1_000
        req.fromTimestamp = hourStart - 36 * 86_400_000  // 36 days of M1
        let error = h.request(req).first?.error
        #expect(error?.errorCode == "INCORRECT_BOUNDARIES")

        req.period = .h1  // 35 weeks allowed
        let hours = h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)
        #expect((hours?.trendbar.count ?? 0) > 800)

        req.period = .w1
        req.fromTimestamp = h.now - 365 * 86_400_000
        req.toTimestamp = h.now
        let weeks = h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)
        #expect((weeks?.trendbar.count ?? 0) >= 51)
        req.period = .mn1
        let months = h.request(req).first?.message(as: ProtoOAGetTrendbarsRes.self)
        #expect((months?.trendbar.count ?? 0) >= 11)
    }

    @Test func tickDataNewestFirstWithinAWeek() {
        var h = EngineHarness.ready()
        var req = ProtoOAGetTickDataReq()
        req.ctidTraderAccountID = EngineHarness.hedged
        req.symbolID = 1
        req.type = .bid
        req.fromTimestamp = h.now - 60_000
        req.toTimestamp = h.now
        let res = h.request(req).first?.message(as: ProtoOAGetTickDataRes.self)
        let ticks = res?.tickData ?? []
        #expect(ticks.count > 20)
        #expect(res?.hasMore_p == false)
        // The first tick is absolute; the others are negative time differences.
        #expect(ticks.first.map { $0.timestamp > req.fromTimestamp && $0.timestamp < req.toTimestamp } == true)
        #expect(ticks.dropFirst().allSatisfy { $0.timestamp < 0 })
        var time: Int64 = 0
        var price: Int64 = 0
        for tick in ticks {
            time += tick.timestamp
            price += tick.tick
            #expect(time >= req.fromTimestamp)
            #expect(price > 100_000 && price < 120_000)
        }

        req.fromTimestamp = h.now - 8 * 86_400_000
        #expect(h.request(req).first?.error?.errorCode == "INCORRECT_BOUNDARIES")
    }

    @Test func tickDataPagesWithHasMore() {
        var h = EngineHarness.ready(configuration: .init(seed: 3, maximumTicksPerResponse: 100))
        var req = ProtoOAGetTickDataReq()
        req.ctidTraderAccountID = EngineHarness.hedged
        req.symbolID = 1
        req.type = .ask
        req.fromTimestamp = h.now - 3_600_000
        req.toTimestamp = h.now
        let res = h.request(req).first?.message(as: ProtoOAGetTickDataRes.self)
        #expect(res?.tickData.count == 100)
        #expect(res?.hasMore_p == true)
    }

    @Test func rateLimits() {
        var h = EngineHarness.ready()
        var trader = ProtoOATraderReq()
        trader.ctidTraderAccountID = EngineHarness.hedged
        h.now += 1_000
        var errors: [ProtoOAErrorRes] = []
        for _ in 0..<51 {
            errors += h.request(trader).compactMap(\.error)
        }
        #expect(errors.count == 1)
        #expect(errors.first?.errorCode == "REQUEST_FREQUENCY_EXCEEDED")
        #expect(errors.first?.retryAfter == 1)

        h.now += 1_000
        var bars = ProtoOAGetTrendbarsReq()
        bars.ctidTraderAccountID = EngineHarness.hedged
        bars.symbolID = 1
        bars.period = .h1
        bars.fromTimestamp = h.now - 86_400_000
        bars.toTimestamp = h.now
        var answers: [PayloadType] = []
        for _ in 0..<6 {
            answers += h.request(bars).map(\.payloadType)
        }
        #expect(answers == Array(repeating: .protoOaGetTrendbarsRes, count: 5) + [.protoOaErrorRes])
        // Ordinary requests still pass.
        #expect(h.request(trader).first?.payloadType == .protoOaTraderRes)
        h.now += 1_000
        #expect(h.request(bars).first?.payloadType == .protoOaGetTrendbarsRes)
    }

    @Test func undecodableInputs() throws {
        var h = EngineHarness()
        let codec = JSONEnvelopeCodec(omitsEmptyPayload: true)
        var malformed: MessagingError?
        do { _ = try codec.decode(#"{"payl"#) } catch { malformed = error }
        let outputs = h.engine.receive(.undecodable(try #require(malformed)), from: 1, now: h.now)
        #expect(outputs.count == 2)
        let sent = EngineHarness.envelopes(outputs)
        #expect(sent.count == 1)
        #expect(
            h.json(sent[0]).hasPrefix(
                #"{"payloadType":2142,"payload":{"errorCode":"INVALID_REQUEST","description":"Malformed JSON message at 1:"#
            ))
        if case .close(1, _) = outputs.last {} else { Issue.record("expected a close") }

        let tooLarge = h.engine.receive(.undecodable(MessagingError(code: .messageTooLarge)), from: 1, now: h.now)
        #expect(EngineHarness.envelopes(tooLarge).first?.error?.errorCode == "FRAME_TOO_LONG")
    }

    @Test func unknownPayloadType() {
        var h = EngineHarness()
        h.authorizeApplication()
        let raw = Envelope(
            payloadType: 2999, clientMsgId: "x", rawPayload: RawPayload(bytes: Array("{}".utf8), format: .json))
        let reply = EngineHarness.envelopes(h.engine.receive(.envelope(raw), from: 1, now: h.now)).first
        #expect(reply?.error?.errorCode == "UNSUPPORTED_MESSAGE")
        #expect(reply?.clientMsgId == "x")
        // A response type sent as a request is not supported either.
        #expect(h.request(ProtoOAApplicationAuthRes()).first?.error?.errorCode == "UNSUPPORTED_MESSAGE")
    }

    @Test func determinism() {
        func run(seed: UInt64) -> [String] {
            var h = EngineHarness.ready(configuration: .init(seed: seed))
            var sub = ProtoOASubscribeSpotsReq()
            sub.ctidTraderAccountID = EngineHarness.hedged
            sub.symbolID = [1, 16, 18]
            var outputs = h.send(sub)
            _ = h.order(.market, .buy)
            _ = h.order(.limit, .sell, volume: 200_000) { $0.limitPrice = 1.2 }
            for _ in 0..<20 { outputs += h.tick() }
            var bars = ProtoOAGetTrendbarsReq()
            bars.ctidTraderAccountID = EngineHarness.hedged
            bars.symbolID = 19
            bars.period = .m5
            bars.fromTimestamp = h.now - 86_400_000
            bars.toTimestamp = h.now
            outputs += h.send(bars)
            var reconcile = ProtoOAReconcileReq()
            reconcile.ctidTraderAccountID = EngineHarness.hedged
            outputs += h.send(reconcile)
            return EngineHarness.envelopes(outputs).map { h.json($0) }
        }
        let first = run(seed: 9)
        #expect(first.count > 40)
        #expect(!first.contains("<unencodable>"))
        #expect(run(seed: 9) == first)
        #expect(run(seed: 10) != first)
    }
}
