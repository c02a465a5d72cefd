// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

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
/// too many failed attempts lead to failed; ``shutdown(now:)`` to shut down. What the server ends
/// is recovered from (2148 a connection, 2164 an account's session, 2147 an access token), and
/// every step reported as ``Action/sessionEvent(_:)``.
///
/// Requests made before the session is ready (or while it reconnects) wait in a bounded queue.
/// Requests in flight when the connection drops fail: with ``CTraderError/Code/connectionLost``,
/// or for trading requests (2106, 2108–2111) with ``CTraderError/Code/outcomeUnknown``; a trading
/// request is never written twice. Trading requests still queued when the connection drops, or
/// made while it reconnects, fail at once with ``CTraderError/Code/notSent`` (unless
/// ``Configuration/resendsUnsentTradingRequests``). Other requests refused by a transient server
/// error are retried (``CTraderRetryPolicy``); a permanent one fails at once.
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
        /// Save a new token pair in the token store at once (refresh tokens are single-use), then
        /// report ``tokensSaved(_:now:)`` or ``tokenSaveFailed(_:error:now:)``: a pair refreshed
        /// for an account is used only after its save returned.
        case storeTokens(CTraderTokenPair)
        /// End every event stream: with the error after a permanent failure, normally after a
        /// shutdown.
        case finishStreams(CTraderError?)
        /// Report what the session did to stay usable (``CTraderClient/sessionEvents(bufferSize:)``).
        case sessionEvent(CTraderSessionEvent)
    }

    /// The trading requests: 2106 new order, 2108 cancel order, 2109 amend order, 2110 amend
    /// position SL/TP, 2111 close position. Answered by 2126 or 2132, and never re-sent.
    public static let tradingPayloadTypes: Set<PayloadType> = PayloadType.tradingRequests

    // MARK: - State

    // The machine keeps the connection's state and its entry points; each other concern has its
    // own room: `RequestScheduler` (queues, requests in flight, rate limits, pauses),
    // `SessionAccounts` (accounts, subscriptions, restoration), `SessionAuthentication` (the
    // decisions on application auth, account auth and token refresh), `SessionErrors` (every
    // error the session builds) and `SessionStatus` (SessionStatus.swift). The state is internal,
    // not private: the extensions in SessionAuthentication.swift and SessionAccounts.swift carry
    // out their decisions on it.

    enum State: Sendable {
        case idle
        case connecting(ConnectionID, failures: Int)
        case authenticating(ConnectionID, failures: Int)
        case restoring(ConnectionID, failures: Int)
        case ready(ConnectionID)
        case waitingToReconnect(failures: Int, at: Duration)
        case failed(CTraderError)
        case shutDown
    }

    typealias Outgoing = RequestScheduler.Outgoing

    /// The settings.
    public let configuration: Configuration
    private let registry: PayloadRegistry
    var state: State = .idle
    private var backoff: ReconnectBackoff
    /// The queues, the requests in flight and the rate limiters.
    var scheduler: RequestScheduler
    /// The authorized accounts and their subscriptions.
    var accounts = SessionAccounts()
    private var nextConnectionNumber: UInt64 = 1
    private var lastSent: Duration = .zero
    var lastReceived: Duration = .zero
    private var connectWaiters: [RequestID] = []
    private var droppedAt: Duration?

    /// Makes an idle machine.
    ///
    /// - Parameters:
    ///   - configuration: credentials, timeouts and limits.
    ///   - registry: the payload registry that pairs answers with requests; default `.standard`.
    public init(configuration: Configuration, registry: PayloadRegistry = .standard) {
        self.configuration = configuration
        self.registry = registry
        self.backoff = ReconnectBackoff(policy: configuration.reconnect)
        self.accounts.reauthorization = ReconnectBackoff(policy: configuration.accountReauthorization)
        self.scheduler = RequestScheduler(
            requestTimeout: configuration.requestTimeout,
            rateLimits: configuration.rateLimits,
            retryPolicy: configuration.transientRetry
        )
    }

    // MARK: - Queries

    /// Whether the session is connected, authenticated and restored.
    public var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// The requests waiting for the rate limiter or the connection.
    public var queuedRequestCount: Int { scheduler.userQueue.count }

    /// The requests sent and not yet answered (internal ones included).
    public var inFlightCount: Int { scheduler.inFlight.count }

    /// The accounts authorized on the current connection.
    public var authorizedAccounts: [Int64] { accounts.authorized }

    /// The spot subscriptions restored after a reconnect: account → symbol ids.
    public var spotSubscriptions: [Int64: Set<Int64>] { accounts.spotSubscriptions }

    /// The connection in use (open or being opened), if any.
    public var currentConnection: ConnectionID? {
        switch state {
        case .connecting(let id, _), .authenticating(let id, _), .restoring(let id, _), .ready(let id): id
        case .idle, .waitingToReconnect, .failed, .shutDown: nil
        }
    }

    var openConnection: ConnectionID? {
        switch state {
        case .authenticating(let id, _), .restoring(let id, _), .ready(let id): id
        case .idle, .connecting, .waitingToReconnect, .failed, .shutDown: nil
        }
    }

    /// When ``tick(now:)`` must be called next; `nil` when no timer is needed.
    public func nextDeadline(now: Duration) -> Duration? {
        var deadlines: [Duration] = scheduler.userQueue.map(\.deadline)
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
            deadlines.append(contentsOf: scheduler.connectedDeadlines(now: now, userRequestsAllowed: isReady))
            deadlines.append(contentsOf: tokenRefreshDeadlines + reauthorizationDeadlines)
        }
        return deadlines.min()
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
            return [.complete(id, .failure(SessionErrors.shutdown))]
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
    /// refresh token is given (saving the new pair with ``Action/storeTokens(_:)`` and waiting for
    /// ``tokensSaved(_:now:)``) and tries again. Once authorized, the account and its subscriptions are restored after reconnects.
    public mutating func authorize(
        _ id: RequestID,
        account: Int64,
        accessToken: CTraderSecret,
        refreshToken: CTraderSecret?,
        timeout: Duration? = nil,
        now: Duration
    ) -> [Action] {
        if let failure = refusal(id) { return [failure] }
        accounts.authorizing(account, accessToken: accessToken, refreshToken: refreshToken)
        let message = SessionAuthentication.accountAuthRequest(account: account, accessToken: accessToken.value)
        return enqueueUser(
            id,
            message: message,
            purpose: .accountAuth(account: account, user: id, refreshed: false),
            timeout: timeout,
            now: now
        )
    }

    /// The connection opened by ``Action/openConnection(_:)`` is up.
    public mutating func connectionOpened(_ connection: ConnectionID, now: Duration) -> [Action] {
        guard case .connecting(let current, let failures) = state, current == connection else {
            return [.closeConnection(connection)]
        }
        state = .authenticating(connection, failures: failures)
        lastSent = now
        lastReceived = now
        let auth = SessionAuthentication.appAuthRequest(configuration.credentials)
        scheduler.startInternal(auth, purpose: .appAuth, now: now)
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
        if let id = envelope.clientMsgId, let outgoing = scheduler.inFlight[id] {
            return answer(envelope, to: outgoing, now: now)
        }
        return event(envelope, now: now)
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
                let error = SessionErrors.deadConnection(after: configuration.deadConnectionTimeout)
                return actions + [.closeConnection(connection)] + connectionLost(error, now: now)
            }
            for outgoing in scheduler.expiredInFlight(now: now) {
                scheduler.removeInFlight(outgoing.clientMsgId)
                guard let user = outgoing.purpose.user else {
                    let error = SessionErrors.setupTimeout(outgoing)
                    return actions + [.closeConnection(connection)] + connectionLost(error, now: now)
                }
                actions.append(.complete(user, .failure(SessionErrors.timeoutError(outgoing))))
            }
            refreshExpiringTokens(now: now)
            actions += reauthorizeDue(now: now)
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
        var actions = failEverything(SessionErrors.shutdown)
        state = .shutDown
        if let connection { actions.append(.closeConnection(connection)) }
        actions.append(.status(.shutDown))
        actions.append(.finishStreams(nil))
        return actions
    }

    // MARK: - Connection lifecycle

    private mutating func startConnecting(failures: Int) -> [Action] {
        let connection = ConnectionID(nextConnectionNumber)
        nextConnectionNumber += 1
        state = .connecting(connection, failures: failures)
        return [
            .status(.connecting(attempt: failures + 1)), .sessionEvent(.connecting(attempt: failures + 1)),
            .openConnection(connection),
        ]
    }

    private var failures: Int {
        switch state {
        case .connecting(_, let failures), .authenticating(_, let failures), .restoring(_, let failures):
            failures
        case .idle, .ready, .waitingToReconnect, .failed, .shutDown:
            0
        }
    }

    mutating func connectionLost(_ error: CTraderError, now: Duration) -> [Action] {
        let failures = self.failures + 1
        if case .ready = state { droppedAt = droppedAt ?? now }
        var actions: [Action] = []
        let (lost, unsent) = scheduler.connectionLost(keepsTradingRequests: configuration.resendsUnsentTradingRequests)
        for outgoing in lost {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(SessionErrors.lostError(outgoing, cause: error))))
        }
        actions += saveWaitersFailed(error)
        for outgoing in unsent {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(SessionErrors.notSent(outgoing, cause: error))))
        }
        accounts.connectionLost()
        actions.append(.status(.connectionLost(error)))
        if failures > configuration.reconnect.maximumAttempts {
            let gaveUp = SessionErrors.reconnectGaveUp(failures: failures, last: error)
            return actions + failPermanently(gaveUp, closing: nil)
        }
        let delay = backoff.delay(attempt: failures)
        state = .waitingToReconnect(failures: failures, at: now + delay)
        actions.append(.status(.reconnecting(attempt: failures, delay: delay)))
        actions.append(.sessionEvent(.reconnecting(attempt: failures, delay: delay, cause: error)))
        return actions
    }

    mutating func failPermanently(_ error: CTraderError, closing connection: ConnectionID?) -> [Action] {
        var actions = failEverything(error)
        state = .failed(error)
        if let connection { actions.append(.closeConnection(connection)) }
        actions.append(.status(.failed(error)))
        actions.append(.sessionEvent(.gaveUp(error)))
        actions.append(.finishStreams(error))
        return actions
    }

    private mutating func failEverything(_ error: CTraderError) -> [Action] {
        var actions: [Action] = []
        let (lost, queued) = scheduler.removeAll()
        for outgoing in lost {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(SessionErrors.lostError(outgoing, cause: error))))
        }
        for outgoing in queued {
            guard let user = outgoing.purpose.user else { continue }
            actions.append(.complete(user, .failure(error)))
        }
        for waiter in connectWaiters {
            actions.append(.complete(waiter, .failure(error)))
        }
        actions += saveWaitersFailed(error)
        connectWaiters.removeAll()
        return actions
    }

    mutating func becomeReady(now: Duration) -> [Action] {
        guard let connection = openConnection else { return [] }
        state = .ready(connection)
        var actions: [Action] = connectWaiters.map { .complete($0, .success(Envelope(ProtoOAApplicationAuthRes()))) }
        connectWaiters.removeAll()
        actions.append(.status(.readiness(droppedAt: droppedAt, now: now)))
        actions += readinessEvents(droppedAt: droppedAt, now: now)
        droppedAt = nil
        return actions + drain(now: now)
    }

    // MARK: - Requests

    private func refusal(_ id: RequestID) -> Action? {
        switch state {
        case .idle:
            .complete(id, .failure(SessionErrors.notConnected))
        case .failed(let error):
            .complete(id, .failure(error))
        case .shutDown:
            .complete(id, .failure(SessionErrors.shutdown))
        case .connecting, .authenticating, .restoring, .ready, .waitingToReconnect:
            nil
        }
    }

    private mutating func enqueueUser(
        _ id: RequestID,
        message: any CTraderMessage,
        purpose: RequestScheduler.Purpose,
        timeout: Duration?,
        now: Duration
    ) -> [Action] {
        if let failure = refusal(id) ?? unsentWhileReconnecting(id, message: message) { return [failure] }
        let waiting = scheduler.userQueue.count
        guard scheduler.enqueueUser(message, purpose: purpose, timeout: timeout, now: now) else {
            let error = SessionErrors.queueFull(waiting: waiting, payloadType: type(of: message).messagePayloadType)
            return [.complete(id, .failure(error))]
        }
        return drain(now: now)
    }

    /// Sends what the scheduler allows on the open connection (the owner's requests once ready).
    mutating func drain(now: Duration) -> [Action] {
        guard let connection = openConnection else { return [] }
        let sent = scheduler.drain(now: now, userRequestsAllowed: isReady)
        if !sent.isEmpty { lastSent = now }
        return sent.map { .send($0.envelope, connection) }
    }

    private mutating func expireQueued(now: Duration) -> [Action] {
        scheduler.expireQueued(now: now).compactMap { outgoing in
            guard let user = outgoing.purpose.user else { return nil }
            let error = SessionErrors.neverSent(outgoing, requestTimeout: configuration.requestTimeout)
            return .complete(user, .failure(error))
        }
    }

    // MARK: - Answers and events

    private mutating func answer(_ envelope: Envelope, to outgoing: Outgoing, now: Duration) -> [Action] {
        let payloadType = envelope.payloadType
        let isError = PayloadRegistry.errorPayloadTypes.contains(payloadType)
        var actions: [Action] = []
        if !isError && !registry.isAnswer(payloadType, to: outgoing.payloadType) {
            if registry.isEvent(payloadType) { return event(envelope, now: now) }
            scheduler.removeInFlight(outgoing.clientMsgId)
            let error = SessionErrors.unexpectedResponse(payloadType, to: outgoing)
            if let user = outgoing.purpose.user { actions.append(.complete(user, .failure(error))) }
            return actions + drain(now: now)
        }
        scheduler.removeInFlight(outgoing.clientMsgId)
        if payloadType == .protoOaExecutionEvent || payloadType == .protoOaOrderErrorEvent {
            // The executions and order-error streams see every such event, answers included.
            actions.append(.emit(envelope))
        }
        var error = CTraderError(serverResponse: envelope, requestPayloadType: outgoing.payloadType)
        error?.clientMsgId = outgoing.clientMsgId
        // A non-trading request refused by a rate limit or a transient error goes out again later.
        if let error, retries(outgoing, after: error, now: now) { return actions + drain(now: now) }
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
            actions += restoreSubscriptionAnswered(outgoing, error: error, now: now)
        }
        return actions + drain(now: now)
    }
}
