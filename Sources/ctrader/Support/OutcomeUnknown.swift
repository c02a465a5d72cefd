import CTraderMessaging
import CTraderSession
import Foundation

extension Session {
    /// A trading request whose outcome is unknown (its answer was lost, or Ctrl-C came after it
    /// was sent): says so on standard error, reconciles (`ProtoOAReconcileReq`, 2124), prints the
    /// open positions and pending orders it finds, and returns the error to exit with
    /// (``ExitStatus/outcomeUnknown``).
    func reconcileAfterUnknownOutcome(_ error: CTraderError) async -> CLIError {
        let request = error.payloadType.map { "\($0)" } ?? "the trading request"
        let sent = "\(request)" + (error.clientMsgId.map { " (clientMsgId \($0))" } ?? "")
        let how =
            Task.isCancelled ? "then the command was interrupted before its answer came" : "but its answer never came"
        var known: [String: Any] = [:]
        if let clientMsgId = error.clientMsgId { known["clientMsgId"] = clientMsgId }
        return await reconcile(
            headline: "outcome unknown: \(sent) was sent, \(how); it may have been executed.",
            message: "outcome unknown: \(sent) may or may not have been executed",
            known: known
        )
    }

    /// A market order that was accepted but whose fill was not seen (`why`: the command was
    /// interrupted, the wait timed out, the connection was lost): says so on standard error,
    /// reconciles and prints what it finds, as ``reconcileAfterUnknownOutcome(_:)``.
    func reconcileAfterUnseenFill(_ accepted: ProtoOAExecutionEvent, why: String) async -> CLIError {
        let orderId = accepted.order.orderID
        return await reconcile(
            headline: "outcome unknown: order \(orderId) was accepted, \(why) before its fill was seen; "
                + "it may have been filled.",
            message: "outcome unknown: order \(orderId) may or may not have been filled",
            known: ["orderId": orderId]
        )
    }

    /// Prints `headline`, reconciles, prints the positions and orders (with `--json`: one object
    /// with `outcome` "unknown", the `known` fields, `positions` and `orders`) and returns the
    /// error to exit with.
    private func reconcile(headline: String, message: String, known: [String: Any]) async -> CLIError {
        let terminal = output.terminal
        terminal.error(headline)
        terminal.error("Reconciling account \(account)…")
        // A task of its own: the command's task may be cancelled (Ctrl-C), and that would cancel
        // the reconciliation too.
        let session = self
        let found = await Task {
            let state = try await session.client.reconcile(account: session.account)
            let names = (try? await session.symbolNames()) ?? [:]
            return (state, names)
        }.result
        switch found {
        case .success(let (state, names)):
            let positions = state.position.map { p in
                Describe.position(p, symbol: nil, name: names[p.tradeData.symbolID], pnl: nil, pnlDigits: nil)
            }
            let orders = state.order.map { o in Describe.order(o, symbol: nil, name: names[o.tradeData.symbolID]) }
            if output.json {
                let object = known.merging(
                    ["outcome": "unknown", "positions": positions, "orders": orders] as [String: Any],
                    uniquingKeysWith: { _, new in new })
                output.emit(object)
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
