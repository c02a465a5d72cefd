// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

/// What the session did to stay usable, in order, on ``CTraderClient/sessionEvents(bufferSize:)``:
/// connecting, ready, accounts authorized, reconnecting and why, what was restored and what
/// failed to be, tokens refreshed, giving up, messages skipped.
///
/// Never carries a token: errors name accounts, payload types and server error codes only.
public enum CTraderSessionEvent: Sendable, CustomStringConvertible {
    /// Opening a connection; `attempt` is 1 for the first try, 2 for the first retry, …
    case connecting(attempt: Int)
    /// The session is usable: connected, the application authenticated, and the restoration
    /// after a reconnect done as far as it went (what failed was reported as ``restoreFailed(_:_:)``
    /// before, and is retried at the next chance).
    case ready
    /// An account was authorized: by ``CTraderClient/authorize(account:accessToken:refreshToken:timeout:)``,
    /// by a restoration after a reconnect, or again after the server ended its session.
    case accountAuthorized(ctidTraderAccountId: Int64)
    /// The server ended one account's session while the connection stays: `ProtoOAAccountDisconnectEvent`
    /// (2164), or `ProtoOAAccountsTokenInvalidatedEvent` (2147) for the accounts of an invalidated
    /// access token. The session authorizes the account again (after a refresh, for 2147) unless
    /// it cannot, which ``restoreFailed(_:_:)`` reports.
    case accountSessionEnded(ctidTraderAccountId: Int64, reason: String)
    /// The connection ended because of `cause` (for `ProtoOAClientDisconnectEvent` (2148): code
    /// ``CTraderError/Code/disconnectedByServer`` with the server's reason); attempt `attempt`
    /// follows after `delay`.
    case reconnecting(attempt: Int, delay: Duration, cause: CTraderError)
    /// After a reconnect, the application auth, every account and every subscription were restored;
    /// `gap` is the time without a usable connection. Followed by ``ready``.
    case restored(gap: Duration)
    /// Something could not be restored (after a reconnect, or after the server ended an
    /// account's session), and why. Unless the error is permanent (an access token refused and no
    /// refresh possible, an unknown account: ``CTraderError/Code/authenticationFailed``,
    /// ``CTraderError/Code/tokenStoreFailed``, `CH_CTID_TRADER_ACCOUNT_NOT_FOUND`), it is not
    /// forgotten: it is retried at the next chance (an account with backoff on the same
    /// connection, see ``CTraderClientConfiguration/accountReauthorization``; everything at the
    /// next reconnect).
    case restoreFailed(CTraderRestoreTarget, CTraderError)
    /// A token pair refreshed for the account was saved (``CTraderClientConfiguration/tokenStorage``)
    /// and is used from now on.
    case tokenRefreshed(ctidTraderAccountId: Int64)
    /// Refreshing the account's token failed (the server refused it, or saving the new pair
    /// failed).
    case tokenRefreshFailed(ctidTraderAccountId: Int64, CTraderError)
    /// The session failed for good: wrong credentials, or reconnecting gave up. The stream ends
    /// after this event.
    case gaveUp(CTraderError)
    /// A message from the server did not decode and was skipped; the connection goes on. The
    /// message itself, bytes included, is on ``CTraderClient/diagnostics(bufferSize:)``.
    case messageUndecodable(MessagingError)

    /// A short text form (never a token).
    public var description: String {
        switch self {
        case .connecting(let attempt): "connecting (attempt \(attempt))"
        case .ready: "ready"
        case .accountAuthorized(let account): "account \(account) authorized"
        case .accountSessionEnded(let account, let reason): "account \(account): session ended by the server: \(reason)"
        case .reconnecting(let attempt, let delay, let cause): "reconnecting (attempt \(attempt)) in \(delay): \(cause)"
        case .restored(let gap): "restored after \(gap)"
        case .restoreFailed(let target, let error): "restoring \(target) failed: \(error)"
        case .tokenRefreshed(let account): "account \(account): token refreshed"
        case .tokenRefreshFailed(let account, let error): "account \(account): token refresh failed: \(error)"
        case .gaveUp(let error): "gave up: \(error)"
        case .messageUndecodable(let error): "skipped a message that does not decode: \(error)"
        }
    }
}

/// What a restoration restores: an account's authorization, or one of its subscriptions.
public enum CTraderRestoreTarget: Sendable, Hashable, CustomStringConvertible {
    /// The account's authorization (2102).
    case account(Int64)
    /// The account's spot subscriptions (2127).
    case spots(account: Int64, symbols: [Int64])
    /// The account's depth quote subscriptions (2156).
    case depthQuotes(account: Int64, symbols: [Int64])
    /// One live trendbar subscription (2135).
    case liveTrendbar(account: Int64, symbol: Int64, period: ProtoOATrendbarPeriod)

    /// What a restoration request restores; `nil` for a request that restores nothing.
    init?(request message: any CTraderMessage) {
        switch message {
        case let m as ProtoOAAccountAuthReq: self = .account(m.ctidTraderAccountID)
        case let m as ProtoOASubscribeSpotsReq: self = .spots(account: m.ctidTraderAccountID, symbols: m.symbolID)
        case let m as ProtoOASubscribeDepthQuotesReq:
            self = .depthQuotes(account: m.ctidTraderAccountID, symbols: m.symbolID)
        case let m as ProtoOASubscribeLiveTrendbarReq:
            self = .liveTrendbar(account: m.ctidTraderAccountID, symbol: m.symbolID, period: m.period)
        default: return nil
        }
    }

    /// The account concerned.
    public var ctidTraderAccountId: Int64 {
        switch self {
        case .account(let account), .spots(let account, _), .depthQuotes(let account, _),
            .liveTrendbar(let account, _, _):
            account
        }
    }

    /// `account 123`, `spots of account 123 (symbols 1, 2)`, …
    public var description: String {
        switch self {
        case .account(let account): "account \(account)"
        case .spots(let account, let symbols): "spots of account \(account) (symbols \(Self.list(symbols)))"
        case .depthQuotes(let account, let symbols):
            "depth quotes of account \(account) (symbols \(Self.list(symbols)))"
        case .liveTrendbar(let account, let symbol, let period):
            "live trendbar \(period) of account \(account) (symbol \(symbol))"
        }
    }

    private static func list(_ symbols: [Int64]) -> String {
        symbols.map(String.init).joined(separator: ", ")
    }
}

/// Why the server ended the connection: the `reason` of a `ProtoOAClientDisconnectEvent` (2148).
/// The ``CTraderError/underlying`` error of a ``CTraderError/Code/disconnectedByServer`` error.
public struct CTraderServerDisconnect: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server's reason, as sent (may be empty).
    public var reason: String

    /// Makes a cause.
    public init(reason: String) {
        self.reason = reason
    }

    /// `the server ended the connection: <reason>`.
    public var description: String {
        "the server ended the connection (ProtoOAClientDisconnectEvent 2148)" + (reason.isEmpty ? "" : ": \(reason)")
    }
}
