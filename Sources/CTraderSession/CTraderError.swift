// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

/// Every failure the session reports: a server error (`ProtoOAErrorRes` 2142, `ProtoErrorRes` 50,
/// `ProtoOAOrderErrorEvent` 2132), a lost connection, a timeout, a full queue, a permanent
/// authentication failure, a reconnect that gave up.
///
/// An open struct: match on ``code`` (`error.code == .connectionLost`), and for server errors on
/// ``errorCode`` (`.chClientAuthFailure`, `.alreadyLoggedIn`, `.requestFrequencyExceeded` …, an open
/// `ErrorCode` that also compares with a string literal: `error.errorCode == "ALREADY_LOGGED_IN"`).
/// Equality compares ``code`` and ``errorCode`` only.
public struct CTraderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The server answered with `ProtoOAErrorRes` (2142) or `ProtoErrorRes` (50); see
        /// ``CTraderError/errorCode``.
        public static let serverError = Code("serverError")
        /// The server answered a trading request with `ProtoOAOrderErrorEvent` (2132).
        public static let orderError = Code("orderError")
        /// The client credentials or an access token were refused (`CH_CLIENT_AUTH_FAILURE`,
        /// `CH_ACCESS_TOKEN_INVALID` after a refresh attempt …). Permanent: no reconnect follows.
        public static let authenticationFailed = Code("authenticationFailed")
        /// The connection dropped while the request was in flight. The request was not a trading
        /// request, so sending it again is safe.
        public static let connectionLost = Code("connectionLost")
        /// The connection dropped (or the request timed out) while a trading request (2106,
        /// 2108–2111) was in flight: it may or may not have been executed. It is never re-sent;
        /// send `ProtoOAReconcileReq` (2124) to learn the account's orders and positions.
        ///
        /// Also a token refresh (`ProtoOARefreshTokenReq`, 2173, sent by
        /// ``CTraderClient/refreshToken(_:timeout:)`` or by ``CTraderClient/authorize(account:accessToken:refreshToken:timeout:)``)
        /// whose connection dropped before the answer: the server may have consumed the single-use
        /// refresh token, so it may be spent and the new pair lost; the reason says so.
        public static let outcomeUnknown = Code("outcomeUnknown")
        /// No answer arrived within the request's timeout.
        public static let timeout = Code("timeout")
        /// The request queue behind the rate limiter is full.
        public static let queueFull = Code("queueFull")
        /// A stream's buffer overflowed for a message kind that is never dropped (executions,
        /// order errors): the stream ends with this error.
        public static let streamOverflow = Code("streamOverflow")
        /// A second task called `next()` on a stream while another was waiting for its next
        /// event: a ``CTraderEventStream`` has one consumer. The waiting consumer is unaffected.
        public static let alreadyConsumed = Code("alreadyConsumed")
        /// Reconnecting failed the configured number of times.
        public static let reconnectGaveUp = Code("reconnectGaveUp")
        /// The client is not connected (``CTraderClient/connect()`` not called, or it failed).
        public static let notConnected = Code("notConnected")
        /// The client was shut down.
        public static let shutdown = Code("shutdown")
        /// The server answered with a message that does not fit the request.
        public static let unexpectedResponse = Code("unexpectedResponse")
        /// Opening the connection failed (transport, TLS or WebSocket handshake).
        public static let connectionFailed = Code("connectionFailed")
        /// The request was cancelled by its task before it was sent. (A trading request cancelled
        /// after it was sent fails with ``outcomeUnknown`` instead: it may have been executed.)
        public static let cancelled = Code("cancelled")
        /// A refreshed token pair could not be saved in the ``CTraderTokenStore``, so it was not
        /// used: the account is not authorized. The old refresh token is spent; the reason names
        /// the store's error (never a token).
        public static let tokenStoreFailed = Code("tokenStoreFailed")
        /// A trading request (2106, 2108–2111) still queued, never written, when the connection
        /// dropped: it was certainly not executed, and it is not sent after the reconnect (unless
        /// ``SessionStateMachine/Configuration/resendsUnsentTradingRequests`` is set). Sending it
        /// again is safe.
        public static let notSent = Code("notSent")
        /// The server ended the connection with `ProtoOAClientDisconnectEvent` (2148); the
        /// ``CTraderError/underlying`` error is a ``CTraderServerDisconnect`` with its reason. The
        /// reconnect policy applies.
        public static let disconnectedByServer = Code("disconnectedByServer")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The server's error code, e.g. `ErrorCode.chClientAuthFailure`; `nil` for client-side
    /// failures.
    public var errorCode: ErrorCode?
    /// A human-readable explanation (the server's `description`, or the client's).
    public var reason: String
    /// The payload type of the request that failed, when there is one.
    public var payloadType: PayloadType?
    /// The account the error concerns, when known.
    public var ctidTraderAccountId: Int64?
    /// The `clientMsgId` of the request that failed, when it was sent.
    public var clientMsgId: String?
    /// The end of a maintenance window, in milliseconds since the epoch (server errors only).
    public var maintenanceEndTimestamp: Int64?
    /// How long the server asks the client to wait before sending again, in seconds.
    public var retryAfter: UInt64?
    /// The order error event itself, for ``Code/orderError``.
    public var orderError: ProtoOAOrderErrorEvent?
    /// The underlying failure (a transport or WebSocket error), when there is one.
    public var underlying: (any Error & Sendable)?

    /// Makes an error.
    public init(
        code: Code,
        reason: String,
        errorCode: ErrorCode? = nil,
        payloadType: PayloadType? = nil,
        ctidTraderAccountId: Int64? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.reason = reason
        self.errorCode = errorCode
        self.payloadType = payloadType
        self.ctidTraderAccountId = ctidTraderAccountId
        self.underlying = underlying
    }

    /// The error a server error response carries, for a request of `payloadType`; `nil` when
    /// `envelope` is not `ProtoOAErrorRes` or `ProtoErrorRes`.
    public init?(serverResponse envelope: Envelope, requestPayloadType: PayloadType?) {
        if let error = envelope.message(as: ProtoOAErrorRes.self) {
            self.init(
                code: .serverError,
                reason: error.description_p,
                errorCode: ErrorCode(rawValue: error.errorCode),
                payloadType: requestPayloadType,
                ctidTraderAccountId: error.hasCtidTraderAccountID ? error.ctidTraderAccountID : nil
            )
            maintenanceEndTimestamp = error.hasMaintenanceEndTimestamp ? error.maintenanceEndTimestamp : nil
            retryAfter = error.hasRetryAfter ? error.retryAfter : nil
        } else if let error = envelope.message(as: ProtoErrorRes.self) {
            self.init(
                code: .serverError,
                reason: error.description_p,
                errorCode: ErrorCode(rawValue: error.errorCode),
                payloadType: requestPayloadType
            )
            maintenanceEndTimestamp =
                error.hasMaintenanceEndTimestamp ? Int64(clamping: error.maintenanceEndTimestamp) : nil
        } else if let error = envelope.message(as: ProtoOAOrderErrorEvent.self) {
            self.init(
                code: .orderError,
                reason: error.description_p,
                errorCode: ErrorCode(rawValue: error.errorCode),
                payloadType: requestPayloadType,
                ctidTraderAccountId: error.ctidTraderAccountID
            )
            orderError = error
        } else {
            return nil
        }
    }

    /// Whether the error is a permanent authentication failure of the application's credentials
    /// or of an access token.
    public var isAuthenticationFailure: Bool {
        code == .authenticationFailed
    }

    /// The code, the server's error code and the reason.
    public var description: String {
        var text = "\(code)"
        if let errorCode { text += " \(errorCode)" }
        if let payloadType { text += " (request \(payloadType))" }
        if !reason.isEmpty { text += ": \(reason)" }
        return text
    }

    /// Compares ``code`` and ``errorCode``.
    public static func == (lhs: CTraderError, rhs: CTraderError) -> Bool {
        lhs.code == rhs.code && lhs.errorCode == rhs.errorCode
    }

    /// Hashes ``code`` and ``errorCode``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(errorCode)
    }
}
