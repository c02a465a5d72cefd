// swift-ctrader: CTraderClient.placeOrder(_:until: .filled) against the in-process simulator.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import Testing

// MARK: - Waiting for the fill

@Suite("Client end to end: placeOrder(_:until: .filled)", .timeLimit(.minutes(5)))
struct ClientWaitForFillTests {
    @Test(arguments: [E2EWire.json, .protobuf])
    func aMarketOrderReturnsItsFill(wire: E2EWire) async throws {
        try await withSimulatorClient(configure: { makeClient($0, wire: wire) }) { _, client in
            try await connectAndAuthorize(client)
            let filled = try await client.placeOrder(order(.market, clientOrderId: "wait-1"), until: .filled)
            #expect(filled.executionType == .orderFilled)
            #expect(filled.order.clientOrderID == "wait-1")
            #expect(filled.position.tradeData.volume == 100_000)
            // The default is unchanged: the acceptance.
            let accepted = try await client.placeOrder(order(.market, clientOrderId: "wait-2"), until: .accepted)
            #expect(accepted.executionType == .orderAccepted)
        }
    }

    @Test func aLimitOrderReturnsOnceThePriceCrosses() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            var limit = order(.limit, clientOrderId: "wait-limit")
            limit.limitPrice = 1.08
            let statuses = Task {
                // Move the market once the order is pending.
                while try await client.reconcile(account: hedged).order.isEmpty {
                    try await Task.sleep(for: .milliseconds(10))
                }
                await simulator.setQuote(symbolId: eurusd, bid: 107_990, ask: 107_995)
            }
            let filled = try await client.placeOrder(limit, until: .filled)
            try await statuses.value
            #expect(filled.executionType == .orderFilled)
            #expect(filled.order.clientOrderID == "wait-limit")
            #expect(filled.deal.executionPrice == 1.07995)
        }
    }

    @Test func aCancelledOrderFailsTheWait() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            var limit = order(.limit, clientOrderId: "wait-cancel")
            limit.limitPrice = 1.08
            let canceller = Task {
                var pending: [ProtoOAOrder] = []
                while pending.isEmpty {
                    pending = try await client.reconcile(account: hedged).order
                }
                var cancel = ProtoOACancelOrderReq()
                cancel.ctidTraderAccountID = hedged
                cancel.orderID = pending[0].orderID
                _ = try await client.send(cancel, expecting: ProtoOAExecutionEvent.self)
            }
            let error = await ctraderError { _ = try await client.placeOrder(limit, until: .filled) }
            try await canceller.value
            #expect(error?.code == .orderError)
            #expect(error?.errorCode == "ORDER_CANCELLED")
        }
    }

    @Test func aRefusedOrderAndAnOrderThatNeverFills() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.setQuote(symbolId: eurusd, bid: 108_500, ask: 108_506)
            await simulator.faults.rejectOrders(withErrorCode: "MARKET_CLOSED")
            let refused = await ctraderError {
                _ = try await client.placeOrder(order(.market, clientOrderId: "x"), until: .filled)
            }
            #expect(refused?.code == .orderError)
            #expect(refused?.errorCode == "MARKET_CLOSED")
            await simulator.faults.rejectOrders(withErrorCode: nil)

            var limit = order(.limit, clientOrderId: "never")
            limit.limitPrice = 1.0
            let unknown = await ctraderError {
                _ = try await client.placeOrder(limit, until: .filled, timeout: .milliseconds(300))
            }
            #expect(unknown?.code == .outcomeUnknown)
            #expect(unknown?.reason.contains("ProtoOAReconcileReq") == true)
        }
    }
}
