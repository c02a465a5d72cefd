// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    // MARK: - Reference data

    mutating func assetList(_ request: Request, out: inout Outbox) {
        var res = ProtoOAAssetListRes()
        res.ctidTraderAccountID = request.accountId
        res.asset = configuration.catalogue.assets
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func assetClassList(_ request: Request, out: inout Outbox) {
        var res = ProtoOAAssetClassListRes()
        res.ctidTraderAccountID = request.accountId
        res.assetClass = configuration.catalogue.assetClasses
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func categoryList(_ request: Request, out: inout Outbox) {
        var res = ProtoOASymbolCategoryListRes()
        res.ctidTraderAccountID = request.accountId
        res.symbolCategory = configuration.catalogue.categories
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func symbolsList(_ req: ProtoOASymbolsListReq, _ request: Request, out: inout Outbox) {
        var res = ProtoOASymbolsListRes()
        res.ctidTraderAccountID = request.accountId
        res.symbol = configuration.catalogue.symbols.map(lightSymbol)
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func symbolById(_ req: ProtoOASymbolByIdReq, _ request: Request, out: inout Outbox) {
        var res = ProtoOASymbolByIdRes()
        res.ctidTraderAccountID = request.accountId
        for symbolId in req.symbolID {
            guard let symbol = configuration.catalogue.symbol(symbolId) else {
                out.send(
                    request.connection,
                    errorRes(
                        .symbolNotFound, "Symbol \(symbolId) is not found", msgId: request.clientMsgId,
                        account: request.accountId))
                return
            }
            res.symbol.append(Self.publishingCharges(of: symbol, in: Self.details(of: symbol)))
        }
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    static func details(of symbol: SymbolCatalogue.Symbol) -> ProtoOASymbol {
        var details = ProtoOASymbol()
        details.symbolID = symbol.id
        details.digits = symbol.digits
        details.pipPosition = symbol.pipPosition
        details.enableShortSelling = true
        details.guaranteedStopLoss = false
        details.swapRollover3Days = .wednesday
        details.swapLong = -(Double(symbol.spreadPoints) / 2)
        details.swapShort = Double(symbol.spreadPoints) / 8
        details.maxVolume = symbol.maxVolume
        details.minVolume = symbol.minVolume
        details.stepVolume = symbol.stepVolume
        details.maxExposure = UInt64(symbol.maxVolume) * 10
        var interval = ProtoOAInterval()
        interval.startSecond = 0
        interval.endSecond = 7 * 86_400
        details.schedule = [interval]
        details.commissionType = .usdPerMillionUsd
        details.preciseTradingCommissionRate = symbol.commissionPerMillion * 100_000_000
        details.preciseMinCommission = 0
        details.minCommissionType = .currency
        details.minCommissionAsset = "USD"
        details.slDistance = 0
        details.tpDistance = 0
        details.distanceSetIn = .symbolDistanceInPoints
        details.scheduleTimeZone = "UTC"
        details.tradingMode = .enabled
        details.rolloverCommission3Days = .wednesday
        details.swapCalculationType = .pips
        details.lotSize = symbol.lotSize
        details.swapTime = 1_320
        details.swapPeriod = 24
        details.chargeSwapAtWeekends = false
        return details
    }

    // MARK: - Subscriptions

    mutating func subscribeSpots(_ req: ProtoOASubscribeSpotsReq, _ request: Request, out: inout Outbox) {
        let id = request.connection
        let current = connections[id]?.spots[request.accountId] ?? [:]
        for symbolId in req.symbolID {
            guard configuration.catalogue.symbol(symbolId) != nil else {
                out.send(
                    id,
                    errorRes(
                        .symbolNotFound, "Symbol \(symbolId) is not found", msgId: request.clientMsgId,
                        account: request.accountId))
                return
            }
            if current[symbolId] != nil {
                out.send(
                    id,
                    errorRes(
                        .alreadySubscribed, "Already subscribed to spots of symbol \(symbolId)",
                        msgId: request.clientMsgId, account: request.accountId))
                return
            }
        }
        for symbolId in req.symbolID {
            connections[id]?.spots[request.accountId, default: [:]][symbolId] = SpotSubscription(
                withTimestamp: req.subscribeToSpotTimestamp)
        }
        var res = ProtoOASubscribeSpotsRes()
        res.ctidTraderAccountID = request.accountId
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
        // The current quote follows at once.
        for symbolId in req.symbolID {
            spotEvent(connection: id, account: request.accountId, symbolId: symbolId, now: request.now, out: &out)
        }
    }

    mutating func unsubscribeSpots(_ req: ProtoOAUnsubscribeSpotsReq, _ request: Request, out: inout Outbox) {
        let id = request.connection
        for symbolId in req.symbolID {
            connections[id]?.spots[request.accountId]?[symbolId] = nil
            connections[id]?.liveTrendbars[request.accountId]?[symbolId] = nil
            connections[id]?.depth[request.accountId]?[symbolId] = nil
        }
        var res = ProtoOAUnsubscribeSpotsRes()
        res.ctidTraderAccountID = request.accountId
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func subscribeDepth(_ req: ProtoOASubscribeDepthQuotesReq, _ request: Request, out: inout Outbox) {
        let id = request.connection
        for symbolId in req.symbolID where configuration.catalogue.symbol(symbolId) == nil {
            out.send(
                id,
                errorRes(
                    .symbolNotFound, "Symbol \(symbolId) is not found", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        for symbolId in req.symbolID where connections[id]?.depth[request.accountId]?[symbolId] != nil {
            out.send(
                id,
                errorRes(
                    .alreadySubscribed, "Already subscribed to depth quotes of symbol \(symbolId)",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        for symbolId in req.symbolID {
            connections[id]?.depth[request.accountId, default: [:]][symbolId] = []
        }
        var res = ProtoOASubscribeDepthQuotesRes()
        res.ctidTraderAccountID = request.accountId
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
        for symbolId in req.symbolID {
            depthEvent(connection: id, account: request.accountId, symbolId: symbolId, now: request.now, out: &out)
        }
    }

    mutating func unsubscribeDepth(_ req: ProtoOAUnsubscribeDepthQuotesReq, _ request: Request, out: inout Outbox) {
        for symbolId in req.symbolID {
            connections[request.connection]?.depth[request.accountId]?[symbolId] = nil
        }
        var res = ProtoOAUnsubscribeDepthQuotesRes()
        res.ctidTraderAccountID = request.accountId
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func subscribeLiveTrendbar(_ req: ProtoOASubscribeLiveTrendbarReq, _ request: Request, out: inout Outbox) {
        let id = request.connection
        guard configuration.catalogue.symbol(req.symbolID) != nil else {
            out.send(
                id,
                errorRes(
                    .symbolNotFound, "Symbol \(req.symbolID) is not found", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        guard connections[id]?.spots[request.accountId]?[req.symbolID] != nil else {
            out.send(
                id,
                errorRes(
                    .notSubscribedToSpots, "Subscribe to spots of symbol \(req.symbolID) first",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        connections[id]?.liveTrendbars[request.accountId, default: [:]][req.symbolID, default: []].insert(
            req.period.rawValue)
        var res = ProtoOASubscribeLiveTrendbarRes()
        res.ctidTraderAccountID = request.accountId
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func unsubscribeLiveTrendbar(
        _ req: ProtoOAUnsubscribeLiveTrendbarReq, _ request: Request, out: inout Outbox
    ) {
        connections[request.connection]?.liveTrendbars[request.accountId]?[req.symbolID]?.remove(req.period.rawValue)
        var res = ProtoOAUnsubscribeLiveTrendbarRes()
        res.ctidTraderAccountID = request.accountId
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }

    // MARK: - Live events

    mutating func publishMarketData(now: Int64, out: inout Outbox) {
        for id in connections.keys.sorted() {
            guard let state = connections[id] else { continue }
            for account in state.spots.keys.sorted() {
                for symbolId in (state.spots[account] ?? [:]).keys.sorted() {
                    spotEvent(connection: id, account: account, symbolId: symbolId, now: now, out: &out)
                }
            }
            for account in state.depth.keys.sorted() {
                for symbolId in (state.depth[account] ?? [:]).keys.sorted() {
                    depthEvent(connection: id, account: account, symbolId: symbolId, now: now, out: &out)
                }
            }
        }
    }

    /// A spot event when the bid or ask moved since the last one sent (the first one carries
    /// both; later ones only what changed, like the server).
    mutating func spotEvent(
        connection id: SimulatorConnectionID, account: Int64, symbolId: Int64, now: Int64, out: inout Outbox
    ) {
        if servesTape { return }  // a tape's events come from replayMarketEvent
        guard let subscription = connections[id]?.spots[account]?[symbolId],
            let symbol = configuration.catalogue.symbol(symbolId)
        else { return }
        let (bid, ask) = quote(symbol, now: now)
        let bars = connections[id]?.liveTrendbars[account]?[symbolId] ?? []
        if subscription.lastBid == bid && subscription.lastAsk == ask && bars.isEmpty { return }
        var event = ProtoOASpotEvent()
        event.ctidTraderAccountID = account
        event.symbolID = symbolId
        if subscription.lastBid != bid { event.bid = UInt64(bid) }
        if subscription.lastAsk != ask { event.ask = UInt64(ask) }
        if subscription.withTimestamp { event.timestamp = now }
        for raw in bars.sorted() {
            guard let period = ProtoOATrendbarPeriod(rawValue: raw) else { continue }
            let start = MarketModel.barStart(period, containing: now)
            event.trendbar.append(market.trendbar(symbol, period: period, start: start, end: max(start + 1, now + 1)))
        }
        connections[id]?.spots[account]?[symbolId]?.lastBid = bid
        connections[id]?.spots[account]?[symbolId]?.lastAsk = ask
        out.send(id, Envelope(event))
    }

    /// A depth event: new levels around the current quote, replacing the previous ones.
    mutating func depthEvent(
        connection id: SimulatorConnectionID, account: Int64, symbolId: Int64, now: Int64, out: inout Outbox
    ) {
        if servesTape { return }  // a tape's events come from replayMarketEvent
        guard let previous = connections[id]?.depth[account]?[symbolId],
            let symbol = configuration.catalogue.symbol(symbolId)
        else { return }
        let (bid, ask) = quote(symbol, now: now)
        var event = ProtoOADepthEvent()
        event.ctidTraderAccountID = account
        event.symbolID = UInt64(symbolId)
        event.deletedQuotes = previous
        var ids: [UInt64] = []
        for level in 0..<configuration.depthLevels {
            let offset = Int64(level) * symbol.pointRelative * max(1, symbol.spreadPoints / 2)
            let size = UInt64(symbol.minVolume) * UInt64(10 + 7 * level)
            var bidQuote = ProtoOADepthQuote()
            bidQuote.id = depthQuoteId
            depthQuoteId += 1
            bidQuote.size = size
            bidQuote.bid = UInt64(max(symbol.pointRelative, bid - offset))
            var askQuote = ProtoOADepthQuote()
            askQuote.id = depthQuoteId
            depthQuoteId += 1
            askQuote.size = size
            askQuote.ask = UInt64(ask + offset)
            event.newQuotes.append(contentsOf: [bidQuote, askQuote])
            ids.append(contentsOf: [bidQuote.id, askQuote.id])
        }
        connections[id]?.depth[account]?[symbolId] = ids
        out.send(id, Envelope(event))
    }

    // MARK: - History

    mutating func trendbars(_ req: ProtoOAGetTrendbarsReq, _ request: Request, out: inout Outbox) {
        let id = request.connection
        guard let symbol = configuration.catalogue.symbol(req.symbolID) else {
            out.send(
                id,
                errorRes(
                    .symbolNotFound, "Symbol \(req.symbolID) is not found", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        let to = req.hasToTimestamp ? req.toTimestamp : request.now
        let maxSpan = req.period.maximumRequestSpan
        let from = req.hasFromTimestamp ? req.fromTimestamp : max(0, to - maxSpan)
        guard from >= 0, to <= 2_147_483_646_000, from <= to else {
            out.send(
                id,
                errorRes(
                    .incorrectBoundaries, "fromTimestamp and toTimestamp must satisfy 0 <= from <= to <= 2147483646000",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        guard to - from <= maxSpan else {
            out.send(
                id,
                errorRes(
                    .incorrectBoundaries,
                    "The period from fromTimestamp to toTimestamp is longer than \(maxSpan) ms, the maximum for \(req.period)",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        // Bars that start in [from, to), never past now, newest kept when there are too many.
        let end = min(to, request.now)
        var starts: [Int64] = []
        var start = MarketModel.barStart(req.period, containing: from)
        if start < from { start = MarketModel.nextBarStart(req.period, after: start) }
        while start < end {
            starts.append(start)
            start = MarketModel.nextBarStart(req.period, after: start)
        }
        var limit = configuration.maximumTrendbarsPerResponse
        if req.hasCount { limit = min(limit, Int(req.count)) }
        let hasMore = starts.count > limit
        if starts.count > limit { starts.removeFirst(starts.count - limit) }
        var res = ProtoOAGetTrendbarsRes()
        res.ctidTraderAccountID = request.accountId
        res.period = req.period
        res.symbolID = req.symbolID
        res.hasMore_p = hasMore
        res.trendbar = starts.map { start in
            let barEnd = min(MarketModel.nextBarStart(req.period, after: start), request.now + 1)
            return market.trendbar(symbol, period: req.period, start: start, end: barEnd)
        }
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
    }

    mutating func tickData(_ req: ProtoOAGetTickDataReq, _ request: Request, out: inout Outbox) {
        let id = request.connection
        guard let symbol = configuration.catalogue.symbol(req.symbolID) else {
            out.send(
                id,
                errorRes(
                    .symbolNotFound, "Symbol \(req.symbolID) is not found", msgId: request.clientMsgId,
                    account: request.accountId))
            return
        }
        let maxSpan = configuration.maximumTickDataSpan.milliseconds
        let to = req.hasToTimestamp ? req.toTimestamp : request.now
        let from = req.hasFromTimestamp ? req.fromTimestamp : max(0, to - maxSpan)
        guard from >= 0, to <= 2_147_483_646_000, from <= to else {
            out.send(
                id,
                errorRes(
                    .incorrectBoundaries, "fromTimestamp and toTimestamp must satisfy 0 <= from <= to <= 2147483646000",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        guard to - from <= maxSpan else {
            out.send(
                id,
                errorRes(
                    .incorrectBoundaries,
                    "The period from fromTimestamp to toTimestamp is longer than \(maxSpan) ms (one week)",
                    msgId: request.clientMsgId, account: request.accountId))
            return
        }
        // Newest first; the first tick absolute, the others as differences from the previous one.
        let limit = configuration.maximumTicksPerResponse
        var times: [Int64] = []
        var windowEnd = min(to, request.now)
        var hasMore = false
        let chunk: Int64 = 3_600_000
        while windowEnd > from && !hasMore {
            let windowStart = max(from, windowEnd - chunk)
            let found = market.tickTimes(symbol, from: windowStart, to: windowEnd).reversed()
            for time in found {
                if times.count == limit {
                    hasMore = true
                    break
                }
                times.append(time)
            }
            windowEnd = windowStart
        }
        var res = ProtoOAGetTickDataRes()
        res.ctidTraderAccountID = request.accountId
        res.hasMore_p = hasMore
        var previous: (time: Int64, price: Int64)?
        for time in times {
            let price = req.type == .ask ? market.ask(symbol, at: time) : market.bid(symbol, at: time)
            var tick = ProtoOATickData()
            if let previous {
                tick.timestamp = time - previous.time
                tick.tick = price - previous.price
            } else {
                tick.timestamp = time
                tick.tick = price
            }
            previous = (time, price)
            res.tickData.append(tick)
        }
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
    }
}
