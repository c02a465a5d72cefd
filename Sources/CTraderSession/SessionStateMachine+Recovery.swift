// swift-ctrader: the cTrader Open API session layer.

import CTraderMessaging

// The session's recovery from what the server ends: a connection (2148), an account's session
// (2164), an access token (2147); the re-authorization of accounts with backoff; the report of
// what failed to be restored, which is tried again at the next chance.

extension SessionStateMachine {
    // MARK: - Server events

    /// A server event: handed to the streams, and acted on when it ends something.
    /// - 2164 (`ProtoOAAccountDisconnectEvent`): the account is authorized again on the same
    ///   connection, with backoff, and its subscriptions restored.
    /// - 2147 (`ProtoOAAccountsTokenInvalidatedEvent`): the accounts' access token is never sent
    ///   again; an account with a refresh token is refreshed (the pair saved first) and authorized
    ///   again, another fails with ``CTraderError/Code/authenticationFailed`` naming the event.
    /// - 2148 (`ProtoOAClientDisconnectEvent`): the connection ends with
    ///   ``CTraderError/Code/disconnectedByServer`` and the server's reason; the reconnect policy
    ///   applies.
    mutating func event(_ envelope: Envelope, now: Duration) -> [Action] {
        var actions: [Action] = [.emit(envelope)]
        switch envelope.payloadType {
        case .protoOaAccountDisconnectEvent:
            if let event = envelope.message(as: ProtoOAAccountDisconnectEvent.self) {
                actions += accountDisconnected(event.ctidTraderAccountID, now: now)
            }
        case .protoOaAccountsTokenInvalidatedEvent:
            if let event = envelope.message(as: ProtoOAAccountsTokenInvalidatedEvent.self) {
                actions += tokensInvalidated(event.ctidTraderAccountIds, reason: event.reason, now: now)
            }
        case .protoOaClientDisconnectEvent:
            guard let connection = openConnection else { break }
            let reason = envelope.message(as: ProtoOAClientDisconnectEvent.self)?.reason ?? ""
            actions.append(.closeConnection(connection))
            actions += connectionLost(Self.disconnectedByServer(reason: reason), now: now)
        default:
            break
        }
        return actions
    }

    /// The error a `ProtoOAClientDisconnectEvent` (2148) ends the connection with.
    static func disconnectedByServer(reason: String) -> CTraderError {
        let cause = CTraderServerDisconnect(reason: reason)
        return CTraderError(code: .disconnectedByServer, reason: cause.description, underlying: cause)
    }

    /// 2164: the broker logged account `id` out; the connection stays. An account authorized once
    /// is authorized again with backoff (``Configuration/accountReauthorization``); one still
    /// being authorized is forgotten (its authorization fails on its own).
    private mutating func accountDisconnected(_ id: Int64, now: Duration) -> [Action] {
        guard let account = accounts[id] else { return [] }
        guard account.isRestorable else {
            accounts.remove(id)
            return []
        }
        accounts.sessionEnded(id)
        scheduleReauthorization(id, now: now)
        let reason = "ProtoOAAccountDisconnectEvent (2164): the server logged the account out"
        return [.sessionEvent(.accountSessionEnded(ctidTraderAccountId: id, reason: reason))]
    }

    /// 2147: the access token of `ids` was invalidated. It is never sent again: each account
    /// authorized once is refreshed and authorized again, or fails (no refresh token).
    private mutating func tokensInvalidated(_ ids: [Int64], reason: String, now: Duration) -> [Action] {
        var actions: [Action] = []
        for id in ids.sorted() {
            guard let account = accounts[id] else { continue }
            let why =
                "ProtoOAAccountsTokenInvalidatedEvent (2147): the access token was invalidated"
                + (reason.isEmpty ? "" : " (\(reason))")
            accounts.sessionEnded(id, tokenInvalidated: why)
            actions.append(.sessionEvent(.accountSessionEnded(ctidTraderAccountId: id, reason: why)))
            if account.isRestorable { actions += reauthorize(id, now: now) }
        }
        return actions + restoreProgressed(now: now) + drain(now: now)
    }

    /// The error of an account whose token the server invalidated and that has no refresh token.
    static func tokenInvalidatedError(account: Int64, why: String) -> CTraderError {
        CTraderError(
            code: .authenticationFailed,
            reason: "\(why), and no refresh token is known: account \(account) is not restored; authorize it again "
                + "with a new access token",
            payloadType: .protoOaAccountAuthReq,
            ctidTraderAccountId: account
        )
    }

    // MARK: - Re-authorization

    /// Authorizes account `id` again (a restoration, 2164, 2147, a retry): with its access token,
    /// or, when the server invalidated that token, with a refresh first (no refresh token: the
    /// account fails for good). Nothing when a refreshed pair is being saved (the save authorizes
    /// it with the new token) or an authorization or refresh is already under way.
    mutating func reauthorize(_ id: Int64, now: Duration) -> [Action] {
        guard let account = accounts[id], accounts.pendingSaves[id] == nil, !hasPendingAuthorization(id) else {
            return []
        }
        if let why = account.tokenInvalidated {
            guard let refreshToken = account.refreshToken else {
                let error = Self.tokenInvalidatedError(account: id, why: why)
                return accountNotAuthorized(id, user: nil, error: error, now: now)
            }
            let refresh = SessionAuthentication.refreshRequest(refreshToken)
            scheduler.enqueueInternal(refresh, purpose: .tokenRefresh(account: id, user: nil), now: now)
            return []
        }
        let auth = SessionAuthentication.accountAuthRequest(account: id, accessToken: account.accessToken.value)
        scheduler.enqueueInternal(auth, purpose: .accountAuth(account: id, user: nil, refreshed: false), now: now)
        return []
    }

    /// Whether a session authorization or token refresh for account `id` is queued or in flight.
    func hasPendingAuthorization(_ id: Int64) -> Bool {
        scheduler.internalQueue.contains { Self.authorizes($0, id) }
            || scheduler.inFlight.values.contains { Self.authorizes($0, id) }
    }

    private static func authorizes(_ outgoing: Outgoing, _ id: Int64) -> Bool {
        switch outgoing.purpose {
        case .accountAuth(let account, _, _), .tokenRefresh(let account, _): account == id
        case .user, .appAuth, .restoreSubscription: false
        }
    }

    /// Schedules account `id`'s next re-authorization on this connection, after the backoff
    /// delay; none once ``Configuration/accountReauthorization``'s attempts are spent (the next
    /// reconnect restores it).
    mutating func scheduleReauthorization(_ id: Int64, now: Duration) {
        guard let account = accounts[id],
            account.reauthorizeAttempts < configuration.accountReauthorization.maximumAttempts
        else { return }
        let delay = accounts.reauthorization.delay(attempt: account.reauthorizeAttempts + 1)
        accounts.scheduleReauthorization(id, at: now + delay)
    }

    private var reauthorizes: Bool {
        switch state {
        case .restoring, .ready: true
        case .idle, .connecting, .authenticating, .waitingToReconnect, .failed, .shutDown: false
        }
    }

    /// When accounts are due for a re-authorization on this connection.
    var reauthorizationDeadlines: [Duration] { reauthorizes ? accounts.reauthorizationDeadlines : [] }

    /// Authorizes the accounts whose re-authorization is due.
    mutating func reauthorizeDue(now: Duration) -> [Action] {
        guard reauthorizes else { return [] }
        var actions: [Action] = []
        for id in accounts.reauthorizationsDue(now: now) {
            actions += reauthorize(id, now: now)
        }
        return actions
    }

    // MARK: - Restoration's outcome

    /// A restoration's subscription was answered. A refusal is reported
    /// (``CTraderSessionEvent/restoreFailed(_:_:)``) and the subscription kept: it is tried again
    /// at the next reconnect, or, refused by a rate limit, once the pause ends (at most
    /// ``Configuration/accountReauthorization``'s attempts per connection). `ALREADY_SUBSCRIBED`
    /// is success.
    mutating func restoreSubscriptionAnswered(_ outgoing: Outgoing, error: CTraderError?, now: Duration) -> [Action] {
        guard let error, error.errorCode != .alreadySubscribed else { return restoreProgressed(now: now) }
        if RequestScheduler.isRateLimited(error),
            accounts.rateLimitedRetries < configuration.accountReauthorization.maximumAttempts
        {
            accounts.rateLimitedRetries += 1
            scheduler.enqueueInternal(outgoing.message, purpose: .restoreSubscription, now: now)
            return []
        }
        var actions: [Action] = []
        if let target = CTraderRestoreTarget(request: outgoing.message) {
            accounts.restoreFailed()
            actions.append(.sessionEvent(.restoreFailed(target, error)))
        }
        return actions + restoreProgressed(now: now)
    }

    /// The session events when the session becomes ready: ``CTraderSessionEvent/restored(gap:)``
    /// after a drop at `droppedAt` when everything was restored, then ``CTraderSessionEvent/ready``.
    func readinessEvents(droppedAt: Duration?, now: Duration) -> [Action] {
        var events: [Action] = []
        if let droppedAt, accounts.failedRestores == 0 {
            events.append(.sessionEvent(.restored(gap: now - droppedAt)))
        }
        events.append(.sessionEvent(.ready))
        return events
    }
}
