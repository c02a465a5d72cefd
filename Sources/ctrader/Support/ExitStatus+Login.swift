import CTraderAuth

/// The exit codes of `ctrader login` (and of the token endpoint's refusals).
extension ExitStatus {
    /// The token endpoint refused the client id or the client secret.
    static let invalidClient: Int32 = 10
    /// The redirect URI is not registered, or not the one the code was issued for.
    static let redirectURIMismatch: Int32 = 11
    /// The authorization code expired (it lives about a minute), was used, or is unknown.
    static let invalidCode: Int32 = 12
    /// Access was denied (by the user, or for the scope asked).
    static let accessDenied: Int32 = 13
    /// The redirect echoed another `state`: refused.
    static let stateMismatch: Int32 = 14

    /// The exit code and the one-line message of an OAuth failure.
    static func describe(_ error: CTraderOAuthError) -> (code: Int32, message: String) {
        let code: Int32
        let what: String
        switch error.code {
        case .invalidClient:
            (code, what) = (invalidClient, "the client id or the client secret is wrong")
        case .redirectURIMismatch:
            (code, what) = (redirectURIMismatch, "the redirect URI does not match one registered with the application")
        case .invalidGrant:
            (code, what) = (
                invalidCode, "the authorization code is expired, already used or unknown (run ctrader login again)"
            )
        case .accessDenied:
            (code, what) = (accessDenied, "access was denied")
        case .stateMismatch:
            (code, what) = (stateMismatch, "the redirect's state is not the one sent (refused)")
        case .invalidRefreshToken:
            (code, what) = (authentication, "the refresh token is spent or unknown (run ctrader login)")
        case .timedOut:
            (code, what) = (network, "timeout")
        case .network:
            (code, what) = (network, "network error")
        case .invalidURL:
            (code, what) = (usage, "invalid URL")
        default:
            (code, what) = (runtime, "login failed")
        }
        return (code, "\(what): \(error)")
    }
}
