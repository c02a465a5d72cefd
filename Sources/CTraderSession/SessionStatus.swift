// swift-ctrader: the cTrader Open API session layer.

/// What the session reports about its connection, on ``CTraderClient/statusUpdates(bufferSize:)``.
public enum SessionStatus: Sendable, CustomStringConvertible {
    /// Opening a connection; `attempt` is 1 for the first try, 2 for the first retry, …
    case connecting(attempt: Int)
    /// The connection is open; application authentication (2100) is under way.
    case authenticating
    /// Connected and authenticated for the first time.
    case ready
    /// The connection dropped; the error says why.
    case connectionLost(CTraderError)
    /// A reconnect attempt follows after `delay`.
    case reconnecting(attempt: Int, delay: Duration)
    /// Reconnected, and application auth, account auth and the subscriptions restored as far as
    /// they went (what was not is reported on ``CTraderClient/sessionEvents(bufferSize:)`` as
    /// ``CTraderSessionEvent/restoreFailed(_:_:)`` and retried at the next chance); `gap` is the
    /// time without a usable connection, during which events were missed.
    case reconnected(gap: Duration)
    /// An account could not be authorized again, for good (its token refused and no refresh
    /// possible, an unknown account); it is no longer restored.
    case accountAuthorizationFailed(ctidTraderAccountId: Int64, error: CTraderError)
    /// The session failed permanently (wrong credentials, reconnect gave up).
    case failed(CTraderError)
    /// The session was shut down.
    case shutDown

    /// A short text form.
    public var description: String {
        switch self {
        case .connecting(let attempt): "connecting (attempt \(attempt))"
        case .authenticating: "authenticating"
        case .ready: "ready"
        case .connectionLost(let error): "connection lost: \(error)"
        case .reconnecting(let attempt, let delay): "reconnecting (attempt \(attempt)) in \(delay)"
        case .reconnected(let gap): "reconnected after \(gap)"
        case .accountAuthorizationFailed(let account, let error): "account \(account) not restored: \(error)"
        case .failed(let error): "failed: \(error)"
        case .shutDown: "shut down"
        }
    }
}

extension SessionStatus {
    /// The status when the session becomes ready: ``ready`` the first time, ``reconnected(gap:)``
    /// after a drop at `droppedAt` (the gap runs from the drop until `now`).
    static func readiness(droppedAt: Duration?, now: Duration) -> SessionStatus {
        guard let droppedAt else { return .ready }
        return .reconnected(gap: now - droppedAt)
    }
}
