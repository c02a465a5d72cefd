// swift-ctrader: the cTrader Open API session layer.

extension SessionStateMachine {
    /// The machine's settings: credentials, timeouts and limits.
    public struct Configuration: Sendable {
        /// The application's credentials.
        public var credentials: CTraderCredentials
        /// The default time a request may wait for its answer; default 30 s.
        public var requestTimeout: Duration
        /// A heartbeat is sent whenever nothing was sent for this long; default 10 s.
        public var heartbeatInterval: Duration
        /// A connection that received nothing for this long is dead; default 40 s.
        public var deadConnectionTimeout: Duration
        /// Reconnect behaviour.
        public var reconnect: CTraderReconnectPolicy
        /// Rate limits and the queue bound.
        public var rateLimits: CTraderRateLimits
        /// An access token whose lifetime is known (from a refresh's `expiresIn`) is refreshed
        /// this long before it expires (at the latest halfway through its lifetime); `nil` never
        /// refreshes ahead. Default 10 minutes.
        public var tokenRefreshMargin: Duration?
        /// Whether a trading request (2106, 2108–2111) still queued, never written, when the
        /// connection drops waits for the reconnect and is sent then; default `false`: it fails at
        /// once with ``CTraderError/Code/notSent`` (certainly not executed), as an order sent
        /// late, after a reconnect, may no longer be wanted. A trading request already written is
        /// never sent again either way.
        public var resendsUnsentTradingRequests = false
        /// How requests refused with a transient server error (``SessionStateMachine/transientCodes``)
        /// are retried; see ``CTraderRetryPolicy``.
        public var transientRetry = CTraderRetryPolicy()
        /// The Unix time in milliseconds at the machine's time `now`, to place a maintenance
        /// window's end on the machine's time line; default the system's wall clock.
        public var unixMilliseconds: @Sendable (_ now: Duration) -> Int64 = CTraderRetryPolicy.systemUnixMilliseconds
        /// How an account whose session the server ended (2164), or whose re-authorization was
        /// refused for a passing reason, is authorized again on the same connection: the delay
        /// before each attempt, and the attempts per connection (then the next reconnect restores
        /// it). Default: 1 s doubling up to 60 s, 5 attempts.
        public var accountReauthorization = CTraderReconnectPolicy(maximumAttempts: 5)

        /// Makes a configuration; every limit has a documented default.
        public init(
            credentials: CTraderCredentials,
            requestTimeout: Duration = .seconds(30),
            heartbeatInterval: Duration = .seconds(10),
            deadConnectionTimeout: Duration = .seconds(40),
            reconnect: CTraderReconnectPolicy = CTraderReconnectPolicy(),
            rateLimits: CTraderRateLimits = CTraderRateLimits(),
            tokenRefreshMargin: Duration? = .seconds(600)
        ) {
            self.credentials = credentials
            self.requestTimeout = requestTimeout
            self.heartbeatInterval = heartbeatInterval
            self.deadConnectionTimeout = deadConnectionTimeout
            self.reconnect = reconnect
            self.rateLimits = rateLimits
            self.tokenRefreshMargin = tokenRefreshMargin
        }

        /// The machine's part of a client configuration.
        public init(_ client: CTraderClientConfiguration) {
            self.init(
                credentials: client.credentials,
                requestTimeout: client.requestTimeout,
                heartbeatInterval: client.heartbeatInterval,
                deadConnectionTimeout: client.deadConnectionTimeout,
                reconnect: client.reconnect,
                rateLimits: client.rateLimits,
                tokenRefreshMargin: client.tokenRefreshMargin
            )
            self.resendsUnsentTradingRequests = client.resendsUnsentTradingRequests
            self.transientRetry = client.transientRetry
            self.unixMilliseconds = client.unixMilliseconds
            self.accountReauthorization = client.accountReauthorization
        }
    }
}
