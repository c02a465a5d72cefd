// swift-ctrader: the cTrader Open API session layer.

import CTraderMessaging

/// Authentication and token refresh, as pure decisions: what an answer to an application auth
/// (2100), an account auth (2102) or a token refresh (2173) means, and the requests to send.
/// ``SessionStateMachine`` carries the decisions out.
enum SessionAuthentication {
    /// What the answer to the application auth means.
    enum AppAuthOutcome: Hashable, Sendable {
        /// The application is authenticated.
        case authenticated
        /// The credentials are wrong (``SessionStateMachine/clientAuthFailureCodes``): the session
        /// fails for good with this error (code ``CTraderError/Code/authenticationFailed``).
        case refused(CTraderError)
        /// Another error: the connection is given up and a reconnect follows.
        case failed(CTraderError)
    }

    /// What the answer to an account auth means.
    enum AccountAuthOutcome: Hashable, Sendable {
        /// The account is authorized (or was already, `ALREADY_LOGGED_IN`).
        case authorized
        /// The access token was refused: refresh it with this refresh token, then try again.
        case refresh(CTraderSecret)
        /// The account could not be authorized; the error names it.
        case failed(CTraderError)
    }

    /// What the answer to a token refresh made for an account means.
    enum RefreshOutcome: Hashable, Sendable {
        /// The new pair: store it and authorize the account again with it.
        case refreshed(CTraderTokenPair)
        /// The refresh failed (code ``CTraderError/Code/authenticationFailed``).
        case failed(CTraderError)
    }

    /// The application auth that opens every connection.
    static func appAuthRequest(_ credentials: CTraderCredentials) -> ProtoOAApplicationAuthReq {
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = credentials.clientId
        auth.clientSecret = credentials.clientSecret.value
        return auth
    }

    /// An account auth with this access token.
    static func accountAuthRequest(account: Int64, accessToken: String) -> ProtoOAAccountAuthReq {
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = account
        auth.accessToken = accessToken
        return auth
    }

    /// A token refresh.
    static func refreshRequest(_ refreshToken: CTraderSecret) -> ProtoOARefreshTokenReq {
        var refresh = ProtoOARefreshTokenReq()
        refresh.refreshToken = refreshToken.value
        return refresh
    }

    /// The answer an owner's account auth completes with when the account is authorized.
    static func accountAuthorized(_ account: Int64) -> Envelope {
        var res = ProtoOAAccountAuthRes()
        res.ctidTraderAccountID = account
        return Envelope(res)
    }

    /// The application auth's outcome, from its error (`nil` on success).
    static func appAuthOutcome(error: CTraderError?) -> AppAuthOutcome {
        guard let error else { return .authenticated }
        if SessionErrors.classify(error) == .credentials {
            return .refused(SessionErrors.credentialsRefused(error))
        }
        return .failed(error)
    }

    /// An account auth's outcome, from its error (`nil` on success). An invalid token is refreshed
    /// once, when a refresh token is known and the auth did not follow a refresh already.
    static func accountAuthOutcome(
        account: Int64,
        refreshed: Bool,
        refreshToken: CTraderSecret?,
        error: CTraderError?
    ) -> AccountAuthOutcome {
        if error == nil || error?.errorCode == .alreadyLoggedIn {
            return .authorized
        }
        guard let error else { return .authorized }
        let tokenInvalid = error.errorCode.map { SessionStateMachine.tokenInvalidCodes.contains($0) } ?? false
        if tokenInvalid, !refreshed, let refreshToken {
            return .refresh(refreshToken)
        }
        return .failed(SessionErrors.accountRefused(error, account: account))
    }

    /// A token refresh's outcome for `account`, from its answer and error.
    static func refreshOutcome(account: Int64, envelope: Envelope, error: CTraderError?) -> RefreshOutcome {
        guard error == nil, let res = envelope.message(as: ProtoOARefreshTokenRes.self) else {
            var failure =
                error
                ?? CTraderError(
                    code: .unexpectedResponse,
                    reason: "no ProtoOARefreshTokenRes",
                    payloadType: .protoOaRefreshTokenReq
                )
            // A refresh refused by a rate limit did not spend the refresh token: it is tried again.
            if !RequestScheduler.isRateLimited(failure) { failure.code = .authenticationFailed }
            failure.ctidTraderAccountId = account
            return .failed(failure)
        }
        return .refreshed(
            CTraderTokenPair(
                ctidTraderAccountId: account,
                accessToken: res.accessToken,
                refreshToken: res.refreshToken,
                expiresIn: res.expiresIn
            )
        )
    }

    /// The pair an owner's own token refresh (not made for an account) returned, to store at once.
    static func ownerRefreshTokens(_ answer: Envelope) -> CTraderTokenPair? {
        guard let res = answer.message(as: ProtoOARefreshTokenRes.self) else { return nil }
        return CTraderTokenPair(
            ctidTraderAccountId: nil,
            accessToken: res.accessToken,
            refreshToken: res.refreshToken,
            expiresIn: res.expiresIn
        )
    }
}

// MARK: - Carrying the decisions out

extension SessionStateMachine {
    /// The application auth was answered: fail for good, give the connection up, or restore the
    /// restorable accounts (account auth each, then their subscriptions) before becoming ready.
    /// An account whose refreshed pair is being saved waits for the save (it is authorized with
    /// the new access token); one whose token the server invalidated is refreshed first.
    mutating func appAuthAnswered(error: CTraderError?, now: Duration) -> [Action] {
        guard case .authenticating(let connection, let failures) = state else { return [] }
        switch SessionAuthentication.appAuthOutcome(error: error) {
        case .refused(let permanent):
            return failPermanently(permanent, closing: connection)
        case .failed(let error):
            return [.closeConnection(connection)] + connectionLost(error, now: now)
        case .authenticated:
            break
        }
        let restorable = accounts.restorable
        if restorable.isEmpty { return becomeReady(now: now) }
        state = .restoring(connection, failures: failures)
        var actions: [Action] = []
        for id in restorable {
            actions += reauthorize(id, now: now)
        }
        return actions + restoreProgressed(now: now)
    }

    /// An account auth was answered: the account is authorized (and its subscriptions restored
    /// when this is a restoration), or its token is refreshed, or it failed.
    mutating func accountAuthAnswered(
        account: Int64,
        user: RequestID?,
        refreshed: Bool,
        error: CTraderError?,
        now: Duration
    ) -> [Action] {
        let outcome = SessionAuthentication.accountAuthOutcome(
            account: account,
            refreshed: refreshed,
            refreshToken: accounts[account]?.refreshToken,
            error: error
        )
        switch outcome {
        case .authorized:
            var actions: [Action] = [.sessionEvent(.accountAuthorized(ctidTraderAccountId: account))]
            // An account whose session had ended (a drop, 2164, 2147) gets its subscriptions back.
            if accounts.authorized(account) {
                resubscribe(account: account, now: now)
            }
            if let user {
                actions.append(.complete(user, .success(SessionAuthentication.accountAuthorized(account))))
            }
            return actions + restoreProgressed(now: now)
        case .refresh(let refreshToken):
            let refresh = SessionAuthentication.refreshRequest(refreshToken)
            scheduler.enqueueInternal(refresh, purpose: .tokenRefresh(account: account, user: user), now: now)
            return []
        case .failed(let failure):
            return accountFailed(account, user: user, error: failure, now: now)
        }
    }

    /// Account `account` could not be authorized: the owner's request fails; see
    /// ``accountNotAuthorized(_:user:error:now:)``.
    mutating func accountFailed(
        _ account: Int64,
        user: RequestID?,
        error: CTraderError,
        now: Duration
    ) -> [Action] {
        accountNotAuthorized(account, user: user, error: error, now: now) + restoreProgressed(now: now)
    }

    /// Account `account` could not be authorized. An account restored before is kept when the
    /// failure may pass (a rate limit, a timeout, a server error): a restoration's failure is
    /// reported (``CTraderSessionEvent/restoreFailed(_:_:)``) and the account authorized again
    /// with backoff, and at the next reconnect. A permanent failure
    /// (``isPermanentAccountFailure(_:)``), or any failure of an account never authorized, forgets
    /// it; a restoration's permanent failure is reported as a status too.
    mutating func accountNotAuthorized(
        _ account: Int64,
        user: RequestID?,
        error: CTraderError,
        now: Duration
    ) -> [Action] {
        var actions: [Action] = []
        if let user { actions.append(.complete(user, .failure(error))) }
        let wasRestorable = accounts[account]?.isRestorable ?? false
        if wasRestorable && !Self.isPermanentAccountFailure(error) {
            guard user == nil else { return actions }
            accounts.restoreFailed()
            actions.append(.sessionEvent(.restoreFailed(.account(account), error)))
            scheduleReauthorization(account, now: now)
            return actions
        }
        accounts.remove(account)
        if wasRestorable && user == nil {
            accounts.restoreFailed()
            actions.append(.status(.accountAuthorizationFailed(ctidTraderAccountId: account, error: error)))
            actions.append(.sessionEvent(.restoreFailed(.account(account), error)))
        }
        return actions
    }

    /// Whether an account's authorization failed for good: its token is refused and cannot be
    /// refreshed (``CTraderError/Code/authenticationFailed``), a refreshed pair could not be saved
    /// (``CTraderError/Code/tokenStoreFailed``), or the account does not exist.
    static func isPermanentAccountFailure(_ error: CTraderError) -> Bool {
        error.code == .authenticationFailed || error.code == .tokenStoreFailed
            || error.errorCode == .chCtidTraderAccountNotFound
    }

    /// A token refresh made for an account was answered: save the new pair (the owner reports
    /// ``tokensSaved(_:now:)`` or ``tokenSaveFailed(_:error:now:)``) and wait, or fail the account.
    /// The new access token is used only once the save returned.
    mutating func tokenRefreshAnswered(
        account: Int64,
        user: RequestID?,
        envelope: Envelope,
        error: CTraderError?,
        now: Duration
    ) -> [Action] {
        switch SessionAuthentication.refreshOutcome(account: account, envelope: envelope, error: error) {
        case .failed(let failure):
            return [.sessionEvent(.tokenRefreshFailed(ctidTraderAccountId: account, failure))]
                + accountFailed(account, user: user, error: failure, now: now)
        case .refreshed(let pair):
            accounts.saving(account, pair, user: user)
            return [.storeTokens(pair)]
        }
    }

    /// The owner saved `pair`, which ``Action/storeTokens(_:)`` asked for: the account takes the
    /// new tokens and, on an open connection, is authorized again with the new access token.
    public mutating func tokensSaved(_ pair: CTraderTokenPair, now: Duration) -> [Action] {
        guard let pending = accounts.saveEnded(pair), let account = pair.ctidTraderAccountId else { return [] }
        accounts.tokensRefreshed(account, pair, refreshAt: tokenRefreshDeadline(pair, now: now))
        let refreshed: [Action] = [.sessionEvent(.tokenRefreshed(ctidTraderAccountId: account))]
        guard accounts[account] != nil, openConnection != nil else {
            return refreshed + restoreProgressed(now: now)
        }
        let auth = SessionAuthentication.accountAuthRequest(account: account, accessToken: pair.accessToken.value)
        scheduler.enqueueInternal(
            auth,
            purpose: .accountAuth(account: account, user: pending.user, refreshed: true),
            now: now
        )
        return refreshed + drain(now: now)
    }

    /// Saving `pair` failed with `error`: the pair is not used. The account fails with
    /// ``CTraderError/Code/tokenStoreFailed`` (its old refresh token is spent).
    public mutating func tokenSaveFailed(
        _ pair: CTraderTokenPair, error: any Error, now: Duration
    )
        -> [Action]
    {
        guard let pending = accounts.saveEnded(pair), let account = pair.ctidTraderAccountId else { return [] }
        let failure = CTraderError(
            code: .tokenStoreFailed,
            reason: "the refreshed token pair for account \(account) could not be saved (\(error)), so it was "
                + "not used; the old refresh token is spent: authorize again with new tokens",
            payloadType: .protoOaRefreshTokenReq,
            ctidTraderAccountId: account,
            underlying: error
        )
        return [.sessionEvent(.tokenRefreshFailed(ctidTraderAccountId: account, failure))]
            + accountFailed(account, user: pending.user, error: failure, now: now) + drain(now: now)
    }

    /// When `pair`'s access token is refreshed ahead of its expiry: ``Configuration/tokenRefreshMargin``
    /// before it, at the latest halfway through its lifetime; `nil` without a margin or lifetime.
    func tokenRefreshDeadline(_ pair: CTraderTokenPair, now: Duration) -> Duration? {
        guard let margin = configuration.tokenRefreshMargin, pair.expiresIn > 0 else { return nil }
        let lifetime = Duration.seconds(pair.expiresIn)
        return now + max(lifetime - margin, lifetime / 2)
    }

    /// When a ready session refreshes tokens ahead of their expiry.
    var tokenRefreshDeadlines: [Duration] { isReady ? accounts.refreshDeadlines : [] }

    /// A ready session refreshes the tokens due (the answer goes the way of any refresh made for
    /// an account: saved, then the account authorized again with the new access token).
    mutating func refreshExpiringTokens(now: Duration) {
        guard isReady else { return }
        for (account, refreshToken) in accounts.refreshesDue(now: now) {
            let refresh = SessionAuthentication.refreshRequest(refreshToken)
            scheduler.enqueueInternal(refresh, purpose: .tokenRefresh(account: account, user: nil), now: now)
        }
    }

    /// The owner's authorizations waiting for a token save fail with `error` (the connection
    /// dropped, or the session ends); the saves go on and only update the accounts' tokens.
    mutating func saveWaitersFailed(_ error: CTraderError) -> [Action] {
        accounts.detachSaveWaiters().map { .complete($0, .failure(error)) }
    }

    /// The owner cancelled `id` while it waited for a token save.
    mutating func saveWaiterCancelled(_ id: RequestID) -> Bool {
        !accounts.detachSaveWaiters(where: { $0 == id }).isEmpty
    }
}
