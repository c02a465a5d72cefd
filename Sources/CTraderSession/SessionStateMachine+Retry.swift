// swift-ctrader: the cTrader Open API session layer.

import CTraderMessaging

extension SessionStateMachine {
    /// Whether the session is between a dropped connection (or a failed attempt) and ready again.
    var isReconnecting: Bool {
        switch state {
        case .waitingToReconnect:
            true
        case .connecting(_, let failures), .authenticating(_, let failures), .restoring(_, let failures):
            failures > 0
        case .idle, .ready, .failed, .shutDown:
            false
        }
    }

    /// A trading request made while the session reconnects fails at once with
    /// ``CTraderError/Code/notSent`` (it would go out late, after the reconnect), unless
    /// ``Configuration/resendsUnsentTradingRequests``; `nil` when the request may be queued.
    func unsentWhileReconnecting(_ id: RequestID, message: any CTraderMessage) -> Action? {
        guard !configuration.resendsUnsentTradingRequests, isReconnecting,
            Self.tradingPayloadTypes.contains(type(of: message).messagePayloadType)
        else { return nil }
        return .complete(id, .failure(SessionErrors.notSentWhileReconnecting(message)))
    }

    /// `outgoing` was refused with `error`: `true` when it is queued again, to be retried after a
    /// rate-limit pause or a transient error's backoff (``RequestScheduler/retry(_:after:now:unixNow:)``).
    mutating func retries(_ outgoing: Outgoing, after error: CTraderError, now: Duration) -> Bool {
        scheduler.retry(outgoing, after: error, now: now, unixNow: configuration.unixMilliseconds(now))
    }
}
