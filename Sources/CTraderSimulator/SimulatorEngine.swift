// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging

/// The identifier of one client connection, chosen by the I/O layer.
public typealias SimulatorConnectionID = Int

/// The simulator's core: a pure state machine of the cTrader Open API server. No I/O and no
/// clock: every input carries `now` (Unix time in milliseconds) and every call returns the
/// ``Output``s the owner must carry out (send an envelope, close a connection).
///
/// The same ``Configuration`` (seed included) and the same inputs give the same outputs, which a
/// test checks by running two engines side by side.
///
/// ```swift
/// var engine = SimulatorEngine(configuration: .init(seed: 7))
/// _ = engine.connect(1, now: 0)
/// var auth = ProtoOAApplicationAuthReq()
/// auth.clientID = SimulatorIdentity.demoClientId
/// auth.clientSecret = SimulatorIdentity.demoClientSecret
/// let outputs = engine.receive(.envelope(Envelope(auth, clientMsgId: "1")), from: 1, now: 0)
/// // [.send(1, {"clientMsgId":"1","payloadType":2101})]
/// ```
public struct SimulatorEngine: Sendable {
    /// What the engine is configured with: identity, catalogue, seed, timings and limits.
    public struct Configuration: Sendable {
        /// The seed of the market's random walk.
        public var seed: UInt64
        /// The applications, tokens and accounts.
        public var identity: SimulatorIdentity
        /// The symbols.
        public var catalogue: SymbolCatalogue
        /// The interval between server heartbeats (`ProtoHeartbeatEvent`) to an application-authorized
        /// connection; default 30 s, like the server.
        public var heartbeatInterval: Duration
        /// How long a connection may stay without application authorization before it is
        /// closed; default 30 s.
        public var unauthenticatedTimeout: Duration
        /// The most requests per connection in any one-second window; default 50.
        public var requestsPerSecond: Int
        /// The most historical requests (trendbars 2137, tick data 2145, deals 2133) per
        /// connection in any one-second window; default 5.
        public var historicalRequestsPerSecond: Int
        /// The most trendbars in one `ProtoOAGetTrendbarsRes` (the rest is signalled with
        /// `hasMore`); default 4000.
        public var maximumTrendbarsPerResponse: Int
        /// The most ticks in one `ProtoOAGetTickDataRes`; default 5000.
        public var maximumTicksPerResponse: Int
        /// The longest span of a tick-data request; default one week, like the server.
        public var maximumTickDataSpan: Duration
        /// The most deals or orders in one list response; default 1000.
        public var maximumRowsPerResponse: Int
        /// How many price levels each side of a depth event carries; default 5.
        public var depthLevels: Int
        /// The lifetime announced for a refreshed access token (`expiresIn`); default 30 days.
        public var refreshedTokenLifetime: Duration

        /// Makes a configuration; every limit has the real server's value by default.
        public init(
            seed: UInt64 = 1,
            identity: SimulatorIdentity = .standard,
            catalogue: SymbolCatalogue = .standard,
            heartbeatInterval: Duration = .seconds(30),
            unauthenticatedTimeout: Duration = .seconds(30),
            requestsPerSecond: Int = 50,
            historicalRequestsPerSecond: Int = 5,
            maximumTrendbarsPerResponse: Int = 4_000,
            maximumTicksPerResponse: Int = 5_000,
            maximumTickDataSpan: Duration = .seconds(7 * 86_400),
            maximumRowsPerResponse: Int = 1_000,
            depthLevels: Int = 5,
            refreshedTokenLifetime: Duration = .seconds(30 * 86_400)
        ) {
            self.seed = seed
            self.identity = identity
            self.catalogue = catalogue
            self.heartbeatInterval = heartbeatInterval
            self.unauthenticatedTimeout = unauthenticatedTimeout
            self.requestsPerSecond = requestsPerSecond
            self.historicalRequestsPerSecond = historicalRequestsPerSecond
            self.maximumTrendbarsPerResponse = maximumTrendbarsPerResponse
            self.maximumTicksPerResponse = maximumTicksPerResponse
            self.maximumTickDataSpan = maximumTickDataSpan
            self.maximumRowsPerResponse = maximumRowsPerResponse
            self.depthLevels = depthLevels
            self.refreshedTokenLifetime = refreshedTokenLifetime
        }
    }

    /// What arrives from a connection: a decoded envelope, or the reason it could not be decoded.
    public enum Input: Sendable {
        /// A decoded envelope.
        case envelope(Envelope)
        /// A message that did not decode (malformed JSON, a payload that does not fit its type, a
        /// message over the size limit).
        case undecodable(MessagingError)
    }

    /// What the owner must do.
    public enum Output: Sendable {
        /// Send the envelope on the connection.
        case send(SimulatorConnectionID, Envelope)
        /// Close the connection (after sending what precedes this output).
        case close(SimulatorConnectionID, reason: String)
    }

    /// Switches that make the engine misbehave on purpose, for testing clients.
    public struct Faults: Sendable, Hashable {
        /// When set, every new order is refused with a `ProtoOAOrderErrorEvent` carrying this
        /// error code (e.g. `"NOT_ENOUGH_MONEY"`).
        public var rejectOrdersWithErrorCode: String?
        /// Requests of these payload types get no answer at all.
        public var withheldRequestTypes: Set<PayloadType>
        /// How many of the next requests of each payload type are refused with
        /// `REQUEST_FREQUENCY_EXCEEDED` (counting down to zero), as if over the rate limit.
        public var refusedRequests: [PayloadType: Int] = [:]
        /// The `retryAfter` of those refusals, in seconds; `nil` leaves it out. Default 1.
        public var refusalRetryAfter: UInt64? = 1
        /// Errors the next requests are answered with, first match first (Simulator+Maintenance.swift).
        public var scriptedErrors: [SimulatorEngine.ScriptedError] = []
        /// The error code of those refusals, by payload type; default (no entry)
        /// `REQUEST_FREQUENCY_EXCEEDED`.
        public var refusalErrorCodes: [PayloadType: ErrorCode] = [:]
        /// How many of the next requests of each payload type get no answer at all (counting down
        /// to zero).
        public var withheldNextRequests: [PayloadType: Int] = [:]
        /// No faults.
        public init(rejectOrdersWithErrorCode: String? = nil, withheldRequestTypes: Set<PayloadType> = []) {
            self.rejectOrdersWithErrorCode = rejectOrdersWithErrorCode
            self.withheldRequestTypes = withheldRequestTypes
        }
    }

    /// The configuration.
    public let configuration: Configuration
    /// The faults in force.
    public var faults = Faults()
    /// How many requests of each payload type arrived past the rate limiter.
    public private(set) var receivedRequestCounts: [PayloadType: Int] = [:]

    let market: MarketModel
    var connections: [SimulatorConnectionID: ConnectionState] = [:]
    var accounts: [Int64: AccountState] = [:]
    var tokens: [SimulatorIdentity.Token]
    var usedRefreshTokens: Set<String> = []
    /// Access tokens invalidated by ``invalidateTokens(of:reason:)``: refused from then on.
    var revokedAccessTokens: Set<String> = []
    /// How many requests carried an access token after ``invalidateTokens(of:reason:)`` had
    /// invalidated it (each was refused).
    public internal(set) var revokedTokenUses = 0
    var quoteOverrides: [Int64: (bid: Int64, ask: Int64)] = [:]
    var nextId: Int64 = 1
    var tokenGeneration = 1
    var depthQuoteId: UInt64 = 1
    /// Whether the market data comes from a tape (SimulatorEngine+Tape.swift), not the model.
    var servesTape = false

    /// Makes an engine with no connection.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.market = MarketModel(seed: configuration.seed, catalogue: configuration.catalogue)
        self.tokens = configuration.identity.tokens
        for account in configuration.identity.accounts {
            accounts[account.ctidTraderAccountId] = AccountState(account: account)
        }
    }

    // MARK: - Connections

    /// Registers a new connection.
    public mutating func connect(_ id: SimulatorConnectionID, now: Int64) {
        connections[id] = ConnectionState(connectedAt: now)
    }

    /// Forgets a connection that closed; its subscriptions end.
    public mutating func disconnect(_ id: SimulatorConnectionID) {
        connections[id] = nil
    }

    /// The ids of the open connections, ascending.
    public var connectionIDs: [SimulatorConnectionID] {
        connections.keys.sorted()
    }

    /// Overrides the quote of a symbol (prices in 1/100000 units) until ``clearQuote(symbolId:)``:
    /// lets a test move the market across a pending order or a stop.
    public mutating func setQuote(symbolId: Int64, bid: Int64, ask: Int64) {
        quoteOverrides[symbolId] = (bid, ask)
    }

    /// Returns a symbol to its simulated prices.
    public mutating func clearQuote(symbolId: Int64) {
        quoteOverrides[symbolId] = nil
    }

    /// The current bid and ask of a symbol, in 1/100000 units; `nil` for an unknown symbol.
    public func quote(symbolId: Int64, now: Int64) -> (bid: Int64, ask: Int64)? {
        guard let symbol = configuration.catalogue.symbol(symbolId) else { return nil }
        return quote(symbol, now: now)
    }

    func quote(_ symbol: SymbolCatalogue.Symbol, now: Int64) -> (bid: Int64, ask: Int64) {
        if let override = quoteOverrides[symbol.id] { return override }
        return (market.bid(symbol, at: now), market.ask(symbol, at: now))
    }

    mutating func makeId() -> Int64 {
        defer { nextId += 1 }
        return nextId
    }

    // MARK: - Receiving

    /// Handles one message from a connection.
    public mutating func receive(_ input: Input, from id: SimulatorConnectionID, now: Int64) -> [Output] {
        guard connections[id] != nil else { return [] }
        var out = Outbox()
        switch input {
        case .undecodable(let error):
            handleUndecodable(error, from: id, out: &out)
        case .envelope(let envelope):
            connections[id]?.lastReceived = now
            handle(envelope, from: id, now: now, out: &out)
        }
        return out.outputs
    }

    private mutating func handleUndecodable(_ error: MessagingError, from id: SimulatorConnectionID, out: inout Outbox)
    {
        if error.code == .malformedJSON {
            let position = "\(error.line ?? 1):\(error.column ?? 1)"
            out.send(id, errorRes(.invalidRequest, "Malformed JSON message at \(position)"))
            out.close(id, reason: "malformed JSON")
        } else if error.code == .messageTooLarge {
            out.send(id, errorRes(.frameTooLong, "Message is too large: \(error.reason)"))
            out.close(id, reason: "frame too long")
        } else {
            var envelope = errorRes(.invalidRequest, error.reason.isEmpty ? "\(error.code)" : error.reason)
            envelope.clientMsgId = nil
            out.send(id, envelope)
        }
    }

    private mutating func handle(_ envelope: Envelope, from id: SimulatorConnectionID, now: Int64, out: inout Outbox) {
        let type = envelope.payloadType
        let msgId = envelope.clientMsgId
        // Heartbeats need no authorization and get no answer.
        if type == .heartbeatEvent { return }
        guard let message = envelope.message,
            PayloadRegistry.standard.entry(for: type)?.kind == .request
        else {
            out.send(id, errorRes(.unsupportedMessage, "Unsupported payloadType \(type.rawValue)", msgId: msgId))
            return
        }
        // Rate limits.
        let historical =
            type == .protoOaGetTrendbarsReq || type == .protoOaGetTickdataReq || type == .protoOaDealListReq
        if let state = connections[id] {
            var limiter = state.limiter
            let allowed = limiter.admit(
                now: now, historical: historical, limit: configuration.requestsPerSecond,
                historicalLimit: configuration.historicalRequestsPerSecond)
            connections[id]?.limiter = limiter
            if !allowed {
                var error = ProtoOAErrorRes()
                error.errorCode = ErrorCode.requestFrequencyExceeded.rawValue
                error.description_p =
                    "Request frequency is reached: at most \(historical ? configuration.historicalRequestsPerSecond : configuration.requestsPerSecond) \(historical ? "historical " : "")requests per second"
                error.retryAfter = 1
                if let account = Self.accountId(of: message) { error.ctidTraderAccountID = account }
                out.send(id, Envelope(error, clientMsgId: msgId))
                return
            }
        }
        receivedRequestCounts[type, default: 0] += 1
        if let left = faults.refusedRequests[type], left > 0 {
            faults.refusedRequests[type] = left - 1
            var error = ProtoOAErrorRes()
            let code = faults.refusalErrorCodes[type] ?? .requestFrequencyExceeded
            error.errorCode = code.rawValue
            error.description_p =
                code == .requestFrequencyExceeded
                ? "Request frequency is reached (a simulator fault)" : "\(code.rawValue) (a simulator fault)"
            if let retryAfter = faults.refusalRetryAfter { error.retryAfter = retryAfter }
            if let account = Self.accountId(of: message) { error.ctidTraderAccountID = account }
            out.send(id, Envelope(error, clientMsgId: msgId))
            return
        }
        if answerScriptedError(to: type, message: message, msgId: msgId, from: id, out: &out) { return }
        if faults.withheldRequestTypes.contains(type) { return }
        if let left = faults.withheldNextRequests[type], left > 0 {
            faults.withheldNextRequests[type] = left - 1
            return
        }
        // Application authorization comes first.
        if let auth = message as? ProtoOAApplicationAuthReq {
            applicationAuth(auth, id: id, msgId: msgId, out: &out)
            return
        }
        if message is ProtoOAVersionReq {
            var res = ProtoOAVersionRes()
            res.version = "simulator-1.0"
            out.send(id, Envelope(res, clientMsgId: msgId))
            return
        }
        guard connections[id]?.applicationAuthorized == true else {
            out.send(id, errorRes(.chClientNotAuthenticated, "Open API application is not authorized", msgId: msgId))
            return
        }
        switch message {
        case let req as ProtoOAGetAccountListByAccessTokenReq:
            accountList(req, id: id, msgId: msgId, now: now, out: &out)
            return
        case let req as ProtoOARefreshTokenReq:
            refreshToken(req, id: id, msgId: msgId, now: now, out: &out)
            return
        case let req as ProtoOAAccountAuthReq:
            accountAuth(req, id: id, msgId: msgId, now: now, out: &out)
            return
        case let req as ProtoOAGetCtidProfileByTokenReq:
            ctidProfile(req, id: id, msgId: msgId, now: now, out: &out)
            return
        default:
            break
        }
        // Everything else is about one authorized account.
        guard let accountId = Self.accountId(of: message) else {
            out.send(id, errorRes(.unsupportedMessage, "Unsupported payloadType \(type.rawValue)", msgId: msgId))
            return
        }
        guard connections[id]?.authorizedAccounts.contains(accountId) == true, accounts[accountId] != nil else {
            out.send(
                id,
                errorRes(.accountNotAuthorized, "Trading account is not authorized", msgId: msgId, account: accountId))
            return
        }
        let request = Request(connection: id, clientMsgId: msgId, accountId: accountId, now: now)
        chargeSwaps(now: now, out: &out)
        dispatch(message, request, out: &out)
    }

    private mutating func dispatch(_ message: any CTraderMessage, _ request: Request, out: inout Outbox) {
        let name = type(of: message).messagePayloadType.description
        switch message {
        case is ProtoOAAccountLogoutReq: logout(request, out: &out)
        case is ProtoOATraderReq: trader(request, out: &out)
        case is ProtoOAAssetListReq: assetList(request, out: &out)
        case is ProtoOAAssetClassListReq: assetClassList(request, out: &out)
        case is ProtoOASymbolCategoryListReq: categoryList(request, out: &out)
        case let req as ProtoOASymbolsListReq: symbolsList(req, request, out: &out)
        case let req as ProtoOASymbolByIdReq: symbolById(req, request, out: &out)
        case let req as ProtoOASubscribeSpotsReq: subscribeSpots(req, request, out: &out)
        case let req as ProtoOAUnsubscribeSpotsReq: unsubscribeSpots(req, request, out: &out)
        case let req as ProtoOASubscribeDepthQuotesReq: subscribeDepth(req, request, out: &out)
        case let req as ProtoOAUnsubscribeDepthQuotesReq: unsubscribeDepth(req, request, out: &out)
        case let req as ProtoOASubscribeLiveTrendbarReq: subscribeLiveTrendbar(req, request, out: &out)
        case let req as ProtoOAUnsubscribeLiveTrendbarReq: unsubscribeLiveTrendbar(req, request, out: &out)
        case let req as ProtoOAGetTrendbarsReq: trendbars(req, request, out: &out)
        case let req as ProtoOAGetTickDataReq: tickData(req, request, out: &out)
        case let req as ProtoOANewOrderReq: newOrder(req, request, out: &out)
        case let req as ProtoOACancelOrderReq: cancelOrder(req, request, out: &out)
        case let req as ProtoOAAmendOrderReq: amendOrder(req, request, out: &out)
        case let req as ProtoOAAmendPositionSLTPReq: amendPosition(req, request, out: &out)
        case let req as ProtoOAClosePositionReq: closePosition(req, request, out: &out)
        case let req as ProtoOAReconcileReq: reconcile(req, request, out: &out)
        case let req as ProtoOADealListReq: dealList(req, request, out: &out)
        case let req as ProtoOAOrderListReq: orderList(req, request, out: &out)
        case let req as ProtoOADealListByPositionIdReq: dealsByPosition(req, request, out: &out)
        case let req as ProtoOAOrderListByPositionIdReq: ordersByPosition(req, request, out: &out)
        case let req as ProtoOAExpectedMarginReq: expectedMargin(req, request, out: &out)
        case is ProtoOAGetPositionUnrealizedPnLReq: unrealizedPnL(request, out: &out)
        case let req as ProtoOASymbolsForConversionReq: symbolsForConversion(req, request, out: &out)
        case let req as ProtoOACashFlowHistoryListReq: cashFlowHistory(req, request, out: &out)
        case let req as ProtoOAOrderDetailsReq: orderDetails(req, request, out: &out)
        case is ProtoOAMarginCallListReq: marginCallList(request, out: &out)
        default:
            out.send(
                request.connection,
                errorRes(
                    .unsupportedMessage, "The simulator does not support \(name)",
                    msgId: request.clientMsgId, account: request.accountId))
        }
    }

    // MARK: - Time

    /// Advances the market to `now`: spot, depth and live trendbar events to subscribers, pending
    /// orders and stops that the price crossed, heartbeats, and closing connections that never
    /// authorized in time.
    public mutating func tick(now: Int64) -> [Output] {
        var out = Outbox()
        let heartbeat = configuration.heartbeatInterval.milliseconds
        let idle = configuration.unauthenticatedTimeout.milliseconds
        for id in connections.keys.sorted() {
            guard let state = connections[id] else { continue }
            if !state.applicationAuthorized {
                if now - state.connectedAt >= idle {
                    out.close(id, reason: "no application authorization within \(configuration.unauthenticatedTimeout)")
                    connections[id] = nil
                }
                continue
            }
            if now - state.lastHeartbeat >= heartbeat {
                connections[id]?.lastHeartbeat = now
                out.send(id, Envelope(ProtoHeartbeatEvent()))
            }
        }
        chargeSwaps(now: now, out: &out)
        matchOrders(now: now, out: &out)
        publishMarketData(now: now, out: &out)
        return out.outputs
    }

    // MARK: - Helpers

    /// The account a request names: its `ctidTraderAccountId` (generated catalogue facts).
    static func accountId(of message: any CTraderMessage) -> Int64? {
        (message as? any AccountScopedMessage)?.accountId
    }

    func errorRes(_ code: ErrorCode, _ description: String, msgId: String? = nil, account: Int64? = nil) -> Envelope {
        var error = ProtoOAErrorRes()
        error.errorCode = code.rawValue
        error.description_p = description
        if let account { error.ctidTraderAccountID = account }
        return Envelope(error, clientMsgId: msgId)
    }
}

/// The context of one account request.
struct Request {
    var connection: SimulatorConnectionID
    var clientMsgId: String?
    var accountId: Int64
    var now: Int64
}

/// Collects outputs in order.
struct Outbox {
    var outputs: [SimulatorEngine.Output] = []
    mutating func send(_ id: SimulatorConnectionID, _ envelope: Envelope) { outputs.append(.send(id, envelope)) }
    mutating func close(_ id: SimulatorConnectionID, reason: String) { outputs.append(.close(id, reason: reason)) }
}

/// One connection's state.
struct ConnectionState: Sendable {
    var connectedAt: Int64
    var lastReceived: Int64
    var lastHeartbeat: Int64
    var applicationAuthorized = false
    var authorizedAccounts: Set<Int64> = []
    var limiter = RateLimiter()
    /// Spot subscriptions: account → symbol → last (bid, ask) sent (nil before the first).
    var spots: [Int64: [Int64: SpotSubscription]] = [:]
    var depth: [Int64: [Int64: [UInt64]]] = [:]
    var liveTrendbars: [Int64: [Int64: Set<Int>]] = [:]

    init(connectedAt: Int64) {
        self.connectedAt = connectedAt
        self.lastReceived = connectedAt
        self.lastHeartbeat = connectedAt
    }
}

struct SpotSubscription: Sendable {
    var lastBid: Int64?
    var lastAsk: Int64?
    var withTimestamp: Bool
}

/// A sliding one-second window of request times.
struct RateLimiter: Sendable {
    private var all: [Int64] = []
    private var historical: [Int64] = []

    mutating func admit(now: Int64, historical isHistorical: Bool, limit: Int, historicalLimit: Int) -> Bool {
        all.removeAll { now - $0 >= 1_000 }
        historical.removeAll { now - $0 >= 1_000 }
        if all.count >= limit { return false }
        if isHistorical && historical.count >= historicalLimit { return false }
        all.append(now)
        if isHistorical { historical.append(now) }
        return true
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
