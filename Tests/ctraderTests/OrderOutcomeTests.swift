// swift-ctrader: `ctrader order` when the order's outcome is unknown: it says so, reconciles,
// prints what it finds and exits with its own code.

import CTrader
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct OrderOutcomeTests {
    @Test func anOrderWithoutAnswerIsReconciledAndExitsWithItsOwnCode() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        await fixture.simulator.faults.withholdResponses(to: [.protoOaNewOrderReq])
        let running = Task {
            try await CTraderBinary.runAsync(["order", "buy", "EURUSD", "0.01"] + fixture.options + ["--json"])
        }
        // Once the simulator holds the order (and does not answer it), the connection drops: the
        // order's answer is lost.
        while await fixture.simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) < 1 {
            try await Task.sleep(for: .milliseconds(20))
        }
        await fixture.simulator.faults.dropAllConnections()
        let result = try await running.value
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("outcome unknown"))
        #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 1)
        #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaReconcileReq) == 1)
        let reconciled = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        )
        #expect(reconciled["outcome"] as? String == "unknown")
        #expect((reconciled["positions"] as? [Any])?.isEmpty == true)
        #expect((reconciled["orders"] as? [Any])?.isEmpty == true)
    }
}
