// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    mutating func applicationAuth(
        _ req: ProtoOAApplicationAuthReq, id: SimulatorConnectionID, msgId: String?, out: inout Outbox
    ) {
        if connections[id]?.applicationAuthorized == true {
            out.send(
                id,
                errorRes(
                    .chClientAlreadyAuthenticated, "Open API application is already authorized in this channel",
                    msgId: msgId))
            return
        }
        guard
            configuration.identity.applications.contains(where: {
                $0.clientId == req.clientID && $0.clientSecret == req.clientSecret
            })
        else {
            out.send(id, errorRes(.chClientAuthFailure, "clientId or clientSecret is incorrect", msgId: msgId))
            return
        }
        connections[id]?.applicationAuthorized = true
        out.send(id, Envelope(ProtoOAApplicationAuthRes(), clientMsgId: msgId))
    }

    /// The token with this access token, if it is valid at `now`; otherwise the error to send.
    func validToken(_ accessToken: String, now: Int64) -> Result<SimulatorIdentity.Token, TokenError> {
        guard let token = tokens.first(where: { $0.accessToken == accessToken }) else {
            return .failure(TokenError(description: "Invalid access token"))
        }
        if revokedAccessTokens.contains(accessToken) {
            return .failure(TokenError(description: "Access token was invalidated"))
        }
        if let expiry = token.expiresAt, now >= expiry {
            return .failure(TokenError(description: "Access token expired"))
        }
        return .success(token)
    }

    struct TokenError: Error {
        var description: String
    }

    mutating func accountList(
        _ req: ProtoOAGetAccountListByAccessTokenReq, id: SimulatorConnectionID, msgId: String?, now: Int64,
        out: inout Outbox
    ) {
        switch validToken(req.accessToken, now: now) {
        case .failure(let error):
            out.send(id, errorRes(.chAccessTokenInvalid, error.description, msgId: msgId))
        case .success(let token):
            var res = ProtoOAGetAccountListByAccessTokenRes()
            res.accessToken = token.accessToken
            res.permissionScope = token.canTrade ? .scopeTrade : .scopeView
            for accountId in token.accountIds {
                guard let account = accounts[accountId]?.account else { continue }
                var entry = ProtoOACtidTraderAccount()
                entry.ctidTraderAccountID = UInt64(account.ctidTraderAccountId)
                entry.isLive = account.isLive
                entry.traderLogin = account.traderLogin
                entry.brokerTitleShort = account.brokerName
                res.ctidTraderAccount.append(entry)
            }
            out.send(id, Envelope(res, clientMsgId: msgId))
        }
    }

    mutating func refreshToken(
        _ req: ProtoOARefreshTokenReq, id: SimulatorConnectionID, msgId: String?, now: Int64, out: inout Outbox
    ) {
        guard !usedRefreshTokens.contains(req.refreshToken),
            let index = tokens.firstIndex(where: { $0.refreshToken == req.refreshToken })
        else {
            out.send(id, errorRes(.chAccessTokenInvalid, "Invalid refresh token", msgId: msgId))
            return
        }
        tokenGeneration += 1
        let old = tokens[index]
        usedRefreshTokens.insert(old.refreshToken)
        let lifetime = configuration.refreshedTokenLifetime.milliseconds
        let fresh = SimulatorIdentity.Token(
            accessToken: "\(SimulatorIdentity.demoAccessToken)-\(tokenGeneration)-\(configuration.seed)",
            refreshToken: "\(SimulatorIdentity.demoRefreshToken)-\(tokenGeneration)-\(configuration.seed)",
            accountIds: old.accountIds,
            expiresAt: now + lifetime,
            canTrade: old.canTrade
        )
        // The old access token stops working; sessions already authorized with it stay authorized.
        tokens[index] = fresh
        var res = ProtoOARefreshTokenRes()
        res.accessToken = fresh.accessToken
        res.refreshToken = fresh.refreshToken
        res.tokenType = "bearer"
        res.expiresIn = lifetime / 1_000
        out.send(id, Envelope(res, clientMsgId: msgId))
    }

    mutating func accountAuth(
        _ req: ProtoOAAccountAuthReq, id: SimulatorConnectionID, msgId: String?, now: Int64, out: inout Outbox
    ) {
        let accountId = req.ctidTraderAccountID
        if connections[id]?.authorizedAccounts.contains(accountId) == true {
            out.send(
                id,
                errorRes(
                    .alreadyLoggedIn, "Trading account is already authorized in this channel", msgId: msgId,
                    account: accountId))
            return
        }
        let token: SimulatorIdentity.Token
        if revokedAccessTokens.contains(req.accessToken) { revokedTokenUses += 1 }
        switch validToken(req.accessToken, now: now) {
        case .failure(let error):
            out.send(id, errorRes(.chAccessTokenInvalid, error.description, msgId: msgId, account: accountId))
            return
        case .success(let found):
            token = found
        }
        guard accounts[accountId] != nil else {
            out.send(
                id,
                errorRes(.chCtidTraderAccountNotFound, "Trading account is not found", msgId: msgId, account: accountId)
            )
            return
        }
        guard token.accountIds.contains(accountId) else {
            out.send(
                id,
                errorRes(
                    .chAccessTokenInvalid, "Access token does not grant access to trading account \(accountId)",
                    msgId: msgId, account: accountId))
            return
        }
        connections[id]?.authorizedAccounts.insert(accountId)
        var res = ProtoOAAccountAuthRes()
        res.ctidTraderAccountID = accountId
        out.send(id, Envelope(res, clientMsgId: msgId))
    }

    mutating func logout(_ request: Request, out: inout Outbox) {
        let id = request.connection
        connections[id]?.authorizedAccounts.remove(request.accountId)
        connections[id]?.spots[request.accountId] = nil
        connections[id]?.depth[request.accountId] = nil
        connections[id]?.liveTrendbars[request.accountId] = nil
        var res = ProtoOAAccountLogoutRes()
        res.ctidTraderAccountID = request.accountId
        out.send(id, Envelope(res, clientMsgId: request.clientMsgId))
        var event = ProtoOAAccountDisconnectEvent()
        event.ctidTraderAccountID = request.accountId
        out.send(id, Envelope(event))
    }

    mutating func trader(_ request: Request, out: inout Outbox) {
        guard let state = accounts[request.accountId] else { return }
        var res = ProtoOATraderRes()
        res.ctidTraderAccountID = request.accountId
        res.trader = state.trader
        out.send(request.connection, Envelope(res, clientMsgId: request.clientMsgId))
    }
}
