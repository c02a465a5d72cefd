// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

extension CTraderClient {
    /// The token pair to start with for `account`, from ``CTraderClientConfiguration/tokenStorage``
    /// (its ``CTraderTokenStore/newestPair(account:)``): `nil` without a storage, or when it holds
    /// no pair.
    ///
    /// A refresh token is single-use, so a pair a store saved is newer than tokens an application
    /// was started with: a session started from the store's pair does not send a spent refresh
    /// token.
    ///
    /// - Parameter account: the account to authorize; `nil` when it is not known yet (to list the
    ///   accounts of the stored access token with ``accounts(accessToken:timeout:)``).
    /// - Throws: ``CTraderError`` with ``CTraderError/Code/tokenStoreFailed`` when the store fails
    ///   to load (its error is the ``CTraderError/underlying`` error).
    public nonisolated func storedTokens(account: Int64?) async throws -> CTraderTokenPair? {
        guard let storage = configuration.tokenStorage else { return nil }
        do {
            return try await storage.newestPair(account: account)
        } catch {
            throw CTraderError(
                code: .tokenStoreFailed,
                reason: "loading the stored token pair failed (\(error))",
                ctidTraderAccountId: account,
                underlying: error
            )
        }
    }

    /// Authorizes `account` (as ``authorize(account:accessToken:refreshToken:timeout:)``) with
    /// the pair ``storedTokens(account:)`` finds, or, when the store holds none, with
    /// `accessToken` and `refreshToken`. A stored pair wins over the tokens given: those are
    /// neither sent nor kept.
    ///
    /// - Throws: ``CTraderError``: ``CTraderError/Code/authenticationFailed`` when the store holds
    ///   no pair and no access token is given, ``CTraderError/Code/tokenStoreFailed`` when the
    ///   store fails to load; others as ``authorize(account:accessToken:refreshToken:timeout:)``.
    @discardableResult
    public func authorizeWithStoredTokens(
        account: Int64,
        accessToken: String? = nil,
        refreshToken: String? = nil,
        timeout: Duration? = nil
    ) async throws -> ProtoOAAccountAuthRes {
        if let stored = try await storedTokens(account: account) {
            return try await authorize(
                account: account,
                accessToken: stored.accessToken.value,
                refreshToken: stored.refreshToken.value,
                timeout: timeout
            )
        }
        guard let accessToken else {
            throw CTraderError(
                code: .authenticationFailed,
                reason: "no stored token pair and no access token for account \(account)",
                payloadType: .protoOaAccountAuthReq,
                ctidTraderAccountId: account
            )
        }
        return try await authorize(
            account: account, accessToken: accessToken, refreshToken: refreshToken, timeout: timeout)
    }
}
