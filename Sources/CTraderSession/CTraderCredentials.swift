// swift-ctrader: the cTrader Open API session layer.

/// A secret string (client secret, access or refresh token) that never prints itself.
///
/// Its `description` is a redacted form, the first four characters and the length, e.g.
/// `abcd…(32 chars)`, so that logging a configuration or a credential leaks nothing usable.
public struct CTraderSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    ExpressibleByStringLiteral
{
    /// The secret itself. Never log it.
    public let value: String

    /// Wraps a secret.
    public init(_ value: String) {
        self.value = value
    }

    /// Wraps a literal secret (tests and examples).
    public init(stringLiteral value: String) {
        self.value = value
    }

    /// The redacted form: `abcd…(32 chars)`; secrets of eight characters or fewer show nothing.
    public var redacted: String {
        let count = value.count
        guard count > 8 else { return "…(\(count) chars)" }
        return "\(value.prefix(4))…(\(count) chars)"
    }

    /// The redacted form.
    public var description: String { redacted }

    /// The redacted form.
    public var debugDescription: String { redacted }
}

/// The application's credentials from the Open API portal.
public struct CTraderCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The application's client id (not secret, but shown redacted too).
    public var clientId: String
    /// The application's client secret.
    public var clientSecret: CTraderSecret

    /// Makes credentials.
    public init(clientId: String, clientSecret: String) {
        self.clientId = clientId
        self.clientSecret = CTraderSecret(clientSecret)
    }

    /// Both values redacted.
    public var description: String {
        "CTraderCredentials(clientId: \(CTraderSecret(clientId).redacted), clientSecret: \(clientSecret.redacted))"
    }
}

/// A new access token and the refresh token that goes with it, as returned by
/// `ProtoOARefreshTokenRes`. Refresh tokens are single-use: store the pair as soon as it arrives.
public struct CTraderTokenPair: Sendable, Hashable, CustomStringConvertible {
    /// The account the tokens were refreshed for, when the refresh was made for one.
    public var ctidTraderAccountId: Int64?
    /// The new access token.
    public var accessToken: CTraderSecret
    /// The new refresh token (the old one is no longer valid).
    public var refreshToken: CTraderSecret
    /// The access token's lifetime in seconds, as the server gave it.
    public var expiresIn: Int64

    /// Makes a token pair.
    public init(ctidTraderAccountId: Int64?, accessToken: String, refreshToken: String, expiresIn: Int64) {
        self.ctidTraderAccountId = ctidTraderAccountId
        self.accessToken = CTraderSecret(accessToken)
        self.refreshToken = CTraderSecret(refreshToken)
        self.expiresIn = expiresIn
    }

    /// Redacted.
    public var description: String {
        "CTraderTokenPair(account: \(ctidTraderAccountId.map(String.init) ?? "-"), accessToken: \(accessToken), refreshToken: \(refreshToken), expiresIn: \(expiresIn))"
    }
}
