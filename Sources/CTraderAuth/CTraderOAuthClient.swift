// swift-ctrader: the cTrader Open API OAuth code flow.

public import CTraderSession
public import Foundation
public import Logging

/// What an access token may do: cTrader's `scope` parameter of the authorization URL.
public enum CTraderOAuthScope: String, Sendable, Hashable, CaseIterable {
    /// Read the accounts (`SCOPE_VIEW`).
    case accounts
    /// Read and trade (`SCOPE_TRADE`).
    case trading
}

/// Where and as whom the code flow runs.
public struct CTraderOAuthConfiguration: Sendable {
    /// cTrader's authorization page ("Account authentication", help.ctrader.com/open-api).
    public static let cTraderAuthorizationURL = "https://id.ctrader.com/my/settings/openapi/grantingaccess/"
    /// cTrader's token endpoint (the code exchange and the refresh).
    public static let cTraderTokenURL = "https://openapi.ctrader.com/apps/token"
    /// The CLI's default redirect URI; register it with the application (Open API portal) to use it.
    public static let defaultRedirectURI = "http://127.0.0.1:5005/callback"

    /// The application's client id and secret.
    public var credentials: CTraderCredentials
    /// The redirect URI, exactly as registered with the application.
    public var redirectURI: String
    /// The authorization page; default ``cTraderAuthorizationURL``.
    public var authorizationURL: String
    /// The token endpoint; default ``cTraderTokenURL``.
    public var tokenURL: String
    /// The HTTPS client's TLS and limits.
    public var http: CTraderHTTPClient.Configuration

    /// Makes a configuration.
    public init(
        credentials: CTraderCredentials,
        redirectURI: String = defaultRedirectURI,
        authorizationURL: String = cTraderAuthorizationURL,
        tokenURL: String = cTraderTokenURL,
        http: CTraderHTTPClient.Configuration = .init()
    ) {
        self.credentials = credentials
        self.redirectURI = redirectURI
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.http = http
    }
}

/// The token endpoint's answer: the pair, and when it expires.
public struct CTraderOAuthTokens: Sendable, Hashable, CustomStringConvertible {
    /// The pair (its `ctidTraderAccountId` is `nil`: a token belongs to a user).
    public var pair: CTraderTokenPair
    /// The token type the server named (`bearer`).
    public var tokenType: String
    /// When the answer was read.
    public var obtainedAt: Date
    /// The scope, when the server named it.
    public var scope: String?

    /// When the access token expires: ``obtainedAt`` plus `expiresIn`.
    public var expiresAt: Date { obtainedAt.addingTimeInterval(TimeInterval(pair.expiresIn)) }

    /// Redacted.
    public var description: String {
        "CTraderOAuthTokens(\(pair), tokenType: \(tokenType), scope: \(scope ?? "-"))"
    }
}

/// The OAuth 2.0 code flow's HTTP side: the authorization URL, the code exchange and the refresh
/// (`GET /apps/token`), over ``CTraderHTTPClient``.
///
/// cTrader's help ("Account authentication"): the authorization page takes `client_id`,
/// `redirect_uri` and `scope`; the code it redirects with lives about a minute; the token endpoint
/// takes `grant_type=authorization_code` with `code`, `redirect_uri`, `client_id` and
/// `client_secret`, or `grant_type=refresh_token` with `refresh_token`, `client_id` and
/// `client_secret`; it answers `accessToken`, `tokenType`, `expiresIn` (2 628 000 s, about 30
/// days) and `refreshToken`, or `errorCode` and `description`. Refresh tokens are single-use.
public struct CTraderOAuthClient: Sendable {
    /// The configuration.
    public var configuration: CTraderOAuthConfiguration
    private let http: CTraderHTTPClient
    private let now: @Sendable () -> Date

    /// Makes a client; `logger` gets `trace` lines without secrets. `now` stamps
    /// ``CTraderOAuthTokens/obtainedAt``.
    public init(
        configuration: CTraderOAuthConfiguration,
        logger: Logger = Logger(label: "ctrader.oauth"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.http = CTraderHTTPClient(configuration: configuration.http, logger: logger)
        self.now = now
    }

    /// A fresh random `state` (128 bits, hex).
    public static func makeState() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let text = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }

    /// The authorization page's URL for `scope`, with `state` (checked when echoed back).
    ///
    /// - Parameters:
    ///   - scope: the scope to ask for.
    ///   - state: the `state` to send (``makeState()``).
    ///   - redirectURI: the redirect URI to name; default the configuration's.
    /// - Throws: ``CTraderOAuthError/Code/invalidURL`` for a malformed authorization URL.
    public func authorizationURL(scope: CTraderOAuthScope, state: String, redirectURI: String? = nil) throws -> String {
        try CTraderHTTPURL(parsing: configuration.authorizationURL).adding([
            ("client_id", configuration.credentials.clientId),
            ("redirect_uri", redirectURI ?? configuration.redirectURI),
            ("scope", scope.rawValue),
            ("state", state),
        ]).description
    }

    /// Exchanges an authorization code for a token pair (do it at once: the code lives about a
    /// minute).
    ///
    /// - Parameters:
    ///   - code: the code the redirect carried.
    ///   - redirectURI: the redirect URI the code was issued for; default the configuration's.
    /// - Throws: ``CTraderOAuthError`` naming the cause (``CTraderOAuthError/Code/invalidGrant``,
    ///   ``CTraderOAuthError/Code/invalidClient``, ``CTraderOAuthError/Code/redirectURIMismatch`` …).
    public func exchange(code: String, redirectURI: String? = nil) async throws -> CTraderOAuthTokens {
        try await token(
            [
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirectURI ?? configuration.redirectURI),
                ("client_id", configuration.credentials.clientId),
                ("client_secret", configuration.credentials.clientSecret.value),
            ], refreshing: false)
    }

    /// Exchanges a refresh token for a new pair. The old refresh token is spent, whatever happens
    /// next: save the new pair before using it (``refresh(in:account:)`` does).
    ///
    /// - Throws: ``CTraderOAuthError`` (``CTraderOAuthError/Code/invalidRefreshToken`` for a used
    ///   or unknown one).
    public func refresh(_ refreshToken: String) async throws -> CTraderOAuthTokens {
        try await token(
            [
                ("grant_type", "refresh_token"),
                ("refresh_token", refreshToken),
                ("client_id", configuration.credentials.clientId),
                ("client_secret", configuration.credentials.clientSecret.value),
            ], refreshing: true)
    }

    /// Refreshes the newest pair of `store` and saves the new one there before returning it.
    ///
    /// - Throws: ``CTraderOAuthError``; `store`'s errors (the new pair is then lost: its refresh
    ///   token was spent); ``CTraderOAuthError/Code/invalidRefreshToken`` when the store holds none.
    public func refresh(in store: any CTraderTokenStore, account: Int64? = nil) async throws -> CTraderOAuthTokens {
        guard let pair = try await store.newestPair(account: account) else {
            throw CTraderOAuthError(.invalidRefreshToken, reason: "the token store holds no pair to refresh")
        }
        var tokens = try await refresh(pair.refreshToken.value)
        tokens.pair.ctidTraderAccountId = pair.ctidTraderAccountId
        try await store.save(tokens.pair)
        return tokens
    }

    private func token(_ items: [(String, String)], refreshing: Bool) async throws -> CTraderOAuthTokens {
        let url = try CTraderHTTPURL(parsing: configuration.tokenURL).adding(items)
        let response = try await http.get(url.description)
        return try Self.parse(response, refreshing: refreshing, obtainedAt: now())
    }

    /// Reads the token endpoint's JSON answer.
    static func parse(
        _ response: CTraderHTTPClient.Response, refreshing: Bool, obtainedAt: Date
    ) throws
        -> CTraderOAuthTokens
    {
        // No decoding details in errors: they could quote a token.
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw CTraderOAuthError(
                .invalidResponse, reason: "the token endpoint answered HTTP \(response.status) without a JSON object")
        }
        if let errorCode = object["errorCode"] as? String, !errorCode.isEmpty {
            throw CTraderOAuthError.classify(
                errorCode: errorCode, description: object["description"] as? String ?? "", refreshing: refreshing)
        }
        guard let accessToken = object["accessToken"] as? String, !accessToken.isEmpty,
            let refreshToken = object["refreshToken"] as? String, !refreshToken.isEmpty,
            let expiresIn = (object["expiresIn"] as? NSNumber)?.int64Value
        else {
            throw CTraderOAuthError(
                .invalidResponse,
                reason:
                    "the token endpoint answered HTTP \(response.status) without accessToken, refreshToken and expiresIn"
            )
        }
        return CTraderOAuthTokens(
            pair: CTraderTokenPair(
                ctidTraderAccountId: nil, accessToken: accessToken, refreshToken: refreshToken, expiresIn: expiresIn),
            tokenType: object["tokenType"] as? String ?? "bearer",
            obtainedAt: obtainedAt,
            scope: object["scope"] as? String
        )
    }
}
