// swift-ctrader: the cTrader Open API session layer.

/// Where the session keeps token pairs, written through: the session saves a refreshed pair and
/// waits for ``save(_:)`` to return before it uses the new access token. Refresh tokens are
/// single-use, so a pair that was not saved must not be used: a crash after the use would lose
/// the only valid refresh token.
///
/// ``CTraderFileTokenStore`` is the built-in store (a JSON file, replaced atomically). An
/// implementation must never log or throw errors that carry a token's value.
public protocol CTraderTokenStore: Sendable {
    /// The pair saved last for `account` (`nil`: a pair refreshed by
    /// ``CTraderClient/refreshToken(_:timeout:)``, not for an account), or `nil` when none was.
    func load(account: Int64?) async throws -> CTraderTokenPair?

    /// Saves `pair`, replacing the one saved for its account; returns once the pair is durable.
    /// Throwing means the pair was not saved: the session does not use it.
    func save(_ pair: CTraderTokenPair) async throws

    /// The pair to start a session with for `account` (`nil`: an account not known yet): the
    /// newest pair the store holds that may grant it. ``CTraderClient/storedTokens(account:)`` and
    /// ``CTraderClient/authorizeWithStoredTokens(account:accessToken:refreshToken:timeout:)`` use it.
    ///
    /// The default: the pair saved for `account`, else the one saved for no account.
    func newestPair(account: Int64?) async throws -> CTraderTokenPair?
}

extension CTraderTokenStore {
    /// The pair saved for `account`, else the one saved for no account
    /// (``CTraderClient/refreshToken(_:timeout:)``'s).
    public func newestPair(account: Int64?) async throws -> CTraderTokenPair? {
        if let account, let pair = try await load(account: account) { return pair }
        return try await load(account: nil)
    }
}

/// The ``CTraderClientConfiguration/tokenStore`` closure as a ``CTraderTokenStore``: it saves by
/// calling the closure (which cannot fail) and loads nothing.
struct ClosureTokenStore: CTraderTokenStore {
    let store: @Sendable (CTraderTokenPair) async -> Void

    func load(account: Int64?) async throws -> CTraderTokenPair? { nil }

    func save(_ pair: CTraderTokenPair) async throws { await store(pair) }
}
