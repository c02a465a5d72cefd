// swift-ctrader: the local cTrader-compatible simulator.

extension SimulatorEngine {
    /// Issues a token pair for the simulated user (the accounts of the identity's first token):
    /// what the authorization server's code exchange returns. It works on the WebSocket side at once.
    mutating func issueOAuthToken(canTrade: Bool, lifetime: Duration, now: Int64) -> SimulatorIdentity.Token {
        let accountIds =
            configuration.identity.tokens.first?.accountIds
            ?? configuration.identity.accounts.map(\.ctidTraderAccountId)
        let token = SimulatorIdentity.Token(
            accessToken: Self.randomTokenText(), refreshToken: Self.randomTokenText(), accountIds: accountIds,
            expiresAt: now + lifetime.milliseconds, canTrade: canTrade)
        tokens.append(token)
        return token
    }

    /// Exchanges a refresh token for a new pair, as `ProtoOARefreshTokenReq` does: the refresh
    /// token is spent, and the old access token stops working; `nil` for a spent or unknown one.
    mutating func refreshOAuthToken(_ refreshToken: String, lifetime: Duration, now: Int64) -> SimulatorIdentity.Token?
    {
        guard !usedRefreshTokens.contains(refreshToken),
            let index = tokens.firstIndex(where: { $0.refreshToken == refreshToken })
        else { return nil }
        usedRefreshTokens.insert(refreshToken)
        let old = tokens[index]
        let fresh = SimulatorIdentity.Token(
            accessToken: Self.randomTokenText(), refreshToken: Self.randomTokenText(), accountIds: old.accountIds,
            expiresAt: now + lifetime.milliseconds, canTrade: old.canTrade)
        tokens[index] = fresh
        return fresh
    }

    /// 32 random hexadecimal characters.
    static func randomTokenText() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let text = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
