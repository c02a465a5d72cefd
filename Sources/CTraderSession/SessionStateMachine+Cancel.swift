// swift-ctrader: the cTrader Open API session layer.

extension SessionStateMachine {
    /// The owner gives up waiting for a request (its task was cancelled). A queued request is
    /// removed and fails with ``CTraderError/Code/cancelled``. A request already sent is
    /// forgotten (a late answer goes to the event streams only) and fails with
    /// ``CTraderError/Code/cancelled``, or, for a trading request, with
    /// ``CTraderError/Code/outcomeUnknown`` carrying its `clientMsgId`: it may have been executed.
    public mutating func cancel(_ id: RequestID, now: Duration) -> [Action] {
        switch scheduler.cancel(id) {
        case nil:
            // An account authorization waiting for its refreshed tokens to be saved.
            return saveWaiterCancelled(id) ? [.complete(id, .failure(SessionErrors.cancelled))] : []
        case .queued:
            return [.complete(id, .failure(SessionErrors.cancelled))]
        case .inFlight(let outgoing):
            return [.complete(id, .failure(SessionErrors.cancelledInFlight(outgoing)))]
        }
    }
}
