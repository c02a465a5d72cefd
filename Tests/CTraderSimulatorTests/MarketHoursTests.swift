// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator
import CTraderToolkit
import Foundation
import Testing

/// The simulator's market hours (`SymbolCatalogue.MarketHours`, `MarketHoursMode.enforced`)
/// against the toolkit's `MarketCalendar` built from the simulator's own `ProtoOASymbol` answer,
/// and both against instants computed by hand. Every instant is chosen by the test (the engine's
/// `now`), so nothing depends on the day or hour the tests run at.
///
/// The 2026 clock changes (tz database): America/New_York EST → EDT on Sun 8 Mar at 07:00 UTC and
/// back on Sun 1 Nov at 06:00 UTC; Europe/London GMT → BST on Sun 29 Mar at 01:00 UTC and back on
/// Sun 25 Oct at 01:00 UTC; Europe/Berlin CET → CEST the same instants as London.
@Suite("Simulator: market hours and MARKET_CLOSED", .timeLimit(.minutes(10)))
struct MarketHoursTests {
    static func ms(_ text: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = ISO8601DateFormatter().date(from: text) ?? formatter.date(from: text)!
        return Int64((date.timeIntervalSince1970 * 1_000).rounded())
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }

    /// An engine that enforces market hours, with both demo accounts authorized, and no request
    /// rate limit in the way of thousands of orders at nearby instants.
    static func enforcing() -> EngineHarness {
        EngineHarness.ready(configuration: .init(seed: 42, requestsPerSecond: 1_000_000, marketHours: .enforced))
    }

    /// The symbols as the simulator answers `ProtoOASymbolByIdReq` for them.
    static func symbols(_ h: inout EngineHarness) throws -> [ProtoOASymbol] {
        var list = ProtoOASymbolsListReq()
        list.ctidTraderAccountID = EngineHarness.hedged
        let light = try #require(h.request(list).first?.message(as: ProtoOASymbolsListRes.self)).symbol
        var byId = ProtoOASymbolByIdReq()
        byId.ctidTraderAccountID = EngineHarness.hedged
        byId.symbolID = light.map(\.symbolID)
        return try #require(h.request(byId).first?.message(as: ProtoOASymbolByIdRes.self)).symbol
    }

    /// Places a pending buy limit order far below the market at `h.now`; cancels it when it was
    /// accepted. Returns whether the server refused it with `MARKET_CLOSED`; fails on any other
    /// outcome.
    static func refusedAsClosed(_ h: inout EngineHarness, symbol: ProtoOASymbol) -> Bool {
        let replies = h.order(.limit, .buy, volume: symbol.minVolume, symbol: symbol.symbolID) {
            $0.limitPrice = 0.000_01
        }
        if let error = replies.first?.orderError {
            #expect(error.errorCode == "MARKET_CLOSED", "\(error)")
            return true
        }
        guard let order = replies.first?.execution?.order, replies.first?.execution?.executionType == .orderAccepted
        else {
            Issue.record("symbol \(symbol.symbolID): neither accepted nor MARKET_CLOSED: \(replies)")
            return false
        }
        var cancel = ProtoOACancelOrderReq()
        cancel.ctidTraderAccountID = EngineHarness.hedged
        cancel.orderID = order.orderID
        _ = h.request(cancel)
        return false
    }

    // MARK: - Against the calendar

    @Test func theCalendarAgreesWithEveryMarketClosed() async throws {
        var h = Self.enforcing()
        let symbols = try Self.symbols(&h)
        #expect(symbols.count == 23)
        // One calendar per distinct published hours (the 15 FX pairs share theirs), each built
        // from the simulator's own answer.
        var families: [String: Int] = [:]
        var calendars: [MarketCalendar] = []
        var familyOf: [Int] = []
        for symbol in symbols {
            let key = "\(symbol.scheduleTimeZone)|\(symbol.schedule)|\(symbol.holiday)"
            if families[key] == nil {
                families[key] = calendars.count
                calendars.append(try MarketCalendar(symbol: symbol, searchDays: 14))
            }
            familyOf.append(families[key] ?? 0)
        }
        #expect(calendars.count == 7)
        // Windows around the US and UK spring changes, the autumn changes, Thanksgiving (a whole
        // day, then a partial one), and Christmas to New Year (Christmas Eve closes at 12:30 in London).
        let windows = [
            ("2026-03-05T00:00:00Z", "2026-03-11T00:00:00Z"), ("2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z"),
            ("2026-10-23T00:00:00Z", "2026-11-03T00:00:00Z"), ("2026-11-25T00:00:00Z", "2026-11-30T00:00:00Z"),
            ("2026-12-23T00:00:00Z", "2027-01-04T00:00:00Z"),
        ].map { (Self.ms($0.0), Self.ms($0.1)) }
        var instants: Set<Int64> = []
        for (start, end) in windows {
            // Every two hours…
            for t in stride(from: start, to: end, by: 7_200_000) { instants.insert(t) }
            // …and both sides of every opening and closing the calendars announce, to the second
            // and to the millisecond.
            for calendar in calendars {
                var t = start
                while let next = [calendar.nextOpen(after: Self.date(t)), calendar.nextClose(after: Self.date(t))]
                    .compactMap({ $0 }).min(), next.timeIntervalSince1970 * 1_000 < Double(end)
                {
                    let edge = Int64((next.timeIntervalSince1970 * 1_000).rounded())
                    instants.formUnion([edge - 1_000, edge - 1, edge])
                    t = edge
                }
            }
        }
        var disagreements = 0
        var closedSeen: [Int64: Int] = [:]
        var openSeen: [Int64: Int] = [:]
        for t in instants.sorted() {
            // A fresh engine per instant: an account's order book that grew with every probe
            // would make each order cost more than the last.
            var h = Self.enforcing()
            h.now = t
            let calendarOpen = calendars.map { $0.isOpen(at: Self.date(t)) }
            for (index, symbol) in symbols.enumerated() {
                let closed = Self.refusedAsClosed(&h, symbol: symbol)
                let open = calendarOpen[familyOf[index]]
                if closed == open {
                    disagreements += 1
                    Issue.record(
                        "symbol \(symbol.symbolID) at \(Self.date(t)) (\(t) ms): server closed \(closed), calendar open \(open)"
                    )
                }
                if closed {
                    closedSeen[symbol.symbolID, default: 0] += 1
                } else {
                    openSeen[symbol.symbolID, default: 0] += 1
                }
            }
            await Task.yield()  // a long walk: let the other tests run on the cooperative pool
        }
        #expect(disagreements == 0)
        #expect(instants.count > 700)
        // Not vacuous: every symbol but crypto was seen both open and closed, crypto always open.
        for symbol in symbols {
            let crypto = symbol.symbolID == 22 || symbol.symbolID == 23
            #expect((closedSeen[symbol.symbolID] ?? 0 > 0) == !crypto, "symbol \(symbol.symbolID)")
            #expect(openSeen[symbol.symbolID] ?? 0 > 0, "symbol \(symbol.symbolID)")
        }
    }

    // MARK: - By hand

    /// Instants whose answer was worked out by hand from the published hours (not from either
    /// implementation): (symbol id, instant in UTC, open?, why).
    static let handComputed: [(Int64, String, Bool, String)] = [
        // EURUSD (1): UTC, Sunday 22:00 to Friday 22:00, daily sessions ending at 23:59:59.
        (1, "2026-03-06T21:59:59Z", true, "Friday 21:59:59, the last second of the week"),
        (1, "2026-03-06T22:00:00Z", false, "Friday 22:00, the weekly close"),
        (1, "2026-03-08T21:59:59Z", false, "Sunday 21:59:59"),
        (1, "2026-03-08T22:00:00Z", true, "Sunday 22:00, the weekly open"),
        (1, "2026-03-09T23:59:59.500Z", true, "Monday 23:59:59.5: a session ending at 23:59:59 ends at midnight"),
        (1, "2026-12-24T23:59:59Z", true, "Thursday before Christmas"),
        (1, "2026-12-25T00:00:00Z", false, "Christmas Day (UTC)"),
        (1, "2027-01-01T12:00:00Z", false, "New Year's Day (UTC)"),
        // XAUUSD (16): UTC, daily break 22:00–23:00; holidays on New York's clocks.
        (16, "2026-03-10T21:59:59Z", true, "Tuesday before the break"),
        (16, "2026-03-10T22:30:00Z", false, "Tuesday, the daily break"),
        (16, "2026-03-10T23:00:00Z", true, "Tuesday, after the break"),
        (16, "2026-03-08T22:30:00Z", false, "Sunday: metals open at 23:00"),
        (16, "2026-12-25T04:59:59Z", true, "Christmas has not begun in New York (23:59:59 EST)"),
        (16, "2026-12-25T05:00:00Z", false, "Christmas Day 00:00 EST"),
        // US500 (18): New York, Sunday 18:00 to Friday 17:00, daily break 17:00–18:00.
        (18, "2026-03-01T22:30:00Z", false, "Sunday 17:30 EST"),
        (18, "2026-03-01T23:00:00Z", true, "Sunday 18:00 EST"),
        (18, "2026-03-08T21:59:59Z", false, "Sunday 17:59:59 EDT, after the spring change"),
        (18, "2026-03-08T22:00:00Z", true, "Sunday 18:00 EDT: an hour earlier in UTC"),
        (18, "2026-03-09T20:59:59Z", true, "Monday 16:59:59 EDT"),
        (18, "2026-03-09T21:00:00Z", false, "Monday 17:00 EDT, the daily break"),
        (18, "2026-03-09T22:00:00Z", true, "Monday 18:00 EDT"),
        (18, "2026-10-30T20:59:59Z", true, "Friday 16:59:59 EDT"),
        (18, "2026-10-30T21:00:00Z", false, "Friday 17:00 EDT, the weekly close"),
        (18, "2026-11-01T22:00:00Z", false, "Sunday 17:00 EST, after the autumn change"),
        (18, "2026-11-01T23:00:00Z", true, "Sunday 18:00 EST"),
        (18, "2026-11-26T04:59:59Z", true, "Wednesday 23:59:59 EST, before Thanksgiving"),
        (18, "2026-11-26T05:00:00Z", false, "Thanksgiving 00:00 EST"),
        (18, "2026-11-26T23:00:00Z", false, "Thanksgiving 18:00 EST, still the holiday"),
        (18, "2026-11-27T05:00:00Z", true, "Friday 00:00 EST, the holiday over"),
        (18, "2026-11-27T18:14:59Z", true, "Friday 13:14:59 EST"),
        (18, "2026-11-27T18:15:00Z", false, "Friday 13:15 EST, the early close (a partial holiday)"),
        (18, "2026-11-27T21:59:59Z", false, "Friday 16:59:59 EST, still the early close"),
        // UK100 (20): London, Monday to Friday 01:00–21:00; Christmas Eve closes at 12:30.
        (20, "2026-03-23T00:59:59Z", false, "Monday 00:59:59 GMT"),
        (20, "2026-03-23T01:00:00Z", true, "Monday 01:00 GMT"),
        (20, "2026-03-29T23:59:59Z", false, "Monday 00:59:59 BST"),
        (20, "2026-03-30T00:00:00Z", true, "Monday 01:00 BST: an hour earlier in UTC"),
        (20, "2026-03-30T19:59:59Z", true, "Monday 20:59:59 BST"),
        (20, "2026-03-30T20:00:00Z", false, "Monday 21:00 BST"),
        (20, "2026-10-26T00:30:00Z", false, "Monday 00:30 GMT, after the autumn change"),
        (20, "2026-10-26T01:00:00Z", true, "Monday 01:00 GMT"),
        (20, "2026-12-24T12:29:59Z", true, "Christmas Eve 12:29:59 GMT"),
        (20, "2026-12-24T12:30:00Z", false, "Christmas Eve 12:30 GMT (a partial holiday to 23:59:59)"),
        // DE40 (19): Berlin, Monday to Friday 01:15–22:00.
        (19, "2026-03-09T00:14:59Z", false, "Monday 01:14:59 CET"),
        (19, "2026-03-09T00:15:00Z", true, "Monday 01:15 CET"),
        // JP225 (21): Tokyo (no summer time), Monday 08:00 to Saturday 06:00, break 06:00–08:00.
        (21, "2026-03-08T22:59:59Z", false, "Monday 07:59:59 JST"),
        (21, "2026-03-08T23:00:00Z", true, "Monday 08:00 JST"),
        (21, "2026-03-10T21:30:00Z", false, "Wednesday 06:30 JST, the daily break"),
        // BTCUSD (22): round the clock.
        (22, "2026-03-07T12:00:00Z", true, "Saturday noon"),
    ]

    @Test func handComputedInstants() throws {
        var h = Self.enforcing()
        let symbols = Dictionary(uniqueKeysWithValues: try Self.symbols(&h).map { ($0.symbolID, $0) })
        for (id, text, open, why) in Self.handComputed {
            let symbol = try #require(symbols[id])
            h.now = Self.ms(text)
            #expect(Self.refusedAsClosed(&h, symbol: symbol) == !open, "server: \(id) at \(text): \(why)")
            #expect(
                try MarketCalendar(symbol: symbol).isOpen(at: Self.date(h.now)) == open,
                "calendar: \(id) at \(text): \(why)")
        }
    }

    // MARK: - What the symbols publish

    @Test func theSymbolsPublishTheirHours() throws {
        var h = Self.enforcing()
        let symbols = Dictionary(uniqueKeysWithValues: try Self.symbols(&h).map { ($0.symbolID, $0) })
        let eurusd = try #require(symbols[1])
        #expect(eurusd.scheduleTimeZone == "UTC")
        // Sunday 22:00–23:59:59, Monday to Thursday 00:00–23:59:59, Friday 00:00–22:00.
        #expect(
            eurusd.schedule.map { [$0.startSecond, $0.endSecond] } == [
                [79_200, 86_399], [86_400, 172_799], [172_800, 259_199], [259_200, 345_599], [345_600, 431_999],
                [432_000, 511_200],
            ])
        let us500 = try #require(symbols[18])
        #expect(us500.scheduleTimeZone == "America/New_York")
        let earlyClose = try #require(us500.holiday.first { $0.holidayID == 302 })
        // 2026-11-27 is day 20 784 since 1970-01-01 (56 years of 365 days, 14 leap days, 330 days into 2026).
        #expect(earlyClose.holidayDate == 20_784)
        #expect(earlyClose.startSecond == 47_700 && earlyClose.endSecond == 61_200)
        #expect(earlyClose.isRecurring == false && earlyClose.scheduleTimeZone == "America/New_York")
        let christmasEve = try #require(symbols[20]?.holiday.first { $0.holidayID == 401 })
        #expect(christmasEve.isRecurring && christmasEve.endSecond == 86_399)
        #expect(symbols[16]?.holiday.allSatisfy { $0.scheduleTimeZone == "America/New_York" } == true)
    }

    // MARK: - Spots, matching, and the default

    @Test func noSpotsForAClosedSymbolUntilItOpens() {
        var h = Self.enforcing()
        // Monday 9 March 2026, 21:30 UTC: FX trades, US500 is in its daily break (17:30 EDT).
        h.now = Self.ms("2026-03-09T21:30:00Z")
        var sub = ProtoOASubscribeSpotsReq()
        sub.ctidTraderAccountID = EngineHarness.hedged
        sub.symbolID = [1, 18]
        let replies = h.request(sub)
        #expect(replies.first?.payloadType == .protoOaSubscribeSpotsRes)
        let first = replies.compactMap { $0.message(as: ProtoOASpotEvent.self) }
        #expect(first.map(\.symbolID) == [1])
        var during: Set<Int64> = []
        for _ in 0..<20 {  // to 21:34
            for envelope in EngineHarness.envelopes(h.tick(advancing: 12_000)) {
                if let spot = envelope.message(as: ProtoOASpotEvent.self) { during.insert(spot.symbolID) }
            }
        }
        #expect(!during.contains(18))
        #expect(during.contains(1))
        // 22:00 UTC is 18:00 EDT: US500 opens, and its first spot carries both sides.
        h.now = Self.ms("2026-03-09T21:59:59Z")
        let opening = EngineHarness.envelopes(h.tick(advancing: 1_000)).compactMap {
            $0.message(as: ProtoOASpotEvent.self)
        }
        let us500 = opening.first { $0.symbolID == 18 }
        #expect(us500?.hasBid == true && us500?.hasAsk == true)
    }

    @Test func pendingOrdersDoNotFillWhileClosed() throws {
        var h = Self.enforcing()
        // Friday 6 March 2026, 21:00 UTC: EURUSD trades; a buy limit above the ask fills at once
        // when the market is open.
        h.now = Self.ms("2026-03-06T21:00:00Z")
        let ask = h.bidAsk(1).ask
        let placed = h.order(.limit, .buy) { $0.limitPrice = Double(ask) / 100_000 + 0.05 }
        let orderId = try #require(placed.first?.execution?.order.orderID)
        // Saturday: closed, so the tick fills nothing.
        h.now = Self.ms("2026-03-07T12:00:00Z")
        let saturday = EngineHarness.envelopes(h.tick()).compactMap(\.execution)
        #expect(saturday.isEmpty)
        // Sunday 22:00: open again, and the order fills.
        h.now = Self.ms("2026-03-08T22:00:00Z")
        let sunday = EngineHarness.envelopes(h.tick()).compactMap(\.execution)
        #expect(sunday.contains { $0.executionType == .orderFilled && $0.order.orderID == orderId })
    }

    @Test func theDefaultTradesAtAnyInstant() {
        // The default configuration publishes the same hours but enforces none of them.
        var h = EngineHarness.ready()
        h.now = Self.ms("2026-03-07T12:00:00Z")  // a Saturday
        let replies = h.order(.market, .buy)
        #expect(replies.first?.execution?.executionType == .orderAccepted)
        #expect(h.engine.isMarketOpen(symbolId: 1, now: h.now) == true)
        #expect(h.engine.isMarketOpen(symbolId: 999, now: h.now) == nil)
    }
}

extension MarketHoursTests {
    /// The example of the "Market hours" article.
    @Test func theArticleExample() {
        let engine = SimulatorEngine(configuration: .init(seed: 7, marketHours: .enforced))
        let saturday: Int64 = 1_772_884_800_000
        #expect(saturday == Self.ms("2026-03-07T12:00:00Z"))
        #expect(engine.isMarketOpen(symbolId: 1, now: saturday) == false)
        #expect(engine.isMarketOpen(symbolId: 22, now: saturday) == true)
    }
}
