// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

// Every server error code the session treats in its own way is named here, and classified by
// `SessionErrors.classify(_:)`; the rest of the session asks the classification.
extension SessionStateMachine {
    /// The server error codes that mean the application's credentials are wrong: permanent (the
    /// session fails with ``CTraderError/Code/authenticationFailed`` and does not reconnect).
    public static let clientAuthFailureCodes: Set<ErrorCode> = [
        .chClientAuthFailure, .chClientNotAuthenticated, .chOaClientNotFound,
    ]
    /// The server error codes that mean an access token is invalid or expired.
    public static let tokenInvalidCodes: Set<ErrorCode> = [.chAccessTokenInvalid, .oaAuthTokenExpired]
    /// The server error codes that slow the request queue down.
    public static let rateLimitCodes: Set<ErrorCode> = [.requestFrequencyExceeded, .blockedPayloadType]
    /// The server error codes that mean the server could not serve the request for now:
    /// `CANT_ROUTE_REQUEST`, `TIMEOUT_ERROR`, `CH_SERVER_NOT_REACHABLE` and
    /// `SERVER_IS_UNDER_MAINTENANCE` (retried not before its `maintenanceEndTimestamp`). A
    /// non-trading request refused so is retried (``CTraderRetryPolicy``); a trading request is not.
    public static let transientCodes: Set<ErrorCode> = [
        .cantRouteRequest, .timeoutError, .chServerNotReachable, .serverIsUnderMaintenance,
    ]
    /// The server error codes that mean an account cannot be authorized, whatever the retries: an
    /// unknown, deleted, disabled or not-authorized account. Permanent: the authorization fails at
    /// once.
    public static let accountRefusedCodes: Set<ErrorCode> = [
        .chCtidTraderAccountNotFound, .retNoSuchLogin, .retAccountDisabled, .accountNotAuthorized,
    ]
}

/// The errors the session reports, built from what failed and why. Pure functions.
enum SessionErrors {
    typealias Outgoing = RequestScheduler.Outgoing

    /// What a server error means to the session.
    enum Refusal: Hashable, Sendable {
        /// Over a rate limit (``SessionStateMachine/rateLimitCodes``): retry after `retryAfter`.
        case rateLimited
        /// The server cannot serve it for now (``SessionStateMachine/transientCodes``): retry with
        /// backoff, not before `maintenanceEnd` (Unix milliseconds) when it is given.
        case transient(maintenanceEnd: Int64?)
        /// The application's credentials are wrong (``SessionStateMachine/clientAuthFailureCodes``).
        case credentials
        /// The access token is invalid or expired (``SessionStateMachine/tokenInvalidCodes``).
        case tokenInvalid
        /// The account cannot be authorized (``SessionStateMachine/accountRefusedCodes``).
        case account
        /// Anything else (including a client-side error): the request fails with it.
        case other
    }

    /// What `error` means to the session: the one place where server error codes are classified.
    static func classify(_ error: CTraderError) -> Refusal {
        guard let code = error.errorCode, error.code == .serverError || error.code == .orderError else {
            return .other
        }
        if SessionStateMachine.rateLimitCodes.contains(code) { return .rateLimited }
        if SessionStateMachine.transientCodes.contains(code) {
            return .transient(maintenanceEnd: code == .serverIsUnderMaintenance ? error.maintenanceEndTimestamp : nil)
        }
        if SessionStateMachine.clientAuthFailureCodes.contains(code) { return .credentials }
        if SessionStateMachine.tokenInvalidCodes.contains(code) { return .tokenInvalid }
        if SessionStateMachine.accountRefusedCodes.contains(code) { return .account }
        return .other
    }

    /// The application's credentials were refused: permanent, the session gives up at once
    /// (code ``CTraderError/Code/authenticationFailed``; the server's code and text are kept).
    static func credentialsRefused(_ error: CTraderError) -> CTraderError {
        var permanent = error
        permanent.code = .authenticationFailed
        permanent.reason = Self.explained(
            error,
            "the application's credentials (clientId, clientSecret) were refused; this is permanent: "
                + "the session gives up and does not reconnect"
        )
        return permanent
    }

    /// Account `account` could not be authorized with `error`; a permanent cause (unknown or
    /// disabled account, an invalid token that cannot be refreshed) is named, and not retried.
    static func accountRefused(_ error: CTraderError, account: Int64) -> CTraderError {
        var failure = error
        failure.ctidTraderAccountId = account
        switch classify(error) {
        case .account:
            failure.reason = Self.explained(
                error, "account \(account) is unknown, disabled or not authorized for this application: not retried")
        case .tokenInvalid:
            failure.code = .authenticationFailed
            failure.reason = Self.explained(
                error,
                "the access token for account \(account) is invalid or expired and no refresh token could replace it: "
                    + "authorize again with new tokens")
        case .rateLimited, .transient, .credentials, .other:
            break
        }
        return failure
    }

    /// The server's text, then the session's explanation.
    private static func explained(_ error: CTraderError, _ explanation: String) -> String {
        let code = error.errorCode.map { "\($0): " } ?? ""
        return error.reason.isEmpty ? code + explanation : "\(error.reason) (\(code)\(explanation))"
    }

    /// A trading request made while the session reconnects: not queued for after the reconnect
    /// (an order sent late may no longer be wanted), so certainly not executed.
    static func notSentWhileReconnecting(_ message: any CTraderMessage) -> CTraderError {
        let payloadType = type(of: message).messagePayloadType
        return CTraderError(
            code: .notSent,
            reason: "\(payloadType) was made while the session was reconnecting: it was not sent, so it was certainly "
                + "not executed, and it is not sent after the reconnect; send it again once the session is ready "
                + "(or set resendsUnsentTradingRequests)",
            payloadType: payloadType,
            ctidTraderAccountId: accountId(of: message)
        )
    }

    /// Every request after ``SessionStateMachine/shutdown(now:)``.
    static let shutdown = CTraderError(code: .shutdown, reason: "the client was shut down")

    /// A request before ``SessionStateMachine/connect(_:now:)``.
    static let notConnected = CTraderError(code: .notConnected, reason: "connect() was not called")

    /// A request whose task was cancelled.
    static let cancelled = CTraderError(code: .cancelled, reason: "the request's task was cancelled")

    /// A request whose task was cancelled after it was sent: a trading request's outcome is
    /// unknown; another request is plainly cancelled.
    static func cancelledInFlight(_ outgoing: Outgoing) -> CTraderError {
        if outgoing.isTrading {
            return outcomeUnknown(outgoing, because: "its task was cancelled before the answer")
        }
        var error = cancelled
        error.payloadType = outgoing.payloadType
        error.clientMsgId = outgoing.clientMsgId
        return error
    }

    /// A trading request still queued when the connection ended: never written, so certainly not
    /// executed; it is not sent after the reconnect.
    static func notSent(_ outgoing: Outgoing, cause: CTraderError) -> CTraderError {
        let account = Self.accountId(of: outgoing.message)
        return CTraderError(
            code: .notSent,
            reason: "\(outgoing.payloadType) was still queued when the connection ended (\(cause.code)): it was never "
                + "sent, so it was certainly not executed, and it is not sent after the reconnect",
            payloadType: outgoing.payloadType,
            ctidTraderAccountId: account,
            underlying: cause
        )
    }

    /// A request refused because `waiting` requests are already queued.
    static func queueFull(waiting: Int, payloadType: PayloadType) -> CTraderError {
        CTraderError(
            code: .queueFull,
            reason: "\(waiting) requests are already waiting",
            payloadType: payloadType
        )
    }

    /// A queued request whose deadline came before it could be sent.
    static func neverSent(_ outgoing: Outgoing, requestTimeout: Duration) -> CTraderError {
        var error = CTraderError(
            code: .timeout,
            reason: "the request waited \(requestTimeout) and was never sent",
            payloadType: outgoing.payloadType
        )
        error.ctidTraderAccountId = Self.accountId(of: outgoing.message)
        return error
    }

    /// A connection that received nothing for `timeout`.
    static func deadConnection(after timeout: Duration) -> CTraderError {
        CTraderError(
            code: .connectionLost,
            reason: "nothing received for \(timeout): the connection is dead"
        )
    }

    /// A session request (authentication, restoration) left unanswered: the connection is given up.
    static func setupTimeout(_ outgoing: Outgoing) -> CTraderError {
        CTraderError(
            code: .timeout,
            reason: "no answer to \(outgoing.payloadType) during session setup",
            payloadType: outgoing.payloadType
        )
    }

    /// An answer of a type that does not answer the request.
    static func unexpectedResponse(_ payloadType: PayloadType, to outgoing: Outgoing) -> CTraderError {
        about(outgoing, code: .unexpectedResponse, reason: "\(payloadType) does not answer \(outgoing.payloadType)")
    }

    /// The session gave up reconnecting after `failures` failed attempts, the last with `error`.
    static func reconnectGaveUp(failures: Int, last error: CTraderError) -> CTraderError {
        var gaveUp = CTraderError(
            code: .reconnectGaveUp,
            reason: "gave up after \(failures) failed connection attempts; last: \(error)",
            underlying: error
        )
        gaveUp.errorCode = error.errorCode
        return gaveUp
    }

    /// A request sent and left unanswered past its deadline; a trading request's outcome is unknown.
    static func timeoutError(_ outgoing: Outgoing) -> CTraderError {
        if outgoing.isTrading {
            return outcomeUnknown(outgoing, because: "no answer arrived within its timeout")
        }
        return about(outgoing, code: .timeout, reason: "no answer to \(outgoing.payloadType) within its timeout")
    }

    /// A request in flight when the connection ended (or the session shut down or failed): a
    /// trading request's or a token refresh's outcome is unknown.
    static func lostError(_ outgoing: Outgoing, cause: CTraderError) -> CTraderError {
        if outgoing.isTrading {
            return outcomeUnknown(outgoing, because: "the connection ended (\(cause.code)) before its answer")
        }
        if outgoing.payloadType == .protoOaRefreshTokenReq {
            return refreshOutcomeUnknown(outgoing, cause: cause)
        }
        var error = about(
            outgoing,
            code: cause.code == .shutdown ? .shutdown : .connectionLost,
            reason: "the connection ended before the answer to \(outgoing.payloadType): \(cause.reason)",
            underlying: cause
        )
        error.errorCode = cause.errorCode
        return error
    }

    /// A token refresh (2173) whose answer was lost: the server may have consumed the single-use
    /// refresh token, and the new pair is gone with the connection.
    static func refreshOutcomeUnknown(_ outgoing: Outgoing, cause: CTraderError) -> CTraderError {
        var account: Int64?
        if case .tokenRefresh(let id, _) = outgoing.purpose { account = id }
        var error = CTraderError(
            code: .outcomeUnknown,
            reason:
                "ProtoOARefreshTokenReq (2173, clientMsgId \(outgoing.clientMsgId)) was sent but the connection ended "
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

    /// A trading request whose outcome is unknown: it is not re-sent; reconciling tells what happened.
    static func outcomeUnknown(_ outgoing: Outgoing, because reason: String) -> CTraderError {
        let account = Self.accountId(of: outgoing.message)
        return about(
            outgoing,
            code: .outcomeUnknown,
            reason: "\(outgoing.payloadType) (clientMsgId \(outgoing.clientMsgId)) was sent but "
                + "\(reason); it may or may not have been executed and is NOT re-sent. Send ProtoOAReconcileReq (2124)"
                + (account.map { " for account \($0)" } ?? "") + " to learn the open orders and positions.",
            ctidTraderAccountId: account
        )
    }

    /// An error about the request `outgoing`, naming its payload type and clientMsgId.
    private static func about(
        _ outgoing: Outgoing, code: CTraderError.Code, reason: String,
        ctidTraderAccountId: Int64? = nil, underlying: (any Error & Sendable)? = nil
    ) -> CTraderError {
        var error = CTraderError(
            code: code, reason: reason, payloadType: outgoing.payloadType,
            ctidTraderAccountId: ctidTraderAccountId, underlying: underlying
        )
        error.clientMsgId = outgoing.clientMsgId
        return error
    }

    /// The account a request names, for the messages whose account matters to the session.
    static func accountId(of message: any CTraderMessage) -> Int64? {
        guard message is any TradingRequest || message is ProtoOAAccountAuthReq else { return nil }
        return (message as? any AccountScopedMessage)?.accountId
    }
}
