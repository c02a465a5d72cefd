// swift-ctrader: the position ledger, fed from a client, against the simulator's own books.

import CTrader
import Foundation
import Testing

/// SplitMix64: the same trades for the same seed.
struct LedgerTrialRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The market the trials trade, all quotes set by the test: three legs that walk, and two crosses
/// that follow them (EURGBP = EURUSD / GBPUSD, EURJPY = EURUSD × USDJPY, each rounded to its
/// point), so that converting through any chain gives the same rate within a point.
struct LedgerTrialMarket {
    struct Instrument {
        var id: Int64
        /// One point in relative units (1/100000).
        var point: Int64
        /// The spread in points (even: the mid is on the grid).
        var spread: Int64
    }

    static let eurusd = Instrument(id: 1, point: 1, spread: 6)
    static let gbpusd = Instrument(id: 2, point: 1, spread: 10)
    static let usdjpy = Instrument(id: 3, point: 100, spread: 8)
    static let eurgbp = Instrument(id: 8, point: 1, spread: 10)
    static let eurjpy = Instrument(id: 9, point: 100, spread: 12)
    static let legs = [eurusd, gbpusd, usdjpy]
    static let traded = [eurusd, gbpusd, usdjpy, eurgbp, eurjpy]

    /// The mid of each symbol, in relative units.
    var mids: [Int64: Int64] = [1: 125_000, 2: 127_000, 3: 15_000_000]

    init() { deriveCrosses() }

    static func instrument(_ id: Int64) -> Instrument { traded.first { $0.id == id }! }

    mutating func deriveCrosses() {
        let eurusd = Decimal(mids[1]!) / 100_000
        let gbpusd = Decimal(mids[2]!) / 100_000
        let usdjpy = Decimal(mids[3]!) / 100_000
        mids[8] = Self.onGrid(eurusd / gbpusd, point: Self.eurgbp.point)
        mids[9] = Self.onGrid(eurusd * usdjpy, point: Self.eurjpy.point)
    }

    static func onGrid(_ price: Decimal, point: Int64) -> Int64 {
        var points = price * 100_000 / Decimal(point)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &points, 0, .plain)
        return Int64(truncating: rounded as NSDecimalNumber) * point
    }

    /// The bid and ask of a symbol.
    func quote(_ id: Int64) -> (bid: Int64, ask: Int64) {
        let instrument = Self.instrument(id)
        let half = instrument.spread / 2 * instrument.point
        return (mids[id]! - half, mids[id]! + half)
    }

    /// Sets the mid so that `side` of the symbol is `price` (legs only; crosses follow).
    mutating func set(_ id: Int64, bid: Int64? = nil, ask: Int64? = nil) {
        let instrument = Self.instrument(id)
        let half = instrument.spread / 2 * instrument.point
        if let bid { mids[id] = bid + half }
        if let ask { mids[id] = ask - half }
        deriveCrosses()
    }

    /// Every symbol's quote, pushed to the simulator.
    func publish(to simulator: Simulator) async {
        for instrument in Self.traded {
            let (bid, ask) = quote(instrument.id)
            await simulator.setQuote(symbolId: instrument.id, bid: bid, ask: ask)
        }
    }
}

/// One trial: a client with a ledger feed on one account of a simulator whose market the test
/// moves.
struct LedgerTrial {
    let simulator: Simulator
    let client: CTraderClient
    let feed: CTraderLedgerFeed
    let account: Int64
    var market = LedgerTrialMarket()
    var random: LedgerTrialRandom
    var trades = 0
    var checks = 0
    var slTpHits = 0
    var partialCloses = 0

    static func start(account: Int64, accessToken: String, seed: UInt64) async throws -> LedgerTrial {
        let simulator = try await Simulator.start(
            Simulator.Configuration(
                protobufPort: nil, engine: .init(seed: seed), tickInterval: .milliseconds(10)))
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret)))
        try await client.connect()
        try await client.authorize(account: account, accessToken: accessToken)
        let market = LedgerTrialMarket()
        await market.publish(to: simulator)
        let feed = try await client.startLedger(
            account: account, configuration: .init(tolerance: Money(Decimal(string: "0.01")!)))
        return LedgerTrial(
            simulator: simulator, client: client, feed: feed, account: account, market: market,
            random: LedgerTrialRandom(state: seed))
    }

    func stop() async {
        await feed.stop()
        await client.shutdown()
        await simulator.stop()
    }

    // MARK: - Trading

    /// One random trade: a market order (half with stop loss and take profit), a partial or full
    /// close, a stop loss or take profit hit, an amendment, or a market move.
    mutating func trade() async throws {
        let positions = await feed.ledger.positions.values.sorted { $0.id < $1.id }
        let roll = Int.random(in: 0..<100, using: &random)
        let protected = positions.filter { $0.stopLoss != nil || $0.takeProfit != nil }
        if positions.count < 2 || (roll < 35 && positions.count < 12) {
            try await open()
        } else if roll < 55, let position = positions.filter({ $0.volume >= 200_000 }).randomElement(using: &random) {
            try await close(position, partially: true)
        } else if roll < 70, let position = positions.randomElement(using: &random) {
            try await close(position, partially: false)
        } else if roll < 85, let position = protected.randomElement(using: &random) {
            try await hit(position)
        } else if roll < 92, let position = positions.filter({ $0.stopLoss == nil }).randomElement(using: &random) {
            try await amend(position)
        } else {
            try await move()
        }
        trades += 1
    }

    mutating func open() async throws {
        let instrument = LedgerTrialMarket.traded.randomElement(using: &random)!
        var order = ProtoOANewOrderReq()
        order.ctidTraderAccountID = account
        order.symbolID = instrument.id
        order.orderType = .market
        order.tradeSide = Bool.random(using: &random) ? .buy : .sell
        order.volume = 100_000 * Int64.random(in: 1...10, using: &random)
        if Bool.random(using: &random) {
            // Farther than the spread, so that the level is not hit at once.
            order.relativeStopLoss = instrument.point * Int64.random(in: 20...200, using: &random)
            order.relativeTakeProfit = instrument.point * Int64.random(in: 20...200, using: &random)
        }
        let accepted = try await client.placeOrder(order)
        let orderId = accepted.order.orderID
        try await wait("open") { ledger, _ in ledger.deals.values.contains { $0.orderId == orderId } }
    }

    mutating func close(_ position: PositionLedger.Position, partially: Bool) async throws {
        let id = position.id
        let volume =
            partially ? 100_000 * Int64.random(in: 1..<(position.volume / 100_000), using: &random) : position.volume
        _ = try await client.closePosition(account: account, positionId: id, volume: volume)
        let rest = position.volume - volume
        if partially {
            partialCloses += 1
            try await wait("partial close") { ledger, _ in ledger.positions[id]?.volume == rest }
        } else {
            try await wait("close") { ledger, _ in ledger.positions[id] == nil }
        }
    }

    /// Moves the market across the position's stop loss or take profit (a buy closes at the bid,
    /// a sell at the ask) and waits for every position the move closes. A cross moves with its
    /// first leg, EURUSD, one point at a time.
    mutating func hit(_ position: PositionLedger.Position) async throws {
        let instrument = LedgerTrialMarket.instrument(position.symbolId)
        let useStop = position.stopLoss != nil && (position.takeProfit == nil || Bool.random(using: &random))
        let level = try #require(CTraderUnits.relativePrice(useStop ? position.stopLoss! : position.takeProfit!))
        let buy = position.side == .buy
        // A buy's stop loss is hit when its bid falls to it, a sell's when its ask rises to it;
        // take profits the other way.
        let up = buy != useStop
        let beyond = Int64.random(in: 0...5, using: &random)
        if LedgerTrialMarket.legs.contains(where: { $0.id == instrument.id }) {
            let price = up ? level + beyond * instrument.point : level - beyond * instrument.point
            market.set(instrument.id, bid: buy ? price : nil, ask: buy ? nil : price)
        } else {
            func reached(_ market: LedgerTrialMarket) -> Bool {
                let quote = market.quote(instrument.id)
                let price = buy ? quote.bid : quote.ask
                return up ? price >= level : price <= level
            }
            var steps = 0
            while !reached(market) && steps < 100_000 {
                market.mids[1]! += up ? 1 : -1
                market.deriveCrosses()
                steps += 1
            }
            market.mids[1]! += up ? beyond : -beyond
            market.deriveCrosses()
        }
        try await settle()
        slTpHits += 1
    }

    mutating func amend(_ position: PositionLedger.Position) async throws {
        let instrument = LedgerTrialMarket.instrument(position.symbolId)
        let (bid, ask) = market.quote(position.symbolId)
        let market = position.side == .buy ? bid : ask
        let away = instrument.point * Int64.random(in: 20...100, using: &random)
        let toward = instrument.point * Int64.random(in: 20...100, using: &random)
        let buy = position.side == .buy
        var request = ProtoOAAmendPositionSLTPReq()
        request.ctidTraderAccountID = account
        request.positionID = position.id
        let stop = CTraderUnits.price(relative: buy ? market - away : market + away)
        let take = CTraderUnits.price(relative: buy ? market + toward : market - toward)
        // The nearest doubles (a parse of the decimal text is correctly rounded).
        request.stopLoss = Double("\(stop)")!
        request.takeProfit = Double("\(take)")!
        _ = try await client.send(request, expecting: ProtoOAExecutionEvent.self)
        let id = position.id
        try await wait("amend") { ledger, _ in ledger.positions[id]?.stopLoss == stop }
    }

    /// A random walk of one leg (and the crosses with it).
    mutating func move() async throws {
        let leg = LedgerTrialMarket.legs.randomElement(using: &random)!
        let steps = Int64.random(in: -40...40, using: &random)
        market.mids[leg.id]! += steps * leg.point
        market.deriveCrosses()
        try await settle()
    }

    /// Publishes the market and waits until the positions whose stop loss or take profit it
    /// crosses are closed (the simulator checks them at its next tick).
    func settle() async throws {
        let closing = await closedBy(market)
        await market.publish(to: simulator)
        try await wait("settle") { ledger, _ in closing.allSatisfy { ledger.positions[$0] == nil } }
    }

    /// The positions whose stop loss or take profit the market crosses, as the simulator checks
    /// them: a buy at the bid, a sell at the ask; a stop loss when the price reaches it, a take
    /// profit likewise.
    func closedBy(_ market: LedgerTrialMarket) async -> [Int64] {
        await feed.ledger.positions.values.filter { position in
            let (bid, ask) = market.quote(position.symbolId)
            let buy = position.side == .buy
            let price = CTraderUnits.price(relative: buy ? bid : ask)
            let stopHit = position.stopLoss.map { buy ? price <= $0 : price >= $0 } ?? false
            let takeHit = position.takeProfit.map { buy ? price >= $0 : price <= $0 } ?? false
            return stopHit || takeHit
        }.map(\.id)
    }

    /// Waits on the feed; after 60 s (a hang, not a timing threshold of the behaviour) records
    /// what the ledger holds and fails.
    func wait(
        _ what: String, _ condition: @escaping @Sendable (PositionLedger, QuoteBoard) -> Bool
    ) async throws {
        let feed = self.feed
        let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await feed.wait(until: condition)
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            let ledger = await feed.ledger
            let board = await feed.quotes
            let subscribed = await feed.subscribedSymbols
            Issue.record(
                """
                waiting for \(what) after \(trades) trades: positions \(ledger.positions.values.sorted { $0.id < $1.id }), \
                quoted \(ledger.quotedSymbols), subscribed \(subscribed.sorted()), missing \(ledger.missingConversions), \
                board \(board.quotes.values.map { ($0.symbolId, $0.bid?.relativePrice ?? 0, $0.ask?.relativePrice ?? 0) }), \
                market \(market.mids)
                """)
            throw CancellationError()
        }
    }

    // MARK: - Checking

    /// The ledger's balance against the server's trader, to the cent; its unrealized profit
    /// against the server's, within a cent per position.
    mutating func check() async throws {
        var request = ProtoOATraderReq()
        request.ctidTraderAccountID = account
        let trader = try await client.send(request, expecting: ProtoOATraderRes.self).trader
        let version = trader.balanceVersion
        try await wait("balance") { ledger, _ in (ledger.balanceVersion ?? -1) >= version }
        let ledger = await feed.ledger
        #expect(ledger.balanceVersion == version)
        #expect(ledger.balance.scaled(moneyDigits: trader.moneyDigits) == trader.balance)
        #expect(ledger.balanceDifference(from: trader) == nil)

        var expected: [Int64: (bid: UInt64, ask: UInt64)] = [:]
        for instrument in LedgerTrialMarket.traded {
            let (bid, ask) = market.quote(instrument.id)
            expected[instrument.id] = (UInt64(bid), UInt64(ask))
        }
        let wanted = expected
        try await wait("quotes") { ledger, board in
            ledger.missingConversions.isEmpty
                && ledger.quotedSymbols.allSatisfy { id in
                    guard let quote = board.quote(symbolId: id), let want = wanted[id] else { return false }
                    return quote.bid?.relativePrice == want.bid && quote.ask?.relativePrice == want.ask
                }
        }
        let found = try await feed.crossCheck()
        #expect(found.isEmpty, "\(found)")
        #expect(await feed.valuation().isComplete)
        checks += 1
    }

    /// `count` seeded trades, checked every `every` trades and at the end.
    mutating func run(trades count: Int, checkingEvery every: Int) async throws {
        for index in 1...count {
            try await trade()
            if index % every == 0 || index == count { try await check() }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct LedgerAgainstSimulatorTests {
    /// 200 seeded trades on the hedged USD account: USD-quoted symbols, and JPY- and GBP-quoted
    /// ones converted through USDJPY and GBPUSD.
    @Test func twoHundredRandomTradesOnTheUSDAccount() async throws {
        var trial = try await LedgerTrial.start(
            account: SimulatorIdentity.demoHedgedAccountId, accessToken: SimulatorIdentity.demoAccessToken, seed: 16)
        do {
            try await trial.run(trades: 200, checkingEvery: 20)
            #expect(trial.slTpHits > 0)
            #expect(trial.partialCloses > 0)
            #expect(await trial.feed.resynchronizations == 1)
        } catch {
            await trial.stop()
            throw error
        }
        await trial.stop()
    }

    /// 200 seeded trades on the simulator's EUR demo account: every profit is converted (USD
    /// through EURUSD, JPY through EURJPY, GBP through EURGBP).
    @Test func twoHundredRandomTradesOnTheEURAccount() async throws {
        var trial = try await LedgerTrial.start(
            account: SimulatorIdentity.demoEURAccountId, accessToken: SimulatorIdentity.demoEURAccessToken, seed: 61)
        do {
            #expect(await trial.feed.ledger.depositAssetId == 1)
            try await trial.run(trades: 200, checkingEvery: 20)
            #expect(trial.slTpHits > 0)
        } catch {
            await trial.stop()
            throw error
        }
        await trial.stop()
    }
}
