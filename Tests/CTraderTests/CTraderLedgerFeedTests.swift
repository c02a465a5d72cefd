// swift-ctrader: the ledger feed keeps a ledger live from a client, and resynchronizes it.

import CTrader
import Foundation
import Testing

/// A clock that moves only when the test says so.
final class LedgerTestClock: CTraderClock, @unchecked Sendable {
    private struct Sleeper {
        var id: Int
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    // Why safe: `lock` guards every mutable property.
    private let lock = NSLock()
    private var current: Duration = .zero
    private var nextId = 0
    private var sleepers: [Sleeper] = []

    func now() -> Duration { lock.withLock { current } }

    func sleep(until deadline: Duration) async throws {
        let id = lock.withLock { () -> Int in
            nextId += 1
            return nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let due = lock.withLock { () -> Bool in
                    if deadline <= current || Task.isCancelled { return true }
                    sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if due { continuation.resume() }
            }
        } onCancel: {
            let sleeper = lock.withLock { () -> Sleeper? in
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes the sleepers that are due.
    func advance(by duration: Duration) {
        let due = lock.withLock { () -> [Sleeper] in
            current += duration
            let now = current
            let due = sleepers.filter { $0.deadline <= now }
            sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

/// A client of `simulator` on the hedged demo account, on `clock` when given.
func ledgerTestClient(_ simulator: Simulator, clock: (any CTraderClock)? = nil) async throws -> CTraderClient {
    var configuration = CTraderClientConfiguration(
        endpoint: .url(simulator.url),
        credentials: CTraderCredentials(
            clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret))
    if let clock { configuration.clock = clock }
    let client = CTraderClient(configuration: configuration)
    try await client.connect()
    try await client.authorize(
        account: SimulatorIdentity.demoHedgedAccountId, accessToken: SimulatorIdentity.demoAccessToken)
    return client
}

@Suite(.timeLimit(.minutes(3))) struct CTraderLedgerFeedTests {
    let account = SimulatorIdentity.demoHedgedAccountId

    /// A position closed while the client was away (by another client) is gone from the ledger
    /// after the reconnect, and the balance is the server's, though the ledger never saw the deal.
    @Test func aReconnectResynchronizesWhatWasMissed() async throws {
        let simulator = try await Simulator.start(
            Simulator.Configuration(protobufPort: nil, tickInterval: .milliseconds(10)))
        await simulator.setQuote(symbolId: 1, bid: 108_500, ask: 108_506)
        let clock = LedgerTestClock()
        let client = try await ledgerTestClient(simulator, clock: clock)
        let feed = try await client.startLedger(account: account)
        let opened = try await client.placeMarketOrder(account: account, symbol: 1, side: .buy, volume: 1_000_000)
        let orderId = opened.order.orderID
        try await feed.wait { ledger, _ in ledger.deals.values.contains { $0.orderId == orderId } }
        let positionId = try #require(await feed.ledger.positions.keys.first)

        let status = client.statusUpdates()
        await simulator.faults.dropAllConnections()
        for await update in status {
            if case .reconnecting = update { break }
        }
        // The client waits (on its clock) to reconnect; another one closes the position meanwhile.
        let other = try await ledgerTestClient(simulator)
        await simulator.setQuote(symbolId: 1, bid: 108_620, ask: 108_626)
        let executions = other.executions()
        let closed = try await other.closePosition(account: account, positionId: positionId, volume: 1_000_000)
        #expect(closed.executionType == .orderAccepted)
        for try await element in executions {
            if element.message?.executionType == .orderFilled { break }
        }
        var request = ProtoOATraderReq()
        request.ctidTraderAccountID = account
        let trader = try await other.send(request, expecting: ProtoOATraderRes.self).trader
        #expect(trader.balanceVersion == 1)

        clock.advance(by: .seconds(120))
        try await feed.wait { ledger, _ in ledger.positions.isEmpty && ledger.balanceVersion == trader.balanceVersion }
        let ledger = await feed.ledger
        #expect(await feed.resynchronizations == 2)
        #expect(ledger.balance.scaled(moneyDigits: trader.moneyDigits) == trader.balance)
        #expect(!ledger.deals.values.contains { $0.closing != nil })  // the close was never seen live
        #expect(try await feed.crossCheck().isEmpty)

        await feed.stop()
        await other.shutdown()
        await client.shutdown()
        await simulator.stop()
    }

    /// A ledger that converts at the bid disagrees with a server that converts at the mid when the
    /// spread is wide: the cross-check reports it and resynchronizes.
    @Test func aDisagreementIsReportedAndResynchronized() async throws {
        let simulator = try await Simulator.start(
            Simulator.Configuration(protobufPort: nil, tickInterval: .milliseconds(10)))
        // USDJPY 140.000 / 160.000: a buy of 10 000 at 160 closes at 140, −200 000 JPY; the
        // server converts at the mid 150 (−1 333.33 USD), the ledger at the bid 140 (−1 428.57).
        await simulator.setQuote(symbolId: 3, bid: 14_000_000, ask: 16_000_000)
        let client = try await ledgerTestClient(simulator)
        let feed = try await client.startLedger(
            account: account, configuration: .init(ledger: .init(conversionPrice: .bid)))
        let opened = try await client.placeMarketOrder(account: account, symbol: 3, side: .buy, volume: 1_000_000)
        let orderId = opened.order.orderID
        try await feed.wait { ledger, board in
            ledger.deals.values.contains { $0.orderId == orderId } && board.quote(symbolId: 3)?.isFresh == true
                && ledger.conversionChains[4] != nil
        }
        let positionId = try #require(await feed.ledger.positions.keys.first)
        #expect(await feed.valuation().grossUnrealized.scaled(moneyDigits: 2) == -142_857)
        let found = try await feed.crossCheck()
        #expect(
            found == [
                PnLDiscrepancy(
                    positionId: positionId,
                    kind: .grossDiffers(
                        ledger: Money(Decimal(string: "-1428.57")!), server: Money(Decimal(string: "-1333.33")!)))
            ])
        #expect(await feed.resynchronizations == 2)

        await feed.stop()
        await client.shutdown()
        await simulator.stop()
    }
}
