// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

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
    /// Reconnected, and application auth, account auth and every subscription were restored;
    /// `gap` is the time without a usable connection, during which events were missed.
    case reconnected(gap: Duration)
    /// An account could not be authorized again after a reconnect; it is no longer restored.
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

/// The session's logic without I/O: connection states, authentication of the application and of
/// each account, request correlation by `clientMsgId`, per-request timeouts, heartbeats, dead
/// connection detection, client-side rate limiting, reconnect with backoff, and the restoration of
/// accounts and subscriptions after a reconnect.
///
/// Each event is a `mutating func` taking the current time (a `Duration` since any origin) and
/// returning the ``Action``s its owner performs, in order. After every event the owner arms a timer
/// for ``nextDeadline(now:)`` and calls ``tick(now:)`` when it fires.
///
/// States: idle → connecting → authenticating (2100) → restoring (2102 per account, then
/// subscriptions) → ready; a drop leads to waiting-to-reconnect → connecting; wrong credentials or
/// too many failed attempts lead to failed; ``shutdown(now:)`` to shut down.
///
/// Requests made before the session is ready (or while it reconnects) wait in a bounded queue.
/// Requests in flight when the connection drops fail: with ``CTraderError/Code/connectionLost``,
/// or for trading requests (2106, 2108–2111) with ``CTraderError/Code/outcomeUnknown``; a trading
/// request is never re-sent.
public struct SessionStateMachine: Sendable {
    /// Identifies one request of the owner, to complete it later.
    public struct RequestID: Hashable, Sendable, CustomStringConvertible {
        /// The number.
        public let rawValue: UInt64
        /// Wraps a number.
        public init(_ rawValue: UInt64) { self.rawValue = rawValue }
        /// `#n`.
        public var description: String { "#\(rawValue)" }
    }

    /// Identifies one connection, so that events of an abandoned connection are ignored.
    public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
        /// The number.
        public let rawValue: UInt64
        /// Wraps a number.
        public init(_ rawValue: UInt64) { self.rawValue = rawValue }
        /// `connection n`.
        public var description: String { "connection \(rawValue)" }
    }

    /// The machine's settings: credentials, timeouts and limits.
    public struct Configuration: Sendable {
        /// The application's credentials.
        public var credentials: CTraderCredentials
        /// The default time a request may wait for its answer; default 30 s.
        public var requestTimeout: Duration
        /// A heartbeat is sent whenever nothing was sent for this long; default 10 s.
        public var heartbeatInterval: Duration
        /// A connection that received nothing for this long is dead; default 40 s.
        public var deadConnectionTimeout: Duration
        /// Reconnect behaviour.
        public var reconnect: CTraderReconnectPolicy
        /// Rate limits and the queue bound.
        public var rateLimits: CTraderRateLimits

        /// Makes a configuration; every limit has a documented default.
        public init(
            credentials: CTraderCredentials,
            requestTimeout: Duration = .seconds(30),
            heartbeatInterval: Duration = .seconds(10),
            deadConnectionTimeout: Duration = .seconds(40),
            reconnect: CTraderReconnectPolicy = CTraderReconnectPolicy(),
            rateLimits: CTraderRateLimits = CTraderRateLimits()
        ) {
            self.credentials = credentials
            self.requestTimeout = requestTimeout
            self.heartbeatInterval = heartbeatInterval
            self.deadConnectionTimeout = deadConnectionTimeout
            self.reconnect = reconnect
            self.rateLimits = rateLimits
        }

        /// The machine's part of a client configuration.
        public init(_ client: CTraderClientConfiguration) {
            self.init(
                credentials: client.credentials,
                requestTimeout: client.requestTimeout,
                heartbeatInterval: client.heartbeatInterval,
                deadConnectionTimeout: client.deadConnectionTimeout,
                reconnect: client.reconnect,
                rateLimits: client.rateLimits
            )
        }
    }

    /// What the owner must do.
    public enum Action: Sendable {
        /// Open a new connection and report ``connectionOpened(_:now:)`` or
        /// ``connectionClosed(_:error:now:)``.
        case openConnection(ConnectionID)
        /// Close the connection (WebSocket: code 1000).
        case closeConnection(ConnectionID)
        /// Send the envelope on the connection.
        case send(Envelope, ConnectionID)
        /// Complete a request of the owner.
        case complete(RequestID, Result<Envelope, CTraderError>)
        /// Hand a server event to the event streams.
        case emit(Envelope)
        /// Report a status change.
        case status(SessionStatus)
        /// Give a new token pair to the token store at once (refresh tokens are single-use).
        case storeTokens(CTraderTokenPair)
        /// End every event stream: with the error after a permanent failure, normally after a
        /// shutdown.
        case finishStreams(CTraderError?)
    }

    /// The trading requests: 2106 new order, 2108 cancel order, 2109 amend order, 2110 amend
    /// position SL/TP, 2111 close position. Answered by 2126 or 2132, and never re-sent.
    public static let tradingPayloadTypes: Set<PayloadType> = [
        .protoOaNewOrderReq, .protoOaCancelOrderReq, .protoOaAmendOrderReq, .protoOaAmendPositionSltpReq,
        .protoOaClosePositionReq,
    ]

    /// The server error codes that mean the application's credentials are wrong: permanent.
    public static let clientAuthFailureCodes: Set<String> = ["CH_CLIENT_AUTH_FAILURE", "CH_CLIENT_NOT_AUTHENTICATED"]
    /// The server error codes that mean an access token is invalid or expired.
    public static let tokenInvalidCodes: Set<String> = ["CH_ACCESS_TOKEN_INVALID", "OA_AUTH_TOKEN_EXPIRED"]
    /// The server error codes that slow the request queue down.
    public static let rateLimitCodes: Set<String> = ["REQUEST_FREQUENCY_EXCEEDED", "BLOCKED_PAYLOAD_TYPE"]

    // MARK: - State

    private enum State: Sendable {
        case idle
        case connecting(ConnectionID, failures: Int)
        case authenticating(ConnectionID, failures: Int)
        case restoring(ConnectionID, failures: Int)
        case ready(ConnectionID)
        case waitingToReconnect(failures: Int, at: Duration)
        case failed(CTraderError)
        case shutDown
    }

    private enum Purpose: Sendable {
        case user(RequestID)
        case appAuth
        case accountAuth(account: Int64, user: RequestID?, refreshed: Bool)
        case tokenRefresh(account: Int64, user: RequestID?)
        case restoreSubscription

        /// The owner's request this message serves, if any.
        var user: RequestID? {
            switch self {
            case .user(let id): id
            case .appAuth: nil
            case .accountAuth(_, let user, _): user
            case .tokenRefresh(_, let user): user
            case .restoreSubscription: nil
            }
        }
    }

    private struct Outgoing: Sendable {
        var clientMsgId: String
        var message: any CTraderMessage
        var purpose: Purpose
        var deadline: Duration
        var isHistorical: Bool
        var payloadType: PayloadType { type(of: message).messagePayloadType }
        var isTrading: Bool { SessionStateMachine.tradingPayloadTypes.contains(payloadType) }
    }

    private struct TrendbarSubscription: Hashable, Sendable {
        var symbolId: Int64
        var period: ProtoOATrendbarPeriod
    }

    private struct Account: Sendable {
        var accessToken: CTraderSecret
        var refreshToken: CTraderSecret?
        var isAuthorized = false
        /// Authorized once: restored after a reconnect.
        var isRestorable = false
        var spots: Set<Int64> = []
        var spotTimestamps = false
        var depth: Set<Int64> = []
        var trendbars: Set<TrendbarSubscription> = []
    }

    /// The settings.
    public let configuration: Configuration
    private let registry: PayloadRegistry
    private var state: State = .idle
    private var backoff: ReconnectBackoff
    private var generalLimiter: RequestRateLimiter
    private var historicalLimiter: RequestRateLimiter
    private var pausedUntil: Duration = .zero
    private var internalQueue: [Outgoing] = []
    private var userQueue: [Outgoing] = []
    private var inFlight: [String: Outgoing] = [:]
    private var nextMessageNumber: UInt64 = 1
    private var nextConnectionNumber: UInt64 = 1
    private var lastSent: Duration = .zero
    private var lastReceived: Duration = .zero
    private var connectWaiters: [RequestID] = []
    private var droppedAt: Duration?
    private var accounts: [Int64: Account] = [:]

    /// Makes an idle machine.
    ///
    /// - Parameters:
    ///   - configuration: credentials, timeouts and limits.
    ///   - registry: the payload registry that pairs answers with requests; default `.standard`.
    public init(configuration: Configuration, registry: PayloadRegistry = .standard) {
        self.configuration = configuration
        self.registry = registry
        self.backoff = ReconnectBackoff(policy: configuration.reconnect)
        let window = Duration.seconds(1) + configuration.rateLimits.windowMargin
        self.generalLimiter = RequestRateLimiter(limit: configuration.rateLimits.requestsPerSecond, window: window)
        self.historicalLimiter = RequestRateLimiter(
            limit: configuration.rateLimits.historicalRequestsPerSecond, window: window)
    }

    // MARK: - Queries

    /// Whether the session is connected, authenticated and restored.
    public var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// The requests waiting for the rate limiter or the connection.
    public var queuedRequestCount: Int { userQueue.count }

    /// The requests sent and not yet answered (internal ones included).
    public var inFlightCount: Int { inFlight.count }

    /// The accounts authorized on the current connection.
    public var authorizedAccounts: [Int64] {
        accounts.filter { $0.value.isAuthorized }.keys.sorted()
    }

    /// The spot subscriptions restored after a reconnect: account → symbol ids.
    public var spotSubscriptions: [Int64: Set<Int64>] {
        accounts.compactMapValues { $0.spots.isEmpty ? nil : $0.spots }
    }

    /// The connection in use (open or being opened), if any.
    public var currentConnection: ConnectionID? {
        switch state {
        case .connecting(let id, _), .authenticating(let id, _), .restoring(let id, _), .ready(let id): id
        case .idle, .waitingToReconnect, .failed, .shutDown: nil
        }
    }

    private var openConnection: ConnectionID? {
        switch state {
        case .authenticating(let id, _), .restoring(let id, _), .ready(let id): id
        case .idle, .connecting, .waitingToReconnect, .failed, .shutDown: nil
        }
    }

    /// When ``tick(now:)`` must be called next; `nil` when no timer is needed.
    public func nextDeadline(now: Duration) -> Duration? {
        var deadlines: [Duration] = userQueue.map(\.deadline)
        switch state {
        case .idle, .failed, .shutDown:
            return nil
        case .connecting:
            break
        case .waitingToReconnect(_, let at):
            deadlines.append(at)
        case .authenticating, .restoring, .ready:
            deadlines.append(lastSent + configuration.heartbeatInterval)
            deadlines.append(lastReceived + configuration.deadConnectionTimeout)
            deadlines.append(contentsOf: inFlight.values.map(\.deadline))
            deadlines.append(contentsOf: internalQueue.map(\.deadline))
            var waiting = internalQueue.prefix(1)
            if isReady { waiting.append(contentsOf: userQueue) }
            if let slot = waiting.map({ slot(for: $0, now: now) }).min(), slot > now {
                deadlines.append(slot)
            }
        }
        return deadlines.min()
    }

    private func slot(for outgoing: Outgoing, now: Duration) -> Duration {
        var slot = max(pausedUntil, generalLimiter.nextSlot(now: now))
        if outgoing.isHistorical { slot = max(slot, historicalLimiter.nextSlot(now: now)) }
        return slot
    }

    // MARK: - Events from the owner

    /// The owner asks to connect; `id` completes once the session is ready (or failed for good).
    public mutating func connect(_ id: RequestID, now: Duration) -> [Action] {
        switch state {
        case .idle:
            connectWaiters.append(id)
            return startConnecting(failures: 0)
        case .connecting, .authenticating, .restoring, .waitingToReconnect:
            connectWaiters.append(id)
            return []
        case .ready:
            return [.complete(id, .success(Envelope(ProtoOAApplicationAuthRes())))]
        case .failed(let error):
            return [.complete(id, .failure(error))]
        case .shutDown:
            return [.complete(id, .failure(Self.shutdownError))]
        }
    }

    /// The owner sends a request; `id` completes with its answer. Trading requests complete with
    /// their `ProtoOAExecutionEvent` or fail with their `ProtoOAOrderErrorEvent`.
    ///
    /// - Parameters:
    ///   - id: the request's identity, echoed in the actions that answer it.
    ///   - message: the request.
    ///   - timeout: this request's timeout; `nil` uses ``Configuration/requestTimeout``.
    ///   - now: the current time.
    public mutating func request(
        _ id: RequestID,
        message: any CTraderMessage,
        timeout: Duration? = nil,
        now: Duration
    ) -> [Action] {
        enqueueUser(id, message: message, purpose: .user(id), timeout: timeout, now: now)
    }

    /// The owner authorizes an account (2102). Succeeds on `ProtoOAAccountAuthRes` and on
    /// `ALREADY_LOGGED_IN`; on `CH_ACCESS_TOKEN_INVALID` it refreshes the token once when a
    /// refresh token is given (reporting the new pair with ``Action/storeTokens(_:)``) and tries
    /// again. Once authorized, the account and its subscriptions are restored after reconnects.
    public mutating func authorize(
        _ id: RequestID,
        account: Int64,
        accessToken: CTraderSecret,
        refreshToken: CTraderSecret?,
        timeout: Duration? = nil,
        now: Duration
    ) -> [Action] {
        if let failure = refusal(id) { return [failure] }
        if var existing = accounts[account] {
            existing.accessToken = accessToken
            existing.refreshToken = refreshToken ?? existing.refreshToken
            accounts[account] = existing
        } else {
            accounts[account] = Account(accessToken: accessToken, refreshToken: refreshToken)
        }
        var message = ProtoOAAccountAuthReq()
        message.ctidTraderAccountID = account
        message.accessToken = accessToken.value
        return enqueueUser(
            id,
            message: message,
            purpose: .accountAuth(account: account, user: id, refreshed: false),
            timeout: timeout,
            now: now
        )
    }

    /// The owner gives up waiting for a request (its task was cancelled). A request already sent
    /// is forgotten; a late answer goes to the event streams only.
    public mutating func cancel(_ id: RequestID, now: Duration) -> [Action] {
        let error = CTraderError(code: .cancelled, reason: "the request's task was cancelled")
        if let index = userQueue.firstIndex(where: { $0.purpose.user == id }) {
            userQueue.remove(at: index)
            return [.complete(id, .failure(error))]
        }
        if let (key, _) = inFlight.first(where: { $0.value.purpose.user == id }) {
            inFlight.removeValue(forKey: key)
            return [.complete(id, .failure(error))]
        }
        return []
    }

    /// The connection opened by ``Action/openConnection(_:)`` is up.
    public mutating func connectionOpened(_ connection: ConnectionID, now: Duration) -> [Action] {
        guard case .connecting(let current, let failures) = state, current == connection else {
            return [.closeConnection(connection)]
        }
        state = .authenticating(connection, failures: failures)
        lastSent = now
        lastReceived = now
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = configuration.credentials.clientId
        auth.clientSecret = configuration.credentials.clientSecret.value
        internalQueue = [makeOutgoing(auth, purpose: .appAuth, timeout: nil, now: now)]
        return [.status(.authenticating)] + drain(now: now)
    }

    /// The connection failed to open, or closed, or failed; `error` says why.
    public mutating func connectionClosed(_ connection: ConnectionID, error: CTraderError, now: Duration) -> [Action] {
        guard currentConnection == connection else { return [] }
        return connectionLost(error, now: now)
    }

    /// An envelope arrived on the connection.
    public mutating func received(_ envelope: Envelope, on connection: ConnectionID, now: Duration) -> [Action] {
        guard openConnection == connection else { return [] }
        lastReceived = now
        if envelope.payloadType == .heartbeatEvent { return [] }
        if let id = envelope.clientMsgId, let outgoing = inFlight[id] {
            return answer(envelope, to: outgoing, now: now)
        }
        return event(envelope)
    }

    /// Time passed: request timeouts, heartbeats, dead connections, reconnects, the rate limiter.
    public mutating func tick(now: Duration) -> [Action] {
        var actions = expireQueued(now: now)
        switch state {
        case .idle, .failed, .shutDown, .connecting:
            return actions
        case .waitingToReconnect(let failures, let at):
            if now >= at { actions += startConnecting(failures: failures) }
            return actions
        case .authenticating(let connection, _), .restoring(let connection, _), .ready(let connection):
            if now >= lastReceived + configuration.deadConnectionTimeout {
                let error = CTraderError(
                    code: .connectionLost,
                    reason: "nothing received for \(configuration.deadConnectionTimeout): the connection is dead"
                )
                return actions + [.closeConnection(connection)] + connectionLost(error, now: now)
            }
            for outgoing in inFlight.values.sorted(by: { $0.deadline < $1.deadline }) where outgoing.deadline <= now {
                inFlight.removeValue(forKey: outgoing.clientMsgId)
                guard let user = outgoing.purpose.user else {
                    let error = CTraderError(
                        code: .timeout,
                        reason: "no answer to \(outgoing.payloadType) during session setup",
                        payloadType: outgoing.payloadType
                    )
                    return actions + [.closeConnection(connection)] + connectionLost(error, now: now)
                }
                actions.append(.complete(user, .failure(timeoutError(outgoing))))
            }
            actions += drain(now: now)
            if now >= lastSent + configuration.heartbeatInterval {
                lastSent = now
                actions.append(.send(Envelope(ProtoHeartbeatEvent()), connection))
            }
            return actions
        }
    }

    /// Shuts down: every pending request fails with ``CTraderError/Code/shutdown``, the connection
    /// closes, the streams finish.
    public mutating func shutdown(now: Duration) -> [Action] {
        if case .shutDown = state { return [] }
        let connection = currentConnection
        var actions = failEverything(Self.shutdownError)
        state = .shutDown
        if let connection { actions.append(.closeConnection(connection)) }
        actions.append(.status(.shutDown))
        actions.append(.finishStreams(nil))
        return actions
    }

    // MARK: - Connection lifecycle

    private static let shutdownError = CTraderError(code: .shutdown, reason: "the client was shut down")

    private mutating func startConnecting(failures: Int) -> [Action] {
        let connection = ConnectionID(nextConnectionNumber)
        nextConnectionNumber += 1
        state = .connecting(connection, failures: failures)
        return [.status(.connecting(attempt: failures + 1)), .openConnection(connection)]
    }

    private var failures: Int {
        switch state {
        case .connecting(_, let failures), .authenticating(_, let failures), .restoring(_, let failures):
            failures
        case .idle, .ready, .waitingToReconnect, .failed, .shutDown:
            0
        }
    }

    private mutating func connectionLost(_ error: CTraderError, now: Duration) -> [Action] {
        let failures = self.failures + 1
        if case .ready = state { droppedAt = droppedAt ?? now }
        var actions: [Action] = []
        for outgoing in inFlight.values.sorted(by: { $0.clientMsgId < $1.clientMsgId }) {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(lostError(outgoing, cause: error))))
        }
        inFlight.removeAll()
        internalQueue.removeAll()
        for (id, account) in accounts {
            if account.isRestorable {
                accounts[id]?.isAuthorized = false
            } else {
                accounts.removeValue(forKey: id)
            }
        }
        actions.append(.status(.connectionLost(error)))
        if failures > configuration.reconnect.maximumAttempts {
            var gaveUp = CTraderError(
                code: .reconnectGaveUp,
                reason: "gave up after \(failures) failed connection attempts; last: \(error)",
                underlying: error
            )
            gaveUp.errorCode = error.errorCode
            return actions + failPermanently(gaveUp, closing: nil)
        }
        let delay = backoff.delay(attempt: failures)
        state = .waitingToReconnect(failures: failures, at: now + delay)
        actions.append(.status(.reconnecting(attempt: failures, delay: delay)))
        return actions
    }

    private mutating func failPermanently(_ error: CTraderError, closing connection: ConnectionID?) -> [Action] {
        var actions = failEverything(error)
        state = .failed(error)
        if let connection { actions.append(.closeConnection(connection)) }
        actions.append(.status(.failed(error)))
        actions.append(.finishStreams(error))
        return actions
    }

    private mutating func failEverything(_ error: CTraderError) -> [Action] {
        var actions: [Action] = []
        for outgoing in inFlight.values.sorted(by: { $0.clientMsgId < $1.clientMsgId }) {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(lostError(outgoing, cause: error))))
        }
        for outgoing in userQueue {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(error)))
        }
        for waiter in connectWaiters {
            actions.append(.complete(waiter, .failure(error)))
        }
        inFlight.removeAll()
        userQueue.removeAll()
        internalQueue.removeAll()
        connectWaiters.removeAll()
        return actions
    }

    private mutating func becomeReady(now: Duration) -> [Action] {
        guard let connection = openConnection else { return [] }
        state = .ready(connection)
        var actions: [Action] = connectWaiters.map { .complete($0, .success(Envelope(ProtoOAApplicationAuthRes()))) }
        connectWaiters.removeAll()
        if let droppedAt {
            actions.append(.status(.reconnected(gap: now - droppedAt)))
            self.droppedAt = nil
        } else {
            actions.append(.status(.ready))
        }
        return actions + drain(now: now)
    }

    // MARK: - Requests

    private func refusal(_ id: RequestID) -> Action? {
        switch state {
        case .idle:
            .complete(id, .failure(CTraderError(code: .notConnected, reason: "connect() was not called")))
        case .failed(let error):
            .complete(id, .failure(error))
        case .shutDown:
            .complete(id, .failure(Self.shutdownError))
        case .connecting, .authenticating, .restoring, .ready, .waitingToReconnect:
            nil
        }
    }

    private mutating func makeOutgoing(
        _ message: any CTraderMessage,
        purpose: Purpose,
        timeout: Duration?,
        now: Duration
    ) -> Outgoing {
        let clientMsgId = "m\(nextMessageNumber)"
        nextMessageNumber += 1
        let payloadType = type(of: message).messagePayloadType
        return Outgoing(
            clientMsgId: clientMsgId,
            message: message,
            purpose: purpose,
            deadline: now + (timeout ?? configuration.requestTimeout),
            isHistorical: configuration.rateLimits.historicalPayloadTypes.contains(payloadType)
        )
    }

    private mutating func enqueueUser(
        _ id: RequestID,
        message: any CTraderMessage,
        purpose: Purpose,
        timeout: Duration?,
        now: Duration
    ) -> [Action] {
        if let failure = refusal(id) { return [failure] }
        guard userQueue.count < configuration.rateLimits.maximumQueuedRequests else {
            return [
                .complete(
                    id,
                    .failure(
                        CTraderError(
                            code: .queueFull,
                            reason: "\(userQueue.count) requests are already waiting",
                            payloadType: type(of: message).messagePayloadType
                        )
                    )
                )
            ]
        }
        userQueue.append(makeOutgoing(message, purpose: purpose, timeout: timeout, now: now))
        return drain(now: now)
    }

    private mutating func enqueueInternal(_ message: any CTraderMessage, purpose: Purpose, now: Duration) {
        internalQueue.append(makeOutgoing(message, purpose: purpose, timeout: nil, now: now))
    }

    private func canSend(_ outgoing: Outgoing, now: Duration) -> Bool {
        slot(for: outgoing, now: now) <= now
    }

    /// Sends what the rate limiter allows: internal requests first, in order; then, once ready,
    /// the owner's requests in order (a historical request waiting for its own limit does not hold
    /// back the others).
    private mutating func drain(now: Duration) -> [Action] {
        guard let connection = openConnection else { return [] }
        var actions: [Action] = []
        while let first = internalQueue.first, canSend(first, now: now) {
            internalQueue.removeFirst()
            actions.append(transmit(first, on: connection, now: now))
        }
        guard internalQueue.isEmpty, isReady else { return actions }
        var index = 0
        while index < userQueue.count {
            guard now >= pausedUntil, generalLimiter.canSend(now: now) else { break }
            if canSend(userQueue[index], now: now) {
                let outgoing = userQueue.remove(at: index)
                actions.append(transmit(outgoing, on: connection, now: now))
            } else {
                index += 1
            }
        }
        return actions
    }

    private mutating func transmit(_ outgoing: Outgoing, on connection: ConnectionID, now: Duration) -> Action {
        generalLimiter.record(now: now)
        if outgoing.isHistorical { historicalLimiter.record(now: now) }
        inFlight[outgoing.clientMsgId] = outgoing
        lastSent = now
        return .send(Envelope(outgoing.message, clientMsgId: outgoing.clientMsgId), connection)
    }

    private mutating func expireQueued(now: Duration) -> [Action] {
        var actions: [Action] = []
        userQueue.removeAll { outgoing in
            guard outgoing.deadline <= now else { return false }
            if let user = outgoing.purpose.user {
                var error = CTraderError(
                    code: .timeout,
                    reason: "the request waited \(configuration.requestTimeout) and was never sent",
                    payloadType: outgoing.payloadType
                )
                error.ctidTraderAccountId = Self.accountId(of: outgoing.message)
                actions.append(.complete(user, .failure(error)))
            }
            return true
        }
        return actions
    }

    private func timeoutError(_ outgoing: Outgoing) -> CTraderError {
        if outgoing.isTrading {
            return outcomeUnknown(outgoing, because: "no answer arrived within its timeout")
        }
        var error = CTraderError(
            code: .timeout,
            reason: "no answer to \(outgoing.payloadType) within its timeout",
            payloadType: outgoing.payloadType
        )
        error.clientMsgId = outgoing.clientMsgId
        return error
    }

    private func lostError(_ outgoing: Outgoing, cause: CTraderError) -> CTraderError {
        if outgoing.isTrading {
            return outcomeUnknown(outgoing, because: "the connection ended (\(cause.code)) before its answer")
        }
        if outgoing.payloadType == .protoOaRefreshTokenReq {
            return refreshOutcomeUnknown(outgoing, cause: cause)
        }
        var error = CTraderError(
            code: cause.code == .shutdown ? .shutdown : .connectionLost,
            reason: "the connection ended before the answer to \(outgoing.payloadType): \(cause.reason)",
            payloadType: outgoing.payloadType,
            underlying: cause
        )
        error.clientMsgId = outgoing.clientMsgId
        error.errorCode = cause.errorCode
        return error
    }

    /// A token refresh (2173) whose answer was lost: the server may have consumed the single-use
    /// refresh token, and the new pair is gone with the connection.
    private func refreshOutcomeUnknown(_ outgoing: Outgoing, cause: CTraderError) -> CTraderError {
        var account: Int64?
        if case .tokenRefresh(let id, _) = outgoing.purpose { account = id }
        var error = CTraderError(
            code: .outcomeUnknown,
            reason: "ProtoOARefreshTokenReq (2173, clientMsgId \(outgoing.clientMsgId)) was sent but the connection ended "
                + "(\(cause.code)) before its answer: the server may have consumed the single-use refresh token, so the "
                + "refresh token may be spent and the new token pair is lost. It is NOT re-sent. Try the access token "
                + "you have; if it and the refresh token are refused, authorize again through OAuth for a new pair.",
            payloadType: .protoOaRefreshTokenReq,
            ctidTraderAccountId: account,
            underlying: cause
        )
        error.clientMsgId = outgoing.clientMsgId
        return error
    }

    private func outcomeUnknown(_ outgoing: Outgoing, because reason: String) -> CTraderError {
        let account = Self.accountId(of: outgoing.message)
        var error = CTraderError(
            code: .outcomeUnknown,
            reason: "\(outgoing.payloadType) (clientMsgId \(outgoing.clientMsgId)) was sent but "
                + "\(reason); it may or may not have been executed and is NOT re-sent. Send ProtoOAReconcileReq (2124)"
                + (account.map { " for account \($0)" } ?? "") + " to learn the open orders and positions.",
            payloadType: outgoing.payloadType,
            ctidTraderAccountId: account
        )
        error.clientMsgId = outgoing.clientMsgId
        return error
    }

    /// The account a request names, for the messages whose account matters to the session.
    static func accountId(of message: any CTraderMessage) -> Int64? {
        switch message {
        case let m as ProtoOANewOrderReq: m.ctidTraderAccountID
        case let m as ProtoOACancelOrderReq: m.ctidTraderAccountID
        case let m as ProtoOAAmendOrderReq: m.ctidTraderAccountID
        case let m as ProtoOAAmendPositionSLTPReq: m.ctidTraderAccountID
        case let m as ProtoOAClosePositionReq: m.ctidTraderAccountID
        case let m as ProtoOAAccountAuthReq: m.ctidTraderAccountID
        default: nil
        }
    }

    // MARK: - Answers and events

    private mutating func answer(_ envelope: Envelope, to outgoing: Outgoing, now: Duration) -> [Action] {
        let payloadType = envelope.payloadType
        let isError = PayloadRegistry.errorPayloadTypes.contains(payloadType)
        var actions: [Action] = []
        if !isError && !registry.isAnswer(payloadType, to: outgoing.payloadType) {
            if registry.isEvent(payloadType) { return event(envelope) }
            inFlight.removeValue(forKey: outgoing.clientMsgId)
            var error = CTraderError(
                code: .unexpectedResponse,
                reason: "\(payloadType) does not answer \(outgoing.payloadType)",
                payloadType: outgoing.payloadType
            )
            error.clientMsgId = outgoing.clientMsgId
            if let user = outgoing.purpose.user { actions.append(.complete(user, .failure(error))) }
            return actions + drain(now: now)
        }
        inFlight.removeValue(forKey: outgoing.clientMsgId)
        if payloadType == .protoOaExecutionEvent || payloadType == .protoOaOrderErrorEvent {
            // The executions and order-error streams see every such event, answers included.
            actions.append(.emit(envelope))
        }
        var error = CTraderError(serverResponse: envelope, requestPayloadType: outgoing.payloadType)
        error?.clientMsgId = outgoing.clientMsgId
        if let error, let code = error.errorCode, Self.rateLimitCodes.contains(code) {
            pausedUntil = max(pausedUntil, now + .seconds(Int64(clamping: error.retryAfter ?? 1)))
        }
        switch outgoing.purpose {
        case .user(let id):
            if error == nil { actions += recordSuccess(of: outgoing.message, answer: envelope) }
            actions.append(.complete(id, error.map { .failure($0) } ?? .success(envelope)))
        case .appAuth:
            actions += appAuthAnswered(error: error, now: now)
        case .accountAuth(let account, let user, let refreshed):
            actions += accountAuthAnswered(account: account, user: user, refreshed: refreshed, error: error, now: now)
        case .tokenRefresh(let account, let user):
            actions += tokenRefreshAnswered(account: account, user: user, envelope: envelope, error: error, now: now)
        case .restoreSubscription:
            actions += restoreProgressed(now: now)
        }
        return actions + drain(now: now)
    }

    private mutating func event(_ envelope: Envelope) -> [Action] {
        switch envelope.payloadType {
        case .protoOaAccountDisconnectEvent:
            if let event = envelope.message(as: ProtoOAAccountDisconnectEvent.self) {
                accounts.removeValue(forKey: event.ctidTraderAccountID)
            }
        case .protoOaAccountsTokenInvalidatedEvent:
            if let event = envelope.message(as: ProtoOAAccountsTokenInvalidatedEvent.self) {
                for id in event.ctidTraderAccountIds { accounts[id]?.isAuthorized = false }
            }
        default:
            break
        }
        return [.emit(envelope)]
    }

    private mutating func recordSuccess(of message: any CTraderMessage, answer: Envelope) -> [Action] {
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
        case is ProtoOARefreshTokenReq:
            if let res = answer.message(as: ProtoOARefreshTokenRes.self) {
                return [
                    .storeTokens(
                        CTraderTokenPair(
                            ctidTraderAccountId: nil,
                            accessToken: res.accessToken,
                            refreshToken: res.refreshToken,
                            expiresIn: res.expiresIn
                        )
                    )
                ]
            }
        default:
            break
        }
        return []
    }

    private mutating func appAuthAnswered(error: CTraderError?, now: Duration) -> [Action] {
        guard case .authenticating(let connection, let failures) = state else { return [] }
        if let error {
            if let code = error.errorCode, Self.clientAuthFailureCodes.contains(code) {
                var permanent = error
                permanent.code = .authenticationFailed
                return failPermanently(permanent, closing: connection)
            }
            return [.closeConnection(connection)] + connectionLost(error, now: now)
        }
        let restorable = accounts.filter { $0.value.isRestorable }.keys.sorted()
        if restorable.isEmpty { return becomeReady(now: now) }
        state = .restoring(connection, failures: failures)
        for id in restorable {
            guard let account = accounts[id] else { continue }
            var auth = ProtoOAAccountAuthReq()
            auth.ctidTraderAccountID = id
            auth.accessToken = account.accessToken.value
            enqueueInternal(auth, purpose: .accountAuth(account: id, user: nil, refreshed: false), now: now)
        }
        return []
    }

    private mutating func accountAuthAnswered(
        account: Int64,
        user: RequestID?,
        refreshed: Bool,
        error: CTraderError?,
        now: Duration
    ) -> [Action] {
        var actions: [Action] = []
        if error == nil || error?.errorCode == "ALREADY_LOGGED_IN" {
            accounts[account]?.isAuthorized = true
            accounts[account]?.isRestorable = true
            if let user {
                var res = ProtoOAAccountAuthRes()
                res.ctidTraderAccountID = account
                actions.append(.complete(user, .success(Envelope(res))))
            }
            if case .restoring = state, user == nil, let restored = accounts[account] {
                resubscribe(account: account, restored, now: now)
            }
            return actions + restoreProgressed(now: now)
        }
        guard let error else { return actions }
        let tokenInvalid = error.errorCode.map { Self.tokenInvalidCodes.contains($0) } ?? false
        if tokenInvalid, !refreshed, let refreshToken = accounts[account]?.refreshToken {
            var refresh = ProtoOARefreshTokenReq()
            refresh.refreshToken = refreshToken.value
            enqueueInternal(refresh, purpose: .tokenRefresh(account: account, user: user), now: now)
            return actions
        }
        var failure = error
        failure.ctidTraderAccountId = account
        if tokenInvalid { failure.code = .authenticationFailed }
        return accountFailed(account, user: user, error: failure, now: now)
    }

    private mutating func accountFailed(
        _ account: Int64,
        user: RequestID?,
        error: CTraderError,
        now: Duration
    ) -> [Action] {
        var actions: [Action] = []
        let wasRestorable = accounts[account]?.isRestorable ?? false
        accounts.removeValue(forKey: account)
        if let user { actions.append(.complete(user, .failure(error))) }
        if wasRestorable && user == nil {
            actions.append(.status(.accountAuthorizationFailed(ctidTraderAccountId: account, error: error)))
        }
        return actions + restoreProgressed(now: now)
    }

    private mutating func tokenRefreshAnswered(
        account: Int64,
        user: RequestID?,
        envelope: Envelope,
        error: CTraderError?,
        now: Duration
    ) -> [Action] {
        guard error == nil, let res = envelope.message(as: ProtoOARefreshTokenRes.self) else {
            var failure =
                error
                ?? CTraderError(
                    code: .unexpectedResponse,
                    reason: "no ProtoOARefreshTokenRes",
                    payloadType: .protoOaRefreshTokenReq
                )
            failure.code = .authenticationFailed
            failure.ctidTraderAccountId = account
            return accountFailed(account, user: user, error: failure, now: now)
        }
        let pair = CTraderTokenPair(
            ctidTraderAccountId: account,
            accessToken: res.accessToken,
            refreshToken: res.refreshToken,
            expiresIn: res.expiresIn
        )
        accounts[account]?.accessToken = pair.accessToken
        accounts[account]?.refreshToken = pair.refreshToken
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = account
        auth.accessToken = res.accessToken
        enqueueInternal(auth, purpose: .accountAuth(account: account, user: user, refreshed: true), now: now)
        return [.storeTokens(pair)]
    }

    private mutating func resubscribe(account id: Int64, _ account: Account, now: Duration) {
        if !account.spots.isEmpty {
            var spots = ProtoOASubscribeSpotsReq()
            spots.ctidTraderAccountID = id
            spots.symbolID = account.spots.sorted()
            if account.spotTimestamps { spots.subscribeToSpotTimestamp = true }
            enqueueInternal(spots, purpose: .restoreSubscription, now: now)
        }
        if !account.depth.isEmpty {
            var depth = ProtoOASubscribeDepthQuotesReq()
            depth.ctidTraderAccountID = id
            depth.symbolID = account.depth.sorted()
            enqueueInternal(depth, purpose: .restoreSubscription, now: now)
        }
        let trendbars = account.trendbars.sorted {
            ($0.symbolId, $0.period.rawValue) < ($1.symbolId, $1.period.rawValue)
        }
        for trendbar in trendbars {
            var request = ProtoOASubscribeLiveTrendbarReq()
            request.ctidTraderAccountID = id
            request.symbolID = trendbar.symbolId
            request.period = trendbar.period
            enqueueInternal(request, purpose: .restoreSubscription, now: now)
        }
    }

    /// Becomes ready once the restoration's internal requests were all answered.
    private mutating func restoreProgressed(now: Duration) -> [Action] {
        guard case .restoring = state else { return [] }
        let internalPending =
            internalQueue.contains { $0.purpose.user == nil } || inFlight.values.contains { $0.purpose.user == nil }
        return internalPending ? [] : becomeReady(now: now)
    }
}
