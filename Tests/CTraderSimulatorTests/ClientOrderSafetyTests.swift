// swift-ctrader: orders never lie — a cancelled order's outcome is unknown, and the simulator
// never receives an order twice, across a reconnect.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import Testing

@Suite("Client end to end: orders never lie", .timeLimit(.minutes(5)))
struct ClientOrderSafetyTests {
    @Test func aCancelledOrderIsUnknownAndNoOrderIsWrittenTwice() async throws {
        try await withSimulatorClient { simulator, client in
            let statuses = client.statusUpdates()
            try await connectAndAuthorize(client)
            await simulator.faults.withholdResponses(to: [.protoOaNewOrderReq])
            let pending = Task { await ctraderError { _ = try await client.send(order(.market)) } }
            // The order reached the simulator, which does not answer it.
            while await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) < 1 { await Task.yield() }
            pending.cancel()
            let cancelled = await pending.value
            #expect(cancelled?.code == .outcomeUnknown)
            #expect(cancelled?.clientMsgId != nil)
            #expect(cancelled?.reason.contains("ProtoOAReconcileReq") == true)
            await simulator.faults.withholdResponses(to: [])

            // A reconnect does not write the cancelled order again.
            await simulator.faults.dropAllConnections()
            for await status in statuses {
                if case .reconnected = status { break }
            }
            _ = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 1)

            // A new order is written once.
            _ = try await client.send(order(.market))
            _ = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 2)
        }
    }
}
