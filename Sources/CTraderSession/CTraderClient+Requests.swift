// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

extension CTraderClient {
    // MARK: - Accounts and tokens

    /// The trading accounts an access token grants (2149 → 2150).
    public func accounts(accessToken: String, timeout: Duration? = nil) async throws -> [ProtoOACtidTraderAccount] {
        var request = ProtoOAGetAccountListByAccessTokenReq()
        request.accessToken = accessToken
        return try await send(request, expecting: ProtoOAGetAccountListByAccessTokenRes.self, timeout: timeout)
            .ctidTraderAccount
    }

    /// Exchanges a refresh token for a new token pair (2173 → 2174). The pair is also saved in
    /// ``CTraderClientConfiguration/tokenStorage`` and ``CTraderClientConfiguration/tokenStore``
    /// at once (the old refresh token is now spent), and this returns once the save ended (a
    /// failed save is logged at error level; the pair is returned all the same).
    public func refreshToken(_ refreshToken: String, timeout: Duration? = nil) async throws -> CTraderTokenPair {
        var request = ProtoOARefreshTokenReq()
        request.refreshToken = refreshToken
        let res = try await send(request, expecting: ProtoOARefreshTokenRes.self, timeout: timeout)
        await tokenSavesEnded()
        return CTraderTokenPair(
            ctidTraderAccountId: nil,
            accessToken: res.accessToken,
            refreshToken: res.refreshToken,
            expiresIn: res.expiresIn
        )
    }

    /// Logs an account out (2162 → 2163); it is no longer restored after reconnects.
    public func logout(account: Int64, timeout: Duration? = nil) async throws {
        var request = ProtoOAAccountLogoutReq()
        request.ctidTraderAccountID = account
        _ = try await send(request, expecting: ProtoOAAccountLogoutRes.self, timeout: timeout)
    }

    // MARK: - Symbols and subscriptions

    /// The account's symbols (2114 → 2115).
    public func symbols(
        account: Int64,
        includeArchived: Bool = false,
        timeout: Duration? = nil
    ) async throws -> ProtoOASymbolsListRes {
        var request = ProtoOASymbolsListReq()
        request.ctidTraderAccountID = account
        if includeArchived { request.includeArchivedSymbols = true }
        return try await send(request, expecting: ProtoOASymbolsListRes.self, timeout: timeout)
    }

    /// Subscribes to spot quotes (2127 → 2128); restored after reconnects. Quotes arrive on
    /// ``spots(bufferSize:)``.
    public func subscribeSpots(
        account: Int64,
        symbols: [Int64],
        withTimestamps: Bool = false,
        timeout: Duration? = nil
    ) async throws {
        var request = ProtoOASubscribeSpotsReq()
        request.ctidTraderAccountID = account
        request.symbolID = symbols
        if withTimestamps { request.subscribeToSpotTimestamp = true }
        _ = try await send(request, expecting: ProtoOASubscribeSpotsRes.self, timeout: timeout)
    }

    /// Unsubscribes from spot quotes (2129 → 2130).
    public func unsubscribeSpots(account: Int64, symbols: [Int64], timeout: Duration? = nil) async throws {
        var request = ProtoOAUnsubscribeSpotsReq()
        request.ctidTraderAccountID = account
        request.symbolID = symbols
        _ = try await send(request, expecting: ProtoOAUnsubscribeSpotsRes.self, timeout: timeout)
    }

    /// Subscribes to depth quotes (2156 → 2157); restored after reconnects. Deltas arrive on
    /// ``depth(bufferSize:)``.
    public func subscribeDepth(account: Int64, symbols: [Int64], timeout: Duration? = nil) async throws {
        var request = ProtoOASubscribeDepthQuotesReq()
        request.ctidTraderAccountID = account
        request.symbolID = symbols
        _ = try await send(request, expecting: ProtoOASubscribeDepthQuotesRes.self, timeout: timeout)
    }

    /// Subscribes to a live trendbar (2135 → 2165); needs a spot subscription for the symbol;
    /// restored after reconnects. Bars arrive on ``liveTrendbars(bufferSize:)``.
    public func subscribeLiveTrendbar(
        account: Int64,
        symbol: Int64,
        period: ProtoOATrendbarPeriod,
        timeout: Duration? = nil
    ) async throws {
        var request = ProtoOASubscribeLiveTrendbarReq()
        request.ctidTraderAccountID = account
        request.symbolID = symbol
        request.period = period
        _ = try await send(request, expecting: ProtoOASubscribeLiveTrendbarRes.self, timeout: timeout)
    }

    // MARK: - Trading

    /// Sends a new order (2106) and returns its first execution event (usually
    /// `ORDER_ACCEPTED`; for a market order the fill follows on ``executions(bufferSize:)``).
    ///
    /// Never re-sent. An order placed while the client reconnects waits (within its timeout) and is
    /// sent once the session is restored.
    ///
    /// - Throws: ``CTraderError``: ``CTraderError/Code/orderError`` with the
    /// `ProtoOAOrderErrorEvent` in ``CTraderError/orderError``; ``CTraderError/Code/outcomeUnknown``
    /// when the connection dropped or the timeout passed with the order in flight (call
    /// ``reconcile(account:returnProtectionOrders:timeout:)``).
    public func placeOrder(_ order: ProtoOANewOrderReq, timeout: Duration? = nil) async throws -> ProtoOAExecutionEvent
    {
        try await send(order, expecting: ProtoOAExecutionEvent.self, timeout: timeout)
    }

    /// Sends a market order; see ``placeOrder(_:timeout:)``.
    ///
    /// `volume` is in cents of a unit (`CTraderUnits`): 1 lot of EURUSD = 10_000_000.
    public func placeMarketOrder(
        account: Int64,
        symbol: Int64,
        side: ProtoOATradeSide,
        volume: Int64,
        label: String? = nil,
        clientOrderId: String? = nil,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        try await placeOrder(
            .market(
                account: account, symbol: symbol, side: side, volume: volume, label: label, clientOrderId: clientOrderId
            ),
            timeout: timeout)
    }

    /// Closes (part of) a position (2111); returns its first execution event. Never re-sent; the
    /// errors are those of ``placeOrder(_:timeout:)``.
    public func closePosition(
        account: Int64,
        positionId: Int64,
        volume: Int64,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        var request = ProtoOAClosePositionReq()
        request.ctidTraderAccountID = account
        request.positionID = positionId
        request.volume = volume
        return try await send(request, expecting: ProtoOAExecutionEvent.self, timeout: timeout)
    }

    /// The account's open positions and pending orders (2124 → 2125): what settles a trading
    /// request whose outcome is unknown.
    public func reconcile(
        account: Int64,
        returnProtectionOrders: Bool = false,
        timeout: Duration? = nil
    ) async throws -> ProtoOAReconcileRes {
        var request = ProtoOAReconcileReq()
        request.ctidTraderAccountID = account
        if returnProtectionOrders { request.returnProtectionOrders = true }
        return try await send(request, expecting: ProtoOAReconcileRes.self, timeout: timeout)
    }

    // MARK: - Streams

    /// Spot quotes (2131); keeps the latest per symbol when the consumer falls behind.
    public nonisolated func spots(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOASpotEvent> {
        makeStream(policy: .keepLatestPerSymbol, bufferSize: bufferSize)
    }

    /// Spot events that carry live trendbars (2131 with `trendbar` set); keeps the latest per
    /// symbol.
    public nonisolated func liveTrendbars(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOASpotEvent> {
        makeStream(policy: .keepLatestPerSymbol, bufferSize: bufferSize) { !$0.trendbar.isEmpty }
    }

    /// Depth deltas (2155). Deltas cannot be coalesced, so the stream fails on overflow.
    public nonisolated func depth(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOADepthEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Execution events (2126), the answers to trading requests included. Never dropped: the
    /// stream fails with ``CTraderError/Code/streamOverflow`` instead.
    public nonisolated func executions(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOAExecutionEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Order error events (2132). Never dropped.
    public nonisolated func orderErrors(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOAOrderErrorEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Margin changes (2141). Never dropped.
    public nonisolated func marginChanges(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOAMarginChangedEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Trader updates (2123). Never dropped.
    public nonisolated func traderUpdates(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOATraderUpdatedEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Symbol changes (2120). Never dropped.
    public nonisolated func symbolChanges(bufferSize: Int? = nil) -> CTraderEventStream<ProtoOASymbolChangedEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Token invalidations (2147). Never dropped.
    public nonisolated func tokenInvalidations(
        bufferSize: Int? = nil
    ) -> CTraderEventStream<ProtoOAAccountsTokenInvalidatedEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Client disconnects announced by the server (2148). Never dropped.
    public nonisolated func clientDisconnects(
        bufferSize: Int? = nil
    ) -> CTraderEventStream<ProtoOAClientDisconnectEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    /// Account disconnects (2164): the account is no longer authorized nor restored. Never dropped.
    public nonisolated func accountDisconnects(
        bufferSize: Int? = nil
    ) -> CTraderEventStream<ProtoOAAccountDisconnectEvent> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }
}

extension ProtoOANewOrderReq {
    /// A market order (2106) of `volume` on `symbol`, with its optional label and client order id.
    static func market(
        account: Int64, symbol: Int64, side: ProtoOATradeSide, volume: Int64, label: String?, clientOrderId: String?
    ) -> ProtoOANewOrderReq {
        var order = ProtoOANewOrderReq()
        order.ctidTraderAccountID = account
        order.symbolID = symbol
        order.orderType = .market
        order.tradeSide = side
        order.volume = volume
        if let label { order.label = label }
        if let clientOrderId { order.clientOrderID = clientOrderId }
        return order
    }
}
