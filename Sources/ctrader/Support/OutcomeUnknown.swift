import CTraderMessaging
import CTraderSession
import Foundation

extension Session {
    /// A trading request whose outcome is unknown (its answer was lost, or Ctrl-C came after it
    /// was sent): says so on standard error, reconciles (`ProtoOAReconcileReq`, 2124), prints the
    /// open positions and pending orders it finds, and returns the error to exit with
    /// (``ExitStatus/outcomeUnknown``).
    func reconcileAfterUnknownOutcome(_ error: CTraderError) async -> CLIError {
        let terminal = output.terminal
        let request = error.payloadType.map { "\($0)" } ?? "the trading request"
        let sent = "\(request)" + (error.clientMsgId.map { " (clientMsgId \($0))" } ?? "")
        terminal.error("outcome unknown: \(sent) was sent, but its answer never came; it may have been executed.")
        terminal.error("Reconciling account \(account)…")
        // A task of its own: the command's task may be cancelled (Ctrl-C), and that would cancel
        // the reconciliation too.
        let session = self
        let found = await Task {
            let state = try await session.client.reconcile(account: session.account)
            let names = (try? await session.symbolNames()) ?? [:]
            return (state, names)
        }.result
        let message = "outcome unknown: \(sent) may or may not have been executed"
        switch found {
        case .success(let (state, names)):
            let positions = state.position.map { p in
                Describe.position(p, symbol: nil, name: names[p.tradeData.symbolID], pnl: nil, pnlDigits: nil)
            }
            let orders = state.order.map { o in Describe.order(o, symbol: nil, name: names[o.tradeData.symbolID]) }
            if output.json {
                output.emit(["outcome": "unknown", "positions": positions, "orders": orders] as [String: Any])
            } else {
                terminal.line(positions.isEmpty ? "No open positions." : "Open positions:")
                if !positions.isEmpty {
                    output.table(
                        Describe.table(
                            positions,
                            columns: ["positionId", "symbol", "side", "lots", "price", "stopLoss", "takeProfit"],
                            right: ["lots", "price", "stopLoss", "takeProfit"]
                        )
                    )
                }
                terminal.line(orders.isEmpty ? "No pending orders." : "Pending orders:")
                if !orders.isEmpty {
                    output.table(
                        Describe.table(
                            orders,
                            columns: ["orderId", "symbol", "side", "type", "lots", "limitPrice", "stopPrice"],
                            right: ["lots", "limitPrice", "stopPrice"]
                        )
                    )
                }
            }
            return CLIError(
                message: "\(message): check the positions and orders above", exitCode: ExitStatus.outcomeUnknown)
        case .failure(let failure):
            return CLIError(
                message: "\(message), and reconciling failed (\(failure)): check with `ctrader positions` and "
                    + "`ctrader orders`",
                exitCode: ExitStatus.outcomeUnknown
            )
        }
    }
}
