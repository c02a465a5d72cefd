// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    /// Invalidates the access tokens that grant any of `accountIds`, as the server does when a
    /// user revokes access: those tokens are refused from then on (their refresh tokens still
    /// work), and every connection with one of these accounts authorized loses it (and its
    /// subscriptions) and gets `ProtoOAAccountsTokenInvalidatedEvent` (2147) naming them.
    public mutating func invalidateTokens(of accountIds: [Int64], reason: String) -> [Output] {
        let targets = Set(accountIds)
        for token in tokens where !targets.isDisjoint(with: token.accountIds) {
            revokedAccessTokens.insert(token.accessToken)
        }
        var out = Outbox()
        for id in connections.keys.sorted() {
            guard let authorized = connections[id]?.authorizedAccounts else { continue }
            let affected = authorized.intersection(targets).sorted()
            guard !affected.isEmpty else { continue }
            for account in affected { logOut(account, on: id) }
            var event = ProtoOAAccountsTokenInvalidatedEvent()
            event.ctidTraderAccountIds = affected
            event.reason = reason
            out.send(id, Envelope(event))
        }
        return out.outputs
    }

    /// Logs `accountId` out on every connection that authorized it, as a broker does, and sends
    /// those connections `ProtoOAAccountDisconnectEvent` (2164); the connections stay open.
    public mutating func disconnectAccount(_ accountId: Int64) -> [Output] {
        var out = Outbox()
        for id in connections.keys.sorted() where connections[id]?.authorizedAccounts.contains(accountId) == true {
            logOut(accountId, on: id)
            var event = ProtoOAAccountDisconnectEvent()
            event.ctidTraderAccountID = accountId
            out.send(id, Envelope(event))
        }
        return out.outputs
    }

    /// Sends every connection `ProtoOAClientDisconnectEvent` (2148) with `reason`, then closes it.
    public mutating func disconnectClients(reason: String) -> [Output] {
        var out = Outbox()
        for id in connections.keys.sorted() {
            var event = ProtoOAClientDisconnectEvent()
            event.reason = reason
            out.send(id, Envelope(event))
            out.close(id, reason: "ProtoOAClientDisconnectEvent: \(reason)")
            connections[id] = nil
        }
        return out.outputs
    }

    /// The account is no longer authorized on the connection, and its subscriptions end.
    mutating func logOut(_ accountId: Int64, on id: SimulatorConnectionID) {
        connections[id]?.authorizedAccounts.remove(accountId)
        connections[id]?.spots[accountId] = nil
        connections[id]?.depth[accountId] = nil
        connections[id]?.liveTrendbars[accountId] = nil
    }
}
