// swift-ctrader: the cTrader Open API session layer.

public import CTraderChannel
public import CTraderMessaging
public import CTraderTransport
public import CTraderWebSocket
import Foundation

/// How the client reconnects after a dropped connection: exponential backoff with jitter, and a
/// limit after which it gives up with ``CTraderError/Code/reconnectGaveUp``.
public struct CTraderReconnectPolicy: Sendable, Hashable {
    /// The delay before the first reconnect attempt; default 1 s.
    public var initialDelay: Duration
    /// The cap on the delay; default 60 s.
    public var maximumDelay: Duration
    /// The growth factor per attempt; default 2.
    public var multiplier: Int
    /// The share of the delay taken off at random, 0…1; default 0.5 (a delay lands in `[d/2, d]`).
    public var jitter: Double
    /// The consecutive failed attempts after which the client gives up; default 10. `0` never
    /// reconnects.
    public var maximumAttempts: Int
    /// Seeds the jitter's generator (tests); `nil` (default) seeds it at random.
    public var jitterSeed: UInt64?

    /// Makes a policy; every limit has a documented default.
    public init(
        initialDelay: Duration = .seconds(1),
        maximumDelay: Duration = .seconds(60),
        multiplier: Int = 2,
        jitter: Double = 0.5,
        maximumAttempts: Int = 10,
        jitterSeed: UInt64? = nil
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(jitter, 0), 1)
        self.maximumAttempts = max(0, maximumAttempts)
        self.jitterSeed = jitterSeed
    }
}

/// How the session retries a request the server refused with a transient error
/// (``SessionStateMachine/transientCodes``: `CANT_ROUTE_REQUEST`, `TIMEOUT_ERROR`,
/// `CH_SERVER_NOT_REACHABLE`, `SERVER_IS_UNDER_MAINTENANCE`): after an exponentially growing,
/// jittered delay, a bounded number of times, and never before a maintenance window's end
/// (`maintenanceEndTimestamp`).
///
/// It applies to non-trading requests of the owner (each within its own timeout) and to the
/// session's own requests (application auth, account auth, token refresh, the restoration of
/// subscriptions). A trading
/// request (2106, 2108–2111) is never resent: it fails with the server's error. A request whose
/// retries are exhausted fails with the last error.
public struct CTraderRetryPolicy: Sendable, Hashable {
    /// The delay before the first retry; default 1 s.
    public var initialDelay: Duration
    /// The cap on the delay; default 30 s.
    public var maximumDelay: Duration
    /// The growth factor per retry; default 2.
    public var multiplier: Int
    /// The share of the delay taken off at random, 0…1; default 0.5 (a delay lands in `[d/2, d]`),
    /// so that requests refused together are not resent together.
    public var jitter: Double
    /// The retries of one request; default 5. `0` never retries.
    public var maximumAttempts: Int
    /// The longest wait for a maintenance window's announced end; default 1 hour. A request
    /// refused by a maintenance that ends later fails with `SERVER_IS_UNDER_MAINTENANCE` at once
    /// (an owner's request also fails at once when the end comes after its own timeout).
    public var maximumMaintenanceWait: Duration
    /// Seeds the jitter's generator (tests); `nil` (default) seeds it at random.
    public var jitterSeed: UInt64?

    /// Makes a policy; every limit has a documented default.
    public init(
        initialDelay: Duration = .seconds(1),
        maximumDelay: Duration = .seconds(30),
        multiplier: Int = 2,
        jitter: Double = 0.5,
        maximumAttempts: Int = 5,
        maximumMaintenanceWait: Duration = .seconds(3600),
        jitterSeed: UInt64? = nil
    ) {
        self.initialDelay = max(.zero, initialDelay)
        self.maximumDelay = max(self.initialDelay, maximumDelay)
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(jitter, 0), 1)
        self.maximumAttempts = max(0, maximumAttempts)
        self.maximumMaintenanceWait = max(.zero, maximumMaintenanceWait)
        self.jitterSeed = jitterSeed
    }

    /// The system's wall clock, as Unix time in milliseconds (the argument, the session's clock
    /// reading, is ignored): the default of ``CTraderClientConfiguration/unixMilliseconds``.
    public static let systemUnixMilliseconds: @Sendable (Duration) -> Int64 = { _ in
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

/// The client-side rate limits, matching the Open API's documented limits.
public struct CTraderRateLimits: Sendable, Hashable {
    /// Requests per second on one connection; default 50.
    public var requestsPerSecond: Int
    /// Historical-data requests per second (``historicalPayloadTypes``); default 5.
    public var historicalRequestsPerSecond: Int
    /// The requests subject to ``historicalRequestsPerSecond``: by default 2137
    /// (`ProtoOAGetTrendbarsReq`), 2145 (`ProtoOAGetTickDataReq`) and 2133 (`ProtoOADealListReq`).
    public var historicalPayloadTypes: Set<PayloadType>
    /// The requests that may wait for the limiter (and, while reconnecting, for the connection);
    /// one more fails with ``CTraderError/Code/queueFull``. Default 1000.
    public var maximumQueuedRequests: Int
    /// Added to each one-second window; default 100 ms. The server counts requests by their
    /// arrival, and requests sent exactly one second apart can arrive less than a second apart (a
    /// burst's first requests wait behind each other, the next burst's do not), which the server
    /// refuses with `REQUEST_FREQUENCY_EXCEEDED`. `.zero` spaces requests exactly.
    public var windowMargin: Duration
    /// How long sending pauses after a rate-limit refusal (`REQUEST_FREQUENCY_EXCEEDED`,
    /// `BLOCKED_PAYLOAD_TYPE`) that carries no `retryAfter`; default 1 s. A refused non-trading
    /// request is sent again after the pause, within its own timeout.
    public var rateLimitRetryDelay: Duration = .seconds(1)

    /// Makes limits; every limit has a documented default.
    public init(
        requestsPerSecond: Int = 50,
        historicalRequestsPerSecond: Int = 5,
        historicalPayloadTypes: Set<PayloadType> = [
            .protoOaGetTrendbarsReq, .protoOaGetTickdataReq, .protoOaDealListReq,
        ],
        maximumQueuedRequests: Int = 1000,
        windowMargin: Duration = .milliseconds(100)
    ) {
        self.windowMargin = max(.zero, windowMargin)
        self.requestsPerSecond = max(1, requestsPerSecond)
        self.historicalRequestsPerSecond = max(1, historicalRequestsPerSecond)
        self.historicalPayloadTypes = historicalPayloadTypes
        self.maximumQueuedRequests = max(0, maximumQueuedRequests)
    }
}

/// Where the client connects.
public struct CTraderEndpoint: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case host(String)
        case url(String)
        case custom(CTraderConnector)
    }

    let kind: Kind

    /// The live server, `live.ctraderapi.com` (port 5036 for JSON, 5035 for protobuf).
    public static let live = CTraderEndpoint(kind: .host("live.ctraderapi.com"))
    /// The demo server, `demo.ctraderapi.com` (port 5036 for JSON, 5035 for protobuf).
    public static let demo = CTraderEndpoint(kind: .host("demo.ctraderapi.com"))

    /// A host name; the port follows from the wire format (5036 JSON, 5035 protobuf).
    public static func host(_ host: String) -> CTraderEndpoint {
        CTraderEndpoint(kind: .host(host))
    }

    /// A WebSocket URL (`wss://…:5036`, or `ws://127.0.0.1:port` for a local simulator) with the
    /// JSON wire format.
    public static func url(_ url: String) -> CTraderEndpoint {
        CTraderEndpoint(kind: .url(url))
    }

    /// A custom connector: an in-process simulator, an in-memory fake server, a proxy.
    public static func custom(_ connector: CTraderConnector) -> CTraderEndpoint {
        CTraderEndpoint(kind: .custom(connector))
    }

    /// The host, URL or connector name.
    public var description: String {
        switch kind {
        case .host(let host): host
        case .url(let url): url
        case .custom(let connector): connector.description
        }
    }
}

/// Everything a ``CTraderClient`` needs besides its logger.
///
/// Credentials are held as ``CTraderSecret``s and only ever logged redacted.
public struct CTraderClientConfiguration: Sendable {
    /// Where to connect; default ``CTraderEndpoint/demo``.
    public var endpoint: CTraderEndpoint
    /// JSON over WebSocket (`.json`, the default, port 5036) or protobuf over TLS (`.protobuf`,
    /// port 5035). Applies to ``CTraderEndpoint/live``, ``CTraderEndpoint/demo`` and
    /// ``CTraderEndpoint/host(_:)``; a ``CTraderEndpoint/url(_:)`` is always JSON over WebSocket, and a
    /// ``CTraderEndpoint/custom(_:)`` connector decides for itself.
    public var wireFormat: WireFormat
    /// The application's credentials.
    public var credentials: CTraderCredentials
    /// The TLS settings for `.live`, `.demo` and `wss://` endpoints; default `.client()`.
    public var tls: TLSConfiguration
    /// The WebSocket settings (limits, handshake and close timeouts, compression, `User-Agent`) for
    /// `.live`, `.demo`, `.host` and `.url` endpoints over JSON; default
    /// `WebSocketConfiguration.cTraderClient`: permessage-deflate offered
    /// (`client_max_window_bits`, context takeover on) and `User-Agent: swift-ctrader/<version>`.
    /// Set `webSocket.perMessageDeflateOffer = .none` to turn compression off.
    public var webSocket: WebSocketConfiguration
    /// The time each request may wait for its answer, queueing included; default 30 s.
    public var requestTimeout: Duration
    /// A heartbeat (51) is sent whenever nothing was sent for this long; default 10 s.
    public var heartbeatInterval: Duration
    /// A connection that received nothing for this long is declared dead and reconnected;
    /// default 40 s.
    public var deadConnectionTimeout: Duration
    /// Reconnect behaviour.
    public var reconnect: CTraderReconnectPolicy
    /// Client-side rate limits and the request queue's bound.
    public var rateLimits: CTraderRateLimits
    /// The buffered elements per event stream before its overflow policy applies; default 1024.
    public var streamBufferSize: Int
    /// Receives every new token pair at once (refresh tokens are single-use); default none.
    /// Called after ``tokenStorage``'s save; the session waits for it too before it uses a pair.
    public var tokenStore: (@Sendable (CTraderTokenPair) async -> Void)?
    /// Saves every new token pair, written through: a pair refreshed for an account is used only
    /// once its ``CTraderTokenStore/save(_:)`` returned; a save that throws fails the account's
    /// authorization with ``CTraderError/Code/tokenStoreFailed``. Default none;
    /// ``CTraderFileTokenStore`` keeps the pairs in a file. Start from the saved pair with
    /// ``CTraderClient/authorizeWithStoredTokens(account:accessToken:refreshToken:timeout:)``.
    public var tokenStorage: (any CTraderTokenStore)?
    /// An account's access token whose lifetime is known (from a refresh's `expiresIn`) is
    /// refreshed this long before it expires (at the latest halfway through its lifetime), and the
    /// new pair saved as above; `nil` never refreshes ahead. Default 10 minutes.
    public var tokenRefreshMargin: Duration?
    /// The time source; default ``ContinuousCTraderClock``. Tests inject a manual clock.
    public var clock: any CTraderClock
    /// Whether a trading request still queued, never written, when the connection drops is sent
    /// after the reconnect; default `false`: it fails at once with ``CTraderError/Code/notSent``.
    /// See ``SessionStateMachine/Configuration/resendsUnsentTradingRequests``.
    public var resendsUnsentTradingRequests = false
    /// How requests refused with a transient server error are retried; default
    /// ``CTraderRetryPolicy/init(initialDelay:maximumDelay:multiplier:jitter:maximumAttempts:maximumMaintenanceWait:jitterSeed:)``
    /// with its defaults (5 retries from 1 s, doubling up to 30 s, half jitter).
    public var transientRetry = CTraderRetryPolicy()
    /// The Unix time in milliseconds at the reading `now` of ``clock``: turns a maintenance
    /// window's `maintenanceEndTimestamp` into a time on ``clock``. Default
    /// ``CTraderRetryPolicy/systemUnixMilliseconds`` (the system's wall clock); a test on a manual
    /// clock maps its virtual time instead.
    public var unixMilliseconds: @Sendable (_ now: Duration) -> Int64 = CTraderRetryPolicy.systemUnixMilliseconds
    /// How an account whose session the server ended (`ProtoOAAccountDisconnectEvent`, 2164) or
    /// whose authorization was refused for a passing reason (a rate limit) is authorized again on
    /// the same connection: the delay before each attempt and the attempts per connection, after
    /// which it waits for the next reconnect. Default: 1 s doubling up to 60 s, 5 attempts.
    public var accountReauthorization = CTraderReconnectPolicy(maximumAttempts: 5)

    /// Makes a configuration; every limit has a documented default.
    public init(
        endpoint: CTraderEndpoint = .demo,
        wireFormat: WireFormat = .json,
        credentials: CTraderCredentials,
        tls: TLSConfiguration = .client(),
        webSocket: WebSocketConfiguration = .cTraderClient,
        requestTimeout: Duration = .seconds(30),
        heartbeatInterval: Duration = .seconds(10),
        deadConnectionTimeout: Duration = .seconds(40),
        reconnect: CTraderReconnectPolicy = CTraderReconnectPolicy(),
        rateLimits: CTraderRateLimits = CTraderRateLimits(),
        streamBufferSize: Int = 1024,
        tokenStore: (@Sendable (CTraderTokenPair) async -> Void)? = nil,
        tokenStorage: (any CTraderTokenStore)? = nil,
        tokenRefreshMargin: Duration? = .seconds(600),
        clock: any CTraderClock = ContinuousCTraderClock()
    ) {
        self.endpoint = endpoint
        self.wireFormat = wireFormat
        self.credentials = credentials
        self.tls = tls
        self.webSocket = webSocket
        self.requestTimeout = requestTimeout
        self.heartbeatInterval = heartbeatInterval
        self.deadConnectionTimeout = deadConnectionTimeout
        self.reconnect = reconnect
        self.rateLimits = rateLimits
        self.streamBufferSize = max(1, streamBufferSize)
        self.tokenStore = tokenStore
        self.tokenStorage = tokenStorage
        self.tokenRefreshMargin = tokenRefreshMargin
        self.clock = clock
    }

    /// The stores a new pair is saved in, in order: ``tokenStorage``, then ``tokenStore``.
    var tokenStores: [any CTraderTokenStore] {
        var stores: [any CTraderTokenStore] = []
        if let tokenStorage { stores.append(tokenStorage) }
        if let tokenStore { stores.append(ClosureTokenStore(store: tokenStore)) }
        return stores
    }

    /// The connector the endpoint and wire format name.
    public var connector: CTraderConnector {
        switch endpoint.kind {
        case .custom(let connector):
            return connector
        case .url(let url):
            return .webSocket(url: url, configuration: webSocket, tls: tls)
        case .host(let host):
            switch wireFormat {
            case .json: return .webSocket(url: "wss://\(host):5036", configuration: webSocket, tls: tls)
            case .protobuf: return .protobufTLS(host: host, port: 5035, tls: tls)
            }
        }
    }
}
