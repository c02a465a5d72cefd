// swift-ctrader: the cTrader Open API OAuth code flow.

/// A failure of the OAuth code flow (``CTraderOAuthClient``, ``CTraderLoopbackReceiver``,
/// ``CTraderLogin``), naming its cause. Its text never holds a token, a code or the secret.
public struct CTraderOAuthError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The token endpoint refused the client id or the client secret.
        public static let invalidClient = Code("invalidClient")
        /// The redirect URI is not one registered with the application, or not the one the code
        /// was issued for.
        public static let redirectURIMismatch = Code("redirectURIMismatch")
        /// The authorization code is expired (it lives about a minute), already used, or unknown
        /// (OAuth's `invalid_grant`).
        public static let invalidGrant = Code("invalidGrant")
        /// The refresh token is unknown or was already used (refresh tokens are single-use).
        public static let invalidRefreshToken = Code("invalidRefreshToken")
        /// The user (or the server, for a scope the application may not ask for) denied access.
        public static let accessDenied = Code("accessDenied")
        /// The redirect echoed a `state` other than the one sent: the answer is not ours.
        public static let stateMismatch = Code("stateMismatch")
        /// No code came back in time, or the token endpoint did not answer in time.
        public static let timedOut = Code("timedOut")
        /// The token endpoint refused the request for another reason (its `errorCode` is kept).
        public static let serverError = Code("serverError")
        /// The answer was not HTTP, too large, or not the documented JSON.
        public static let invalidResponse = Code("invalidResponse")
        /// A URL (authorization, token or redirect URI) is malformed or not allowed.
        public static let invalidURL = Code("invalidURL")
        /// Connecting to the token endpoint, or the loopback listener, failed (see ``reason``).
        public static let network = Code("network")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The server's `errorCode`, when it gave one.
    public var serverErrorCode: String?
    /// What went wrong, in words (the server's `description` when it gave one).
    public var reason: String

    /// Makes an error.
    public init(_ code: Code, serverErrorCode: String? = nil, reason: String) {
        self.code = code
        self.serverErrorCode = serverErrorCode
        self.reason = reason
    }

    /// `invalidGrant (INVALID_GRANT): Authorization code is expired`.
    public var description: String {
        if let serverErrorCode { return "\(code) (\(serverErrorCode)): \(reason)" }
        return "\(code): \(reason)"
    }

    /// Classifies a token endpoint's `errorCode` and `description`.
    ///
    /// cTrader's help ("Account authentication", help.ctrader.com/open-api/account-authentication)
    /// documents the answer's `errorCode` and `description` fields but not a list of codes, so the
    /// cause is read from words in both: the client (id or secret), the redirect URI, the code,
    /// the refresh token, a denial or the scope. The simulator's answers
    /// (`SimulatorAuthorizationServer`) use `INVALID_CLIENT`, `INVALID_REDIRECT_URI`,
    /// `INVALID_GRANT` and `ACCESS_DENIED`.
    ///
    /// - Parameters:
    ///   - errorCode: the answer's `errorCode`.
    ///   - description: the answer's `description`.
    ///   - refreshing: whether the request was a refresh (`grant_type=refresh_token`).
    public static func classify(errorCode: String, description: String, refreshing: Bool) -> CTraderOAuthError {
        let words = (errorCode + " " + description).lowercased()
        let code: Code
        if words.contains("redirect") {
            code = .redirectURIMismatch
        } else if words.contains("client") || words.contains("secret") {
            code = .invalidClient
        } else if words.contains("denied") || words.contains("scope") {
            code = .accessDenied
        } else if refreshing && (words.contains("refresh") || words.contains("grant") || words.contains("token")) {
            code = .invalidRefreshToken
        } else if !refreshing && (words.contains("code") || words.contains("grant") || words.contains("expired")) {
            code = .invalidGrant
        } else {
            code = .serverError
        }
        return CTraderOAuthError(
            code, serverErrorCode: errorCode, reason: description.isEmpty ? errorCode : description)
    }
}
