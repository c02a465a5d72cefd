// swift-ctrader: protective orders. A market order carries its stop loss and take profit on
// itself; amending one level sends the other as it is (the server clears a level left out), and
// clearing one leaves it out. The tests check what the client SENT (recorded at its channel), so
// they hold whether or not the server clears an omitted level, and end to end what the position
// holds after. Orders fill at once: the market ticks slowly, to spare the machine.

import CTrader
import Foundation
import Testing

/// A price as the tests compare it: the position's `double` rounded to 5 digits, exactly.
private func decimal(_ price: Double) -> Decimal {
    Decimal(string: String(format: "%.5f", price))!
}

/// The hedged account's open position `id`, per reconcile.
private func position(_ id: Int64, of client: CTraderClient) async throws -> ProtoOAPosition {
    try #require(try await client.reconcile(account: hedged).position.first { $0.positionID == id })
}

@Suite(.timeLimit(.minutes(3))) struct ProtectionTests {
    @Test func aMarketOrderCarriesItsProtectionOnTheOrderItself() async throws {
        let sent = SentEnvelopes()
        try await withSimulatorClient(sent: sent, tick: .seconds(1)) { simulator, client in
            let accepted = try await client.placeMarketOrder(
                account: hedged, symbol: 1, side: .buy, volume: 100_000,
                protection: .relative(stopLoss: 50, takeProfit: 120))
            let orders = sent.messages(ProtoOANewOrderReq.self)
            #expect(orders.count == 1)
            #expect(orders.first?.relativeStopLoss == 50)
            #expect(orders.first?.relativeTakeProfit == 120)
            #expect(orders.first?.hasStopLoss == false)
            #expect(orders.first?.hasTakeProfit == false)
            // No second message: nothing to amend.
            #expect(sent.messages(ProtoOAAmendPositionSLTPReq.self).isEmpty)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaAmendPositionSltpReq) == 0)

            let filled = try await position(accepted.position.positionID, of: client)
            let entry = decimal(filled.price)
            #expect(decimal(filled.stopLoss) == entry - Decimal(string: "0.0005")!)
            #expect(decimal(filled.takeProfit) == entry + Decimal(string: "0.0012")!)
        }
    }

    @Test func aProtectionWithADistanceOfZeroIsRefusedBeforeItIsSent() async throws {
        try await withSimulatorClient(tick: .seconds(1)) { simulator, client in
            await #expect(throws: CTraderProtectionError.distanceNotPositive(field: "relativeStopLoss")) {
                try await client.placeMarketOrder(
                    account: hedged, symbol: 1, side: .sell, volume: 100_000, protection: .relative(stopLoss: 0))
            }
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 0)
        }
    }

    /// Amending one level re-sends the other exactly as read, and the server keeps it.
    @Test(arguments: [true, false]) func amendingOneLevelSendsTheOtherAsItIs(amendsStopLoss: Bool) async throws {
        let sent = SentEnvelopes()
        try await withSimulatorClient(sent: sent, tick: .seconds(1)) { _, client in
            let accepted = try await client.placeMarketOrder(
                account: hedged, symbol: 1, side: amendsStopLoss ? .buy : .sell, volume: 100_000,
                protection: .relative(stopLoss: 200, takeProfit: 300))
            let id = accepted.position.positionID
            let before = try await position(id, of: client)
            let level = decimal(amendsStopLoss ? before.stopLoss : before.takeProfit) - Decimal(string: "0.001")!

            if amendsStopLoss {
                _ = try await client.amendStopLoss(account: hedged, positionId: id, to: level)
            } else {
                _ = try await client.amendTakeProfit(account: hedged, positionId: id, to: level)
            }

            let amendment = try #require(sent.messages(ProtoOAAmendPositionSLTPReq.self).last)
            #expect(amendment.positionID == id)
            #expect(amendment.hasStopLoss && amendment.hasTakeProfit)
            #expect(decimal(amendsStopLoss ? amendment.stopLoss : amendment.takeProfit) == level)
            // The other level, re-sent exactly as read.
            #expect(amendsStopLoss ? amendment.takeProfit == before.takeProfit : amendment.stopLoss == before.stopLoss)
            // End to end: the server has both.
            let after = try await position(id, of: client)
            #expect(decimal(amendsStopLoss ? after.stopLoss : after.takeProfit) == level)
            #expect(amendsStopLoss ? after.takeProfit == before.takeProfit : after.stopLoss == before.stopLoss)
        }
    }

    @Test func clearingTheTakeProfitLeavesItOutAndKeepsTheStopLoss() async throws {
        let sent = SentEnvelopes()
        try await withSimulatorClient(sent: sent, tick: .seconds(1)) { _, client in
            let accepted = try await client.placeMarketOrder(
                account: hedged, symbol: 1, side: .buy, volume: 100_000,
                protection: .relative(stopLoss: 200, takeProfit: 300))
            let id = accepted.position.positionID
            let before = try await position(id, of: client)

            _ = try await client.amendProtection(account: hedged, positionId: id, takeProfit: .clear)

            let amendment = try #require(sent.messages(ProtoOAAmendPositionSLTPReq.self).last)
            #expect(!amendment.hasTakeProfit)
            #expect(amendment.stopLoss == before.stopLoss)
            let after = try await position(id, of: client)
            #expect(!after.hasTakeProfit)
            #expect(after.stopLoss == before.stopLoss)
        }
    }

    @Test func anUnknownPositionIsRefusedBeforeAnAmendmentIsSent() async throws {
        try await withSimulatorClient(tick: .seconds(1)) { simulator, client in
            await #expect(throws: CTraderProtectionError.positionNotFound(424_242)) {
                try await client.amendStopLoss(account: hedged, positionId: 424_242, to: 1)
            }
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaAmendPositionSltpReq) == 0)
        }
    }

    /// The amendment as built from a position, without a server.
    @Test func theAmendmentKeepsWhatTheCallDoesNotChange() throws {
        var position = ProtoOAPosition()
        position.positionID = 7
        position.stopLoss = 1.05
        position.takeProfit = 1.2
        position.trailingStopLoss = true
        position.stopLossTriggerMethod = .opposite

        let keepBoth = try CTraderClient.protectionAmendment(
            of: position, account: 1, stopLoss: .keep, takeProfit: .keep)
        #expect(keepBoth.stopLoss == 1.05 && keepBoth.takeProfit == 1.2)
        #expect(keepBoth.trailingStopLoss && keepBoth.stopLossTriggerMethod == .opposite)

        let newStop = try CTraderClient.protectionAmendment(
            of: position, account: 1, stopLoss: .price(Decimal(string: "1.06")!), takeProfit: .keep)
        #expect(newStop.stopLoss == 1.06 && newStop.takeProfit == 1.2)

        let clearStop = try CTraderClient.protectionAmendment(
            of: position, account: 1, stopLoss: .clear, takeProfit: .keep)
        #expect(!clearStop.hasStopLoss && !clearStop.hasTrailingStopLoss && clearStop.takeProfit == 1.2)

        position.clearTakeProfit()
        let none = try CTraderClient.protectionAmendment(
            of: position, account: 1, stopLoss: .price(Decimal(string: "1.04")!), takeProfit: .keep)
        #expect(!none.hasTakeProfit)  // a level the position lacks stays absent
    }
}
