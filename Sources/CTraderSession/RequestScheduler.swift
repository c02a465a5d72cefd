// swift-ctrader: the cTrader Open API session layer.

import CTraderMessaging

/// The scheduling of the session's requests, without I/O: the internal queue (session setup:
/// authentication and restoration), the owner's bounded queue, the requests in flight by
/// `clientMsgId`, the two rate limiters (all requests, historical requests) and the pause a
/// rate-limit error imposes.
///
/// Pure value: the caller passes the time and turns what ``drain(now:userRequestsAllowed:)``
/// returns into sends on its connection.
struct RequestScheduler: Sendable {
    /// Why a message is sent.
    enum Purpose: Sendable {
        case user(SessionStateMachine.RequestID)
        case appAuth
        case accountAuth(account: Int64, user: SessionStateMachine.RequestID?, refreshed: Bool)
        case tokenRefresh(account: Int64, user: SessionStateMachine.RequestID?)
        case restoreSubscription

        /// The owner's request this message serves, if any.
        var user: SessionStateMachine.RequestID? {
            switch self {
            case .user(let id): id
            case .appAuth: nil
            case .accountAuth(_, let user, _): user
            case .tokenRefresh(_, let user): user
            case .restoreSubscription: nil
            }
        }
    }

    /// One message, queued or in flight.
    struct Outgoing: Sendable {
        var clientMsgId: String
        var message: any CTraderMessage
        var purpose: Purpose
        var deadline: Duration
        var isHistorical: Bool
        /// Queued by the session itself (``RequestScheduler/internalQueue``).
        var isInternal = false
        /// Not sent before this time: a retry after a transient error.
        var notBefore: Duration = .zero
        /// How often it was sent again after a refusal.
        var retries = 0
        var payloadType: PayloadType { type(of: message).messagePayloadType }
        var isTrading: Bool { SessionStateMachine.tradingPayloadTypes.contains(payloadType) }
        /// The envelope that carries the message.
        var envelope: Envelope { Envelope(message, clientMsgId: clientMsgId) }
    }

    /// The default time a request may wait for its answer.
    let requestTimeout: Duration
    /// The rate limits and the queue bound.
    let rateLimits: CTraderRateLimits
    private var generalLimiter: RequestRateLimiter
    private var historicalLimiter: RequestRateLimiter
    /// How requests refused with a transient error are retried.
    let retryPolicy: CTraderRetryPolicy
    private var retryBackoff: ExponentialBackoff
    /// Nothing is sent before this time (set by a rate-limit error).
    private(set) var pausedUntil: Duration = .zero
    /// The session's own requests, sent first and in order.
    private(set) var internalQueue: [Outgoing] = []
    /// The owner's requests, waiting for the limiter or the connection.
    private(set) var userQueue: [Outgoing] = []
    /// The requests sent and not yet answered, by `clientMsgId`.
    private(set) var inFlight: [String: Outgoing] = [:]
    private var nextMessageNumber: UInt64 = 1

    /// Makes an empty scheduler; each one-second window is lengthened by the limits' margin.
    init(
        requestTimeout: Duration, rateLimits: CTraderRateLimits, retryPolicy: CTraderRetryPolicy = CTraderRetryPolicy()
    ) {
        self.requestTimeout = requestTimeout
        self.rateLimits = rateLimits
        self.retryPolicy = retryPolicy
        self.retryBackoff = ExponentialBackoff(
            initialDelay: retryPolicy.initialDelay, maximumDelay: retryPolicy.maximumDelay,
            multiplier: retryPolicy.multiplier, jitter: retryPolicy.jitter, seed: retryPolicy.jitterSeed
        )
        let window = Duration.seconds(1) + rateLimits.windowMargin
        self.generalLimiter = RequestRateLimiter(limit: rateLimits.requestsPerSecond, window: window)
        self.historicalLimiter = RequestRateLimiter(limit: rateLimits.historicalRequestsPerSecond, window: window)
    }

    // MARK: - Queueing

    /// Numbers a message (`m1`, `m2`, …) and gives it its deadline.
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
            deadline: now + (timeout ?? requestTimeout),
            isHistorical: rateLimits.historicalPayloadTypes.contains(payloadType)
        )
    }

    /// Queues an owner's request; `false` when the queue is full (the request is not queued).
    mutating func enqueueUser(
        _ message: any CTraderMessage,
        purpose: Purpose,
        timeout: Duration?,
        now: Duration
    ) -> Bool {
        guard userQueue.count < rateLimits.maximumQueuedRequests else { return false }
        userQueue.append(makeOutgoing(message, purpose: purpose, timeout: timeout, now: now))
        return true
    }

    /// Queues one of the session's own requests, after the others.
    mutating func enqueueInternal(_ message: any CTraderMessage, purpose: Purpose, now: Duration) {
        var outgoing = makeOutgoing(message, purpose: purpose, timeout: nil, now: now)
        outgoing.isInternal = true
        internalQueue.append(outgoing)
    }

    /// A new connection's first request: replaces the internal queue.
    mutating func startInternal(_ message: any CTraderMessage, purpose: Purpose, now: Duration) {
        internalQueue = []
        enqueueInternal(message, purpose: purpose, now: now)
    }

    // MARK: - Sending

    /// When `outgoing` may be sent: after the pause and its retry time, and when its limiters
    /// have room.
    func slot(for outgoing: Outgoing, now: Duration) -> Duration {
        var slot = max(pausedUntil, outgoing.notBefore, generalLimiter.nextSlot(now: now))
        if outgoing.isHistorical { slot = max(slot, historicalLimiter.nextSlot(now: now)) }
        return slot
    }

    private func canSend(_ outgoing: Outgoing, now: Duration) -> Bool {
        slot(for: outgoing, now: now) <= now
    }

    /// Takes what the rate limiter allows, now in flight: internal requests first, in order; then,
    /// when `userRequestsAllowed` and no internal request waits for the limiter, the owner's
    /// requests in order (a historical request waiting for its own limit, or a retry waiting for
    /// its time, does not hold back the others).
    mutating func drain(now: Duration, userRequestsAllowed: Bool) -> [Outgoing] {
        var sent: [Outgoing] = []
        var index = 0
        while index < internalQueue.count {
            if internalQueue[index].notBefore > now {
                index += 1
            } else if canSend(internalQueue[index], now: now) {
                sent.append(transmit(internalQueue.remove(at: index), now: now))
            } else {
                break
            }
        }
        guard internalQueue.allSatisfy({ $0.notBefore > now }), userRequestsAllowed else { return sent }
        index = 0
        while index < userQueue.count {
            guard now >= pausedUntil, generalLimiter.canSend(now: now) else { break }
            if canSend(userQueue[index], now: now) {
                let outgoing = userQueue.remove(at: index)
                sent.append(transmit(outgoing, now: now))
            } else {
                index += 1
            }
        }
        return sent
    }

    private mutating func transmit(_ outgoing: Outgoing, now: Duration) -> Outgoing {
        generalLimiter.record(now: now)
        if outgoing.isHistorical { historicalLimiter.record(now: now) }
        inFlight[outgoing.clientMsgId] = outgoing
        return outgoing
    }

    /// Pauses every send for the error's `retryAfter` seconds (default
    /// ``CTraderRateLimits/rateLimitRetryDelay``) when the error is a rate-limit error
    /// (``SessionStateMachine/rateLimitCodes``).
    mutating func pauseIfRateLimited(by error: CTraderError, now: Duration) {
        if Self.isRateLimited(error) {
            let delay = error.retryAfter.map { Duration.seconds(Int64(clamping: $0)) } ?? rateLimits.rateLimitRetryDelay
            pausedUntil = max(pausedUntil, now + delay)
        }
    }

    static func isRateLimited(_ error: CTraderError) -> Bool {
        SessionErrors.classify(error) == .rateLimited
    }

    /// A request was refused with `error`: pauses every send after a rate limit
    /// (``pauseIfRateLimited(by:now:)``) and queues the request again, first in its queue and
    /// under a new `clientMsgId`, when the refusal is worth a retry. Returns `false` (nothing
    /// queued: the request fails with `error`) for a trading request (never resent: the server
    /// may have counted it), an error that is neither a rate limit nor transient
    /// (``SessionErrors/classify(_:)``), a rate limit on another request than an owner's plain
    /// one, a request whose transient-error retries
    /// (``CTraderRetryPolicy/maximumAttempts``) ran out, an owner's request whose retry would come
    /// after its deadline, or a maintenance that ends after
    /// ``CTraderRetryPolicy/maximumMaintenanceWait``.
    ///
    /// An owner's plain request (``Purpose/user(_:)``) refused by a rate limit is retried once the
    /// pause ends, within its deadline; a request refused by a transient error after the backoff
    /// (``CTraderRetryPolicy``), at most ``CTraderRetryPolicy/maximumAttempts`` times, and not
    /// before a maintenance's end (`unixNow` is the Unix time in milliseconds at `now`). A
    /// session request retried gets a new deadline.
    mutating func retry(_ outgoing: Outgoing, after error: CTraderError, now: Duration, unixNow: Int64) -> Bool {
        pauseIfRateLimited(by: error, now: now)
        guard !outgoing.isTrading else { return false }
        let retryAt: Duration
        switch SessionErrors.classify(error) {
        case .rateLimited:
            // The session's own requests refused by a rate limit are recovered from by the
            // session (re-authorization with `accountReauthorization`, or a reconnect).
            guard case .user = outgoing.purpose else { return false }
            retryAt = pausedUntil
        case .transient(let maintenanceEnd):
            guard outgoing.retries < retryPolicy.maximumAttempts else { return false }
            var at = now + retryBackoff.delay(attempt: outgoing.retries + 1)
            if let maintenanceEnd {
                let (wait, overflow) = maintenanceEnd.subtractingReportingOverflow(unixNow)
                guard !overflow, Duration.milliseconds(wait) <= retryPolicy.maximumMaintenanceWait else { return false }
                at = max(at, now + .milliseconds(wait))
            }
            retryAt = at
        case .credentials, .tokenInvalid, .account, .other:
            return false
        }
        var retry = outgoing
        retry.clientMsgId = "m\(nextMessageNumber)"
        retry.retries += 1
        retry.notBefore = retryAt
        if outgoing.isInternal {
            retry.deadline = retryAt + requestTimeout
            nextMessageNumber += 1
            internalQueue.insert(retry, at: 0)
        } else {
            guard retryAt < outgoing.deadline else { return false }
            nextMessageNumber += 1
            userQueue.insert(retry, at: 0)
        }
        return true
    }

    // MARK: - Answers, timeouts, cancellation

    /// Forgets a request in flight (answered, timed out); returns it.
    @discardableResult
    mutating func removeInFlight(_ clientMsgId: String) -> Outgoing? {
        inFlight.removeValue(forKey: clientMsgId)
    }

    /// The requests in flight whose deadline has come, earliest first (they stay in flight).
    func expiredInFlight(now: Duration) -> [Outgoing] {
        inFlight.values.sorted(by: { $0.deadline < $1.deadline }).filter { $0.deadline <= now }
    }

    /// Removes the owner's queued requests whose deadline has come; returns them, in queue order.
    mutating func expireQueued(now: Duration) -> [Outgoing] {
        var expired: [Outgoing] = []
        userQueue.removeAll { outgoing in
            guard outgoing.deadline <= now else { return false }
            expired.append(outgoing)
            return true
        }
        return expired
    }

    /// Where a cancelled request was.
    enum Cancelled: Sendable {
        /// Queued, never written.
        case queued(Outgoing)
        /// Written, not yet answered.
        case inFlight(Outgoing)
    }

    /// Forgets the owner's request `id`, queued or in flight; `nil` when it is neither.
    mutating func cancel(_ id: SessionStateMachine.RequestID) -> Cancelled? {
        if let index = userQueue.firstIndex(where: { $0.purpose.user == id }) {
            return .queued(userQueue.remove(at: index))
        }
        if let (key, outgoing) = inFlight.first(where: { $0.value.purpose.user == id }) {
            inFlight.removeValue(forKey: key)
            return .inFlight(outgoing)
        }
        return nil
    }

    /// The connection dropped: the requests in flight (returned, by `clientMsgId`) and the
    /// internal queue are dropped; the owner's queue waits for the next connection, but for its
    /// trading requests when `keepsTradingRequests` is `false`: they are removed and returned as
    /// `unsent`, in queue order.
    mutating func connectionLost(keepsTradingRequests: Bool) -> (inFlight: [Outgoing], unsent: [Outgoing]) {
        let lost = inFlight.values.sorted(by: { $0.clientMsgId < $1.clientMsgId })
        inFlight.removeAll()
        internalQueue.removeAll()
        var unsent: [Outgoing] = []
        if !keepsTradingRequests {
            userQueue.removeAll { outgoing in
                guard outgoing.isTrading else { return false }
                unsent.append(outgoing)
                return true
            }
        }
        return (lost, unsent)
    }

    /// Drops everything; returns the requests that were in flight (by `clientMsgId`) and the
    /// owner's queued requests (in order).
    mutating func removeAll() -> (inFlight: [Outgoing], queued: [Outgoing]) {
        let lost = inFlight.values.sorted(by: { $0.clientMsgId < $1.clientMsgId })
        let queued = userQueue
        inFlight.removeAll()
        userQueue.removeAll()
        internalQueue.removeAll()
        return (lost, queued)
    }

    // MARK: - Queries

    /// Whether a session request (no owner) is queued or in flight.
    var hasInternalPending: Bool {
        internalQueue.contains { $0.purpose.user == nil } || inFlight.values.contains { $0.purpose.user == nil }
    }

    /// The times that matter on an open connection: the deadlines of the requests in flight and of
    /// the internal queue, and the next send slot when a request waits for it (the internal queue's
    /// first; the owner's requests too when `userRequestsAllowed`).
    func connectedDeadlines(now: Duration, userRequestsAllowed: Bool) -> [Duration] {
        var deadlines: [Duration] = []
        deadlines.append(contentsOf: inFlight.values.map(\.deadline))
        deadlines.append(contentsOf: internalQueue.map(\.deadline))
        var waiting = internalQueue
        if userRequestsAllowed { waiting.append(contentsOf: userQueue) }
        if let slot = waiting.map({ slot(for: $0, now: now) }).min(), slot > now {
            deadlines.append(slot)
        }
        return deadlines
    }
}
