// swift-ctrader: the cTrader Open API session layer.

import CTraderMessaging

/// The accounts the session authorized, with their tokens and subscriptions: what is restored
/// after a reconnect. Pure value.
struct SessionAccounts: Sendable {
    struct TrendbarSubscription: Hashable, Sendable {
        var symbolId: Int64
        var period: ProtoOATrendbarPeriod
    }

    struct Account: Sendable {
        var accessToken: CTraderSecret
        var refreshToken: CTraderSecret?
        var isAuthorized = false
        /// Authorized once: restored after a reconnect.
        var isRestorable = false
        var spots: Set<Int64> = []
        var spotTimestamps = false
        var depth: Set<Int64> = []
        var trendbars: Set<TrendbarSubscription> = []
        /// When the access token is refreshed ahead of its expiry, when its lifetime is known.
        var refreshAt: Duration?
        /// Whether the account's subscriptions live on the server: `false` once its session
        /// ended (a drop, 2164, 2147), until it is authorized again and they are restored.
        var subscriptionsLive = false
        /// The server invalidated the access token (2147), with this reason: it is never sent
        /// again; the account is refreshed, or fails.
        var tokenInvalidated: String?
        /// When the account is authorized again on this connection (after 2164, or a passing
        /// failure), and how many attempts this connection made.
        var reauthorizeAt: Duration?
        var reauthorizeAttempts = 0
    }

    /// A refreshed pair being saved (``CTraderTokenStore``): nothing uses it before the save
    /// returned. `user` is the owner's authorization waiting for it, if any.
    struct PendingSave: Sendable {
        var pair: CTraderTokenPair
        var user: SessionStateMachine.RequestID?
    }

    private var accounts: [Int64: Account] = [:]
    /// The refreshed pairs being saved, by account.
    private(set) var pendingSaves: [Int64: PendingSave] = [:]
    /// The delays between an account's re-authorization attempts on one connection.
    var reauthorization = ReconnectBackoff(policy: CTraderReconnectPolicy())
    /// What failed to be restored on this connection (``CTraderSessionEvent/restoreFailed(_:_:)``).
    private(set) var failedRestores = 0
    /// The restoration requests refused by a rate limit and sent again on this connection.
    var rateLimitedRetries = 0

    /// The account `id`, if the session knows it.
    subscript(id: Int64) -> Account? { accounts[id] }

    // MARK: - Queries

    /// The accounts authorized on the current connection.
    var authorized: [Int64] {
        accounts.filter { $0.value.isAuthorized }.keys.sorted()
    }

    /// The spot subscriptions restored after a reconnect: account → symbol ids.
    var spotSubscriptions: [Int64: Set<Int64>] {
        accounts.compactMapValues { $0.spots.isEmpty ? nil : $0.spots }
    }

    /// The accounts authorized once, to authorize again after a reconnect.
    var restorable: [Int64] {
        accounts.filter { $0.value.isRestorable }.keys.sorted()
    }

    /// The subscription requests that restore account `id`'s subscriptions: spots (with
    /// timestamps if asked once), depth quotes, then live trendbars by symbol and period.
    func restoreRequests(for id: Int64) -> [any CTraderMessage] {
        guard let account = accounts[id] else { return [] }
        var requests: [any CTraderMessage] = []
        if !account.spots.isEmpty {
            var spots = ProtoOASubscribeSpotsReq()
            spots.ctidTraderAccountID = id
            spots.symbolID = account.spots.sorted()
            if account.spotTimestamps { spots.subscribeToSpotTimestamp = true }
            requests.append(spots)
        }
        if !account.depth.isEmpty {
            var depth = ProtoOASubscribeDepthQuotesReq()
            depth.ctidTraderAccountID = id
            depth.symbolID = account.depth.sorted()
            requests.append(depth)
        }
        let trendbars = account.trendbars.sorted {
            ($0.symbolId, $0.period.rawValue) < ($1.symbolId, $1.period.rawValue)
        }
        for trendbar in trendbars {
            var request = ProtoOASubscribeLiveTrendbarReq()
            request.ctidTraderAccountID = id
            request.symbolID = trendbar.symbolId
            request.period = trendbar.period
            requests.append(request)
        }
        return requests
    }

    // MARK: - Changes

    /// The owner authorizes account `id` with these tokens (a known account keeps its refresh
    /// token when none is given, and its subscriptions).
    mutating func authorizing(_ id: Int64, accessToken: CTraderSecret, refreshToken: CTraderSecret?) {
        if var existing = accounts[id] {
            existing.accessToken = accessToken
            existing.tokenInvalidated = nil
            existing.refreshToken = refreshToken ?? existing.refreshToken
            if refreshToken != nil { existing.refreshAt = nil }
            accounts[id] = existing
        } else {
            accounts[id] = Account(accessToken: accessToken, refreshToken: refreshToken)
        }
    }

    /// Account `id` is authorized: it is restored after reconnects from now on. Returns whether
    /// its subscriptions must be restored (its session had ended).
    @discardableResult
    mutating func authorized(_ id: Int64) -> Bool {
        guard var account = accounts[id] else { return false }
        let resubscribes = !account.subscriptionsLive
        account.isAuthorized = true
        account.isRestorable = true
        account.subscriptionsLive = true
        account.reauthorizeAt = nil
        account.reauthorizeAttempts = 0
        accounts[id] = account
        return resubscribes
    }

    /// The server ended account `id`'s session (2164, or 2147 with `tokenInvalidated`, the
    /// reason): it is not authorized and its subscriptions are gone.
    mutating func sessionEnded(_ id: Int64, tokenInvalidated reason: String? = nil) {
        accounts[id]?.isAuthorized = false
        accounts[id]?.subscriptionsLive = false
        accounts[id]?.reauthorizeAt = nil
        if let reason {
            accounts[id]?.tokenInvalidated = reason
            accounts[id]?.refreshAt = nil
        }
    }

    /// Something failed to be restored on this connection.
    mutating func restoreFailed() {
        failedRestores += 1
    }

    /// Account `id` is authorized again at `at`; counts the attempt.
    mutating func scheduleReauthorization(_ id: Int64, at: Duration) {
        accounts[id]?.reauthorizeAt = at
        accounts[id]?.reauthorizeAttempts += 1
    }

    /// When accounts are due for a re-authorization.
    var reauthorizationDeadlines: [Duration] {
        accounts.values.compactMap(\.reauthorizeAt)
    }

    /// The accounts due for a re-authorization at `now`, ascending; each is due once.
    mutating func reauthorizationsDue(now: Duration) -> [Int64] {
        let due = accounts.filter { $0.value.reauthorizeAt.map { $0 <= now } ?? false }.keys.sorted()
        for id in due { accounts[id]?.reauthorizeAt = nil }
        return due
    }

    /// Account `id` has a new token pair, to refresh at `refreshAt` (`nil`: not ahead of time).
    mutating func tokensRefreshed(_ id: Int64, _ pair: CTraderTokenPair, refreshAt: Duration? = nil) {
        accounts[id]?.accessToken = pair.accessToken
        accounts[id]?.refreshToken = pair.refreshToken
        accounts[id]?.refreshAt = refreshAt
        accounts[id]?.tokenInvalidated = nil
    }

    /// When authorized accounts' tokens are due for a refresh ahead of their expiry.
    var refreshDeadlines: [Duration] {
        accounts.compactMap { id, account in
            guard account.isAuthorized, account.refreshToken != nil, pendingSaves[id] == nil else { return nil }
            return account.refreshAt
        }
    }

    /// The authorized accounts whose tokens are due for a refresh at `now`, with their refresh
    /// tokens; each is due once (until its next refresh).
    mutating func refreshesDue(now: Duration) -> [(account: Int64, refreshToken: CTraderSecret)] {
        var due: [(account: Int64, refreshToken: CTraderSecret)] = []
        for (id, account) in accounts.sorted(by: { $0.key < $1.key }) {
            guard account.isAuthorized, pendingSaves[id] == nil, let refreshToken = account.refreshToken,
                let at = account.refreshAt, at <= now
            else { continue }
            accounts[id]?.refreshAt = nil
            due.append((id, refreshToken))
        }
        return due
    }

    /// Account `id`'s refreshed pair is being saved.
    mutating func saving(_ id: Int64, _ pair: CTraderTokenPair, user: SessionStateMachine.RequestID?) {
        pendingSaves[id] = PendingSave(pair: pair, user: user)
    }

    /// The save of `pair` ended; returns what was waiting for it (`nil` when nothing was).
    mutating func saveEnded(_ pair: CTraderTokenPair) -> PendingSave? {
        guard let id = pair.ctidTraderAccountId, pendingSaves[id]?.pair == pair else { return nil }
        return pendingSaves.removeValue(forKey: id)
    }

    /// The owner's requests waiting for a save, which no longer wait: the save goes on, but its
    /// end only updates the account's tokens.
    mutating func detachSaveWaiters(
        where matches: (SessionStateMachine.RequestID) -> Bool = { _ in true }
    )
        -> [SessionStateMachine.RequestID]
    {
        var detached: [SessionStateMachine.RequestID] = []
        for (id, pending) in pendingSaves {
            guard let user = pending.user, matches(user) else { continue }
            detached.append(user)
            pendingSaves[id]?.user = nil
        }
        return detached
    }

    /// Forgets account `id`; returns what it was.
    @discardableResult
    mutating func remove(_ id: Int64) -> Account? {
        accounts.removeValue(forKey: id)
    }

    /// The connection dropped: no account is authorized any more, no subscription lives; the
    /// restorable accounts are kept, with everything they subscribed to (also what failed to be
    /// restored: it is tried again).
    mutating func connectionLost() {
        for (id, account) in accounts {
            if account.isRestorable {
                accounts[id]?.isAuthorized = false
                accounts[id]?.subscriptionsLive = false
                accounts[id]?.reauthorizeAt = nil
                accounts[id]?.reauthorizeAttempts = 0
            } else {
                accounts.removeValue(forKey: id)
            }
        }
        failedRestores = 0
        rateLimitedRetries = 0
    }

    /// The owner's request succeeded: subscriptions are remembered or forgotten, a logged-out
    /// account is forgotten.
    mutating func recordSuccess(of message: any CTraderMessage) {
        switch message {
        case let m as ProtoOASubscribeSpotsReq:
            accounts[m.ctidTraderAccountID]?.spots.formUnion(m.symbolID)
            if m.subscribeToSpotTimestamp { accounts[m.ctidTraderAccountID]?.spotTimestamps = true }
        case let m as ProtoOAUnsubscribeSpotsReq:
            accounts[m.ctidTraderAccountID]?.spots.subtract(m.symbolID)
        case let m as ProtoOASubscribeDepthQuotesReq:
            accounts[m.ctidTraderAccountID]?.depth.formUnion(m.symbolID)
        case let m as ProtoOAUnsubscribeDepthQuotesReq:
            accounts[m.ctidTraderAccountID]?.depth.subtract(m.symbolID)
        case let m as ProtoOASubscribeLiveTrendbarReq:
            accounts[m.ctidTraderAccountID]?.trendbars.insert(
                TrendbarSubscription(symbolId: m.symbolID, period: m.period)
            )
        case let m as ProtoOAUnsubscribeLiveTrendbarReq:
            accounts[m.ctidTraderAccountID]?.trendbars.remove(
                TrendbarSubscription(symbolId: m.symbolID, period: m.period)
            )
        case let m as ProtoOAAccountLogoutReq:
            accounts.removeValue(forKey: m.ctidTraderAccountID)
        default:
            break
        }
    }
}

// MARK: - Restoration

extension SessionStateMachine {
    /// An owner's request succeeded: the accounts learn about subscriptions and logouts; the pair
    /// an owner's token refresh returned is stored at once.
    mutating func recordSuccess(of message: any CTraderMessage, answer: Envelope) -> [Action] {
        accounts.recordSuccess(of: message)
        if message is ProtoOARefreshTokenReq, let pair = SessionAuthentication.ownerRefreshTokens(answer) {
            return [.storeTokens(pair)]
        }
        return []
    }

    /// Queues the requests that restore account `id`'s subscriptions.
    mutating func resubscribe(account id: Int64, now: Duration) {
        for request in accounts.restoreRequests(for: id) {
            scheduler.enqueueInternal(request, purpose: .restoreSubscription, now: now)
        }
    }

    /// Becomes ready once the restoration's internal requests were all answered and no refreshed
    /// pair is being saved.
    mutating func restoreProgressed(now: Duration) -> [Action] {
        guard case .restoring = state else { return [] }
        return scheduler.hasInternalPending || !accounts.pendingSaves.isEmpty ? [] : becomeReady(now: now)
    }
}
