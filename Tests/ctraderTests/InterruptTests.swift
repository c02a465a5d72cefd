// swift-ctrader: Ctrl-C (SIGINT) during `ctrader order`: never silent, never a lie. Before the order
// was sent: exit 130, nothing executed. After: the account is reconciled, exit 5.

import CTrader
import CTraderTransport
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Forwards protobuf frames between clients and a simulator, and drops every `ORDER_FILLED`
/// execution event on its way to the client: a fill that never arrives.
final class FillDroppingProxy: Sendable {
    private let listener: CTraderChannelListener
    private let serving: Task<Void, Never>

    var port: Int { listener.port }

    init(upstreamPort: Int) async throws {
        var quiet = Logger(label: "test.proxy")
        quiet.logLevel = .critical
        let logger = quiet
        let listener = CTraderChannelListener.protobuf(try await TCPListener.bind(port: 0, logger: logger))
        self.listener = listener
        let upstream = CTraderConnector.protobufTCP(host: "127.0.0.1", port: upstreamPort)
        serving = Task {
            await listener.serve { client in
                guard let server = try? await upstream.open(logger: logger) else { return }
                await withDiscardingTaskGroup { group in
                    group.addTask {
                        while let envelope = try? await client.receive() { try? await server.send(envelope) }
                        await server.close()
                    }
                    group.addTask {
                        while let envelope = try? await server.receive() {
                            if envelope.message(as: ProtoOAExecutionEvent.self)?.executionType == .orderFilled {
                                continue
                            }
                            try? await client.send(envelope)
                        }
                        await client.abort()
                    }
                }
            }
        }
    }

    func stop() async {
        await listener.close()
        serving.cancel()
    }
}

@Suite(.timeLimit(.minutes(5))) struct InterruptTests {
    /// Runs `ctrader order buy EURUSD 0.01 --json` against `simulator`, which withholds its answers
    /// to `payloadType`, and interrupts it (SIGINT) once the simulator received that request.
    static func orderInterrupted(
        whileWithholding payloadType: PayloadType, from simulator: Simulator
    ) async throws -> CTraderBinary.Result {
        await simulator.faults.withholdResponses(to: [payloadType])
        let running = try RunningCTrader(
            ["order", "buy", "EURUSD", "0.01", "--json", "--endpoint", simulator.url]
                + ConnectionOptionsTests.credentials)
        while await simulator.faults.receivedRequestCount(of: payloadType) < 1 {
            try await Task.sleep(for: .milliseconds(20))
        }
        running.send(SIGINT)
        return await running.result()
    }

    /// The parsed `--json` output.
    static func object(_ result: CTraderBinary.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func ctrlCWhileWaitingForTheFillReconcilesAndExits5() async throws {
        let simulator = try await ConnectionOptionsTests.startSimulator()
        defer { Task { await simulator.stop() } }
        let proxy = try await FillDroppingProxy(upstreamPort: try #require(simulator.protobufPort))
        defer { Task { await proxy.stop() } }
        let running = try RunningCTrader(
            [
                "order", "buy", "EURUSD", "0.01", "--json", "--verbose", "--wire", "protobuf",
                "--endpoint", "tcp://127.0.0.1:\(proxy.port)",
            ] + ConnectionOptionsTests.credentials)
        try await running.waitForStandardError(containing: "accepted; waiting for its fill")
        running.send(SIGINT)
        let result = await running.result()
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("was accepted, then the command was interrupted before its fill was seen"))
        let reconciled = try Self.object(result)
        #expect(reconciled["outcome"] as? String == "unknown")
        #expect(reconciled["orderId"] as? Int != nil)
        // The simulator filled the order: reconciling finds its position.
        #expect((reconciled["positions"] as? [Any])?.count == 1)
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 1)
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaReconcileReq) == 1)
    }

    @Test func ctrlCAfterTheOrderWasSentReconcilesAndExits5() async throws {
        let simulator = try await ConnectionOptionsTests.startSimulator()
        defer { Task { await simulator.stop() } }
        // Once the simulator holds the order, it was written.
        let result = try await Self.orderInterrupted(whileWithholding: .protoOaNewOrderReq, from: simulator)
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("interrupted before its answer came"), "\(result.stderr)")
        let reconciled = try Self.object(result)
        #expect(reconciled["outcome"] as? String == "unknown")
        #expect(reconciled["clientMsgId"] as? String != nil)
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 1)
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaReconcileReq) == 1)
    }

    @Test func ctrlCBeforeTheOrderWasSentExits130() async throws {
        let simulator = try await ConnectionOptionsTests.startSimulator()
        defer { Task { await simulator.stop() } }
        // The command waits for the symbols, before it sends the order.
        let result = try await Self.orderInterrupted(whileWithholding: .protoOaSymbolsListReq, from: simulator)
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("interrupted before the order was sent: nothing was executed"))
        #expect(result.stdout.isEmpty)
        #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 0)
    }
}
