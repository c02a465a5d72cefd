// swift-ctrader: demo and live behind one façade.

public import CTraderMessaging
public import CTraderSession

/// Where a trading account lives: cTrader runs demo and live accounts on separate servers.
public enum CTraderEnvironment: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Demo accounts (`demo.ctraderapi.com`).
    case demo
    /// Live accounts (`live.ctraderapi.com`).
    case live

    /// The environment of an account of the account list (`ProtoOACtidTraderAccount.isLive`).
    public init(_ account: ProtoOACtidTraderAccount) {
        self = account.isLive ? .live : .demo
    }

    /// `demo` or `live`.
    public var description: String { rawValue }
}

/// An event of a ``CTraderAccounts`` merged stream, tagged with the environment it came from.
public struct CTraderTaggedEvent<Event: Sendable>: Sendable {
    /// The connection the event arrived on.
    public var environment: CTraderEnvironment
    /// The event, as the client's own stream delivered it.
    public var event: Event

    /// Makes a tagged event.
    public init(environment: CTraderEnvironment, event: Event) {
        self.environment = environment
        self.event = event
    }
}

/// Why ``CTraderAccounts`` refused a request before sending it.
public struct CTraderAccountsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal.
    public enum Code: Sendable, Hashable {
        /// The request names an account the access token's account list does not hold.
        case unknownAccount
        /// The account lives in an environment without a configured endpoint.
        case environmentNotConfigured
        /// The façade was shut down.
        case shutdown
    }

    /// The kind of refusal.
    public var code: Code
    /// The account the request named, when there is one.
    public var account: Int64?
    /// The environment concerned, when there is one.
    public var environment: CTraderEnvironment?
    /// The accounts known (for ``Code/unknownAccount``).
    public var knownAccounts: [Int64]

    /// Makes an error.
    public init(
        code: Code, account: Int64? = nil, environment: CTraderEnvironment? = nil, knownAccounts: [Int64] = []
    ) {
        self.code = code
        self.account = account
        self.environment = environment
        self.knownAccounts = knownAccounts
    }

    /// One line naming the account and what is known.
    public var description: String {
        switch code {
        case .unknownAccount:
            let known = knownAccounts.map(String.init).joined(separator: ", ")
            return "unknown account \(account.map(String.init) ?? "?"): the access token grants "
                + (known.isEmpty ? "no account" : known) + "; nothing was sent"
        case .environmentNotConfigured:
            return "account \(account.map(String.init) ?? "?") lives in \(environment?.rawValue ?? "?"), "
                + "which has no endpoint configured; nothing was sent"
        case .shutdown:
            return "the accounts façade was shut down; nothing was sent"
        }
    }
}

/// Demo and live accounts behind one façade: one `CTraderClient` per environment, each opened
/// when first needed, and every account-scoped request routed to the connection where its account
/// lives.
///
/// ```swift
/// let accounts = CTraderAccounts(
///     configuration: .init(credentials: CTraderCredentials(clientId: id, clientSecret: secret)),
///     accessToken: token)
/// for account in try await accounts.accounts() { print(account.ctidTraderAccountID, account.isLive) }
/// let spots = await accounts.spots()
/// try await accounts.subscribeSpots(account: liveAccount, symbols: [1])  // on the live connection
/// for try await tagged in spots { print(tagged.environment, tagged.event) }
/// await accounts.shutdown()
/// ```
///
/// Where each account lives comes from the account list (`ProtoOAGetAccountListByAccessTokenReq`,
/// asked once on the ``Configuration/discovery`` environment): `ProtoOACtidTraderAccount.isLive`.
/// A request is routed by the `ctidTraderAccountId` it carries (every message type with that field
/// conforms to `AccountScopedMessage`, generated from the `.proto` files); an account is
/// authorized on its connection before its first request. A request naming an account the list
/// does not hold fails with ``CTraderAccountsError/Code/unknownAccount`` before anything is sent.
/// A request that names no account (`ProtoOAVersionReq`, …) goes to the discovery environment.
public actor CTraderAccounts {
    /// The endpoint and settings of each environment.
    public struct Configuration: Sendable {
        /// The client configuration of each environment; an environment left out cannot be used.
        public var environments: [CTraderEnvironment: CTraderClientConfiguration]
        /// Where the account list is asked.
        public var discovery: CTraderEnvironment

        /// Both environments with explicit configurations.
        public init(
            environments: [CTraderEnvironment: CTraderClientConfiguration], discovery: CTraderEnvironment = .demo
        ) {
            self.environments = environments
            self.discovery = discovery
        }

        /// cTrader's demo and live servers (`CTraderEndpoint.demo`, `CTraderEndpoint.live`), with
        /// `base`'s other settings (its endpoint is replaced).
        public init(credentials: CTraderCredentials, base: CTraderClientConfiguration? = nil) {
            var demo = base ?? CTraderClientConfiguration(credentials: credentials)
            demo.credentials = credentials
            var live = demo
            demo.endpoint = .demo
            live.endpoint = .live
            self.init(environments: [.demo: demo, .live: live])
        }
    }

    /// The configuration.
    public nonisolated let configuration: Configuration
    private let accessToken: String
    private let refreshToken: String?
    private let makeClient: @Sendable (CTraderEnvironment, CTraderClientConfiguration) -> CTraderClient
    /// The clients made (connected, or connecting: see `opening`).
    private var clients: [CTraderEnvironment: CTraderClient] = [:]
    private var opening: [CTraderEnvironment: Task<CTraderClient, any Error>] = [:]
    private var adopted: Set<CTraderEnvironment> = []
    private var accountList: Task<[ProtoOACtidTraderAccount], any Error>?
    private var environmentOfAccount: [Int64: CTraderEnvironment] = [:]
    private var authorizing: [Int64: Task<ProtoOAAccountAuthRes, any Error>] = [:]
    private var merges: [Int: Merge] = [:]
    private var nextMergeID = 0
    private var isShutDown = false

    /// A merged stream: how to attach a newly opened client, and the tasks feeding it.
    private struct Merge {
        let attach: @Sendable (CTraderEnvironment, CTraderClient) -> Task<Void, Never>
        let finish: @Sendable () -> Void
        var feeders: [Task<Void, Never>] = []
    }

    /// Makes the façade; nothing is opened until a request needs it.
    ///
    /// - Parameters:
    ///   - configuration: each environment's client configuration.
    ///   - accessToken: the access token that lists and authorizes the accounts.
    ///   - refreshToken: its refresh token (see `CTraderClient.authorize(account:accessToken:refreshToken:timeout:)`).
    ///   - clients: clients already connected, adopted for their environments (the façade does not
    ///     shut them down: their owner does).
    ///   - makeClient: makes a client for an environment (to give it a logger); default:
    ///     `CTraderClient(configuration:)`.
    public init(
        configuration: Configuration,
        accessToken: String,
        refreshToken: String? = nil,
        clients: [CTraderEnvironment: CTraderClient] = [:],
        makeClient: @escaping @Sendable (CTraderEnvironment, CTraderClientConfiguration) -> CTraderClient = {
            CTraderClient(configuration: $1)
        }
    ) {
        self.configuration = configuration
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.makeClient = makeClient
        for (environment, client) in clients {
            self.clients[environment] = client
            opening[environment] = Task { client }
            adopted.insert(environment)
        }
    }

    // MARK: - Accounts

    /// The access token's accounts, demo and live, asked once on the discovery environment.
    public func accounts() async throws -> [ProtoOACtidTraderAccount] {
        if let accountList { return try await accountList.value }
        let discovery = configuration.discovery
        let token = accessToken
        let task = Task { [self] in
            let client = try await client(for: discovery)
            return try await client.accounts(accessToken: token)
        }
        accountList = task
        do {
            let list = try await task.value
            for account in list {
                environmentOfAccount[Int64(clamping: account.ctidTraderAccountID)] = CTraderEnvironment(account)
            }
            return list
        } catch {
            accountList = nil
            throw error
        }
    }

    /// Where `account` lives.
    ///
    /// - Throws: ``CTraderAccountsError/Code/unknownAccount`` when the account list does not hold it.
    public func environment(of account: Int64) async throws -> CTraderEnvironment {
        _ = try await accounts()
        guard let environment = environmentOfAccount[account] else {
            throw CTraderAccountsError(
                code: .unknownAccount, account: account, knownAccounts: environmentOfAccount.keys.sorted())
        }
        return environment
    }

    /// The client of an environment, connected (opened now when it was not yet).
    ///
    /// - Throws: ``CTraderAccountsError/Code/environmentNotConfigured``; what
    ///   `CTraderClient.connect()` throws.
    public func client(for environment: CTraderEnvironment) async throws -> CTraderClient {
        guard !isShutDown else { throw CTraderAccountsError(code: .shutdown, environment: environment) }
        if let opening = opening[environment] { return try await opening.value }
        guard let settings = configuration.environments[environment] else {
            throw CTraderAccountsError(code: .environmentNotConfigured, environment: environment)
        }
        let client = makeClient(environment, settings)
        clients[environment] = client
        // Streams attach before the connection opens: no event of it can be missed.
        for (id, merge) in merges { merges[id]?.feeders.append(merge.attach(environment, client)) }
        let task = Task {
            try await client.connect()
            return client
        }
        opening[environment] = task
        do {
            return try await task.value
        } catch {
            opening[environment] = nil
            clients[environment] = nil
            await client.shutdown()
            throw error
        }
    }

    /// The client where `account` lives, with the account authorized on it.
    ///
    /// - Throws: ``CTraderAccountsError`` (before anything is sent for the account); what
    ///   `CTraderClient.authorize(account:accessToken:refreshToken:timeout:)` throws.
    public func client(forAccount account: Int64) async throws -> CTraderClient {
        let environment = try await environment(of: account)
        guard configuration.environments[environment] != nil || opening[environment] != nil else {
            throw CTraderAccountsError(code: .environmentNotConfigured, account: account, environment: environment)
        }
        let client = try await client(for: environment)
        _ = try await authorize(account: account, on: client)
        return client
    }

    /// Authorizes `account` on its environment's connection (once; later calls return the first
    /// answer).
    @discardableResult
    public func authorize(account: Int64) async throws -> ProtoOAAccountAuthRes {
        let client = try await client(for: try await environment(of: account))
        return try await authorize(account: account, on: client)
    }

    private func authorize(account: Int64, on client: CTraderClient) async throws -> ProtoOAAccountAuthRes {
        if let authorizing = authorizing[account] { return try await authorizing.value }
        let (access, refresh) = (accessToken, refreshToken)
        let task = Task { try await client.authorize(account: account, accessToken: access, refreshToken: refresh) }
        authorizing[account] = task
        do {
            return try await task.value
        } catch {
            authorizing[account] = nil
            throw error
        }
    }

    // MARK: - Requests

    /// Sends a request on the connection its account lives on (a request naming no account: on
    /// the discovery environment's) and returns the answer's envelope.
    ///
    /// - Throws: ``CTraderAccountsError`` before anything is sent; else as `CTraderClient.send(_:timeout:)`.
    public func send(_ request: some CTraderMessage, timeout: Duration? = nil) async throws -> Envelope {
        try await route(request).send(request, timeout: timeout)
    }

    /// Sends a request where its account lives and returns its answer as `Response`.
    ///
    /// - Throws: ``CTraderAccountsError`` before anything is sent; else as
    ///   `CTraderClient.send(_:expecting:timeout:)`.
    public func send<Response: CTraderMessage>(
        _ request: some CTraderMessage, expecting: Response.Type, timeout: Duration? = nil
    ) async throws -> Response {
        try await route(request).send(request, expecting: expecting, timeout: timeout)
    }

    /// Subscribes to spot quotes for `account`'s symbols on its connection; quotes arrive on ``spots()``.
    public func subscribeSpots(account: Int64, symbols: [Int64], timeout: Duration? = nil) async throws {
        try await client(forAccount: account).subscribeSpots(account: account, symbols: symbols, timeout: timeout)
    }

    /// Unsubscribes from spot quotes for `account`'s symbols.
    public func unsubscribeSpots(account: Int64, symbols: [Int64], timeout: Duration? = nil) async throws {
        try await client(forAccount: account).unsubscribeSpots(account: account, symbols: symbols, timeout: timeout)
    }

    /// The client a request goes to: by its `ctidTraderAccountId`, else the discovery environment's.
    private func route(_ request: some CTraderMessage) async throws -> CTraderClient {
        guard let scoped = request as? any AccountScopedMessage, let account = scoped.accountId else {
            return try await client(for: configuration.discovery)
        }
        let payloadType = type(of: request).messagePayloadType
        if payloadType == .protoOaAccountAuthReq || payloadType == .protoOaAccountLogoutReq {
            return try await client(for: try await environment(of: account))
        }
        return try await client(forAccount: account)
    }

    // MARK: - Merged streams

    /// Spot quotes of both connections, tagged with their environment.
    public func spots() -> AsyncThrowingStream<CTraderTaggedEvent<CTraderStreamElement<ProtoOASpotEvent>>, any Error> {
        merged { $0.spots() }
    }

    /// Execution events of both connections, tagged with their environment.
    public func executions()
        -> AsyncThrowingStream<CTraderTaggedEvent<CTraderStreamElement<ProtoOAExecutionEvent>>, any Error>
    {
        merged { $0.executions() }
    }

    /// Session events (connecting, ready, reconnecting, …) of both connections, tagged.
    public func sessionEvents() -> AsyncThrowingStream<CTraderTaggedEvent<CTraderSessionEvent>, any Error> {
        merged { $0.sessionEvents() }
    }

    /// Any stream of each client (opened now or later), merged and tagged with its environment.
    /// The merged stream fails when one client's stream fails, and ends at ``shutdown()``.
    ///
    /// - Parameter make: makes the stream of one client (called once per client, when it opens).
    public func merged<Events: AsyncSequence & Sendable>(
        _ make: @escaping @Sendable (CTraderClient) -> Events
    ) -> AsyncThrowingStream<CTraderTaggedEvent<Events.Element>, any Error> where Events.Element: Sendable {
        let (stream, continuation) = AsyncThrowingStream<CTraderTaggedEvent<Events.Element>, any Error>.makeStream()
        guard !isShutDown else {
            continuation.finish()
            return stream
        }
        let attach: @Sendable (CTraderEnvironment, CTraderClient) -> Task<Void, Never> = { environment, client in
            let events = make(client)
            return Task {
                do {
                    for try await event in events {
                        continuation.yield(CTraderTaggedEvent(environment: environment, event: event))
                    }
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
        var merge = Merge(attach: attach, finish: { continuation.finish() })
        for (environment, client) in clients {
            merge.feeders.append(attach(environment, client))
        }
        let id = nextMergeID
        nextMergeID += 1
        merges[id] = merge
        continuation.onTermination = { [weak self] _ in
            Task { await self?.endMerge(id) }
        }
        return stream
    }

    private func endMerge(_ id: Int) {
        guard let merge = merges.removeValue(forKey: id) else { return }
        for feeder in merge.feeders { feeder.cancel() }
    }

    // MARK: - Lifecycle

    /// Shuts down the clients the façade opened (adopted ones are their owner's) and ends the
    /// merged streams.
    public func shutdown() async {
        isShutDown = true
        let owned = clients.filter { !adopted.contains($0.key) }.map(\.value)
        clients = [:]
        opening = [:]
        for client in owned { await client.shutdown() }
        for merge in merges.values {
            for feeder in merge.feeders { feeder.cancel() }
            merge.finish()
        }
        merges = [:]
    }
}
