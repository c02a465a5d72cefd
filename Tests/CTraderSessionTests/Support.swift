// swift-ctrader: test support for the session tests.

import CTraderMessaging
import CTraderSession
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging
import Testing

/// A lock-protected value for the test helpers.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A clock that moves only when the test says so.
final class ManualClock: CTraderClock {
    private struct Sleeper {
        var id: UInt64
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var nextId: UInt64 = 0
        var sleepers: [Sleeper] = []
    }

    private let state = Locked(State())

    func now() -> Duration { state.withLock { $0.now } }

    func sleep(until deadline: Duration) async throws {
        let id = state.withLock { state in
            state.nextId += 1
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes the sleepers that are due.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// The earliest deadline a task sleeps until.
    var nextSleeperDeadline: Duration? { state.withLock { $0.sleepers.map(\.deadline).min() } }
}

/// Captures every log line (message and metadata) so a test can search it.
final class LogCapture: Sendable {
    let lines = Locked<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "test.session") { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line =
            "\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
        capture.lines.withLock { $0.append(line) }
    }
}

let quietLogger = Logger(label: "test.quiet") { _ in SwiftLogNoOpLogHandler() }

/// One connection of the scripted fake server.
final class ServerConnection: Sendable {
    let channel: any CTraderChannel

    init(channel: any CTraderChannel) {
        self.channel = channel
    }

    /// The next envelope, heartbeats included.
    func nextEnvelope() async throws -> Envelope {
        let channel = self.channel
        guard let envelope = try await withTimeout(.seconds(180), "server receive", { try await channel.receive() })
        else {
            throw ClientClosed()
        }
        return envelope
    }

    /// The next envelope that is not a heartbeat.
    func next() async throws -> Envelope {
        while true {
            let envelope = try await nextEnvelope()
            if envelope.payloadType != .heartbeatEvent { return envelope }
        }
    }

    /// The next non-heartbeat envelope, which must carry `M`.
    func expect<M: CTraderMessage>(
        _ type: M.Type,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (M, Envelope) {
        let envelope = try await next()
        let message = try #require(
            envelope.message(as: M.self),
            "expected \(M.messagePayloadType), got \(envelope.payloadType)",
            sourceLocation: sourceLocation
        )
        return (message, envelope)
    }

    func send(_ message: some CTraderMessage, clientMsgId: String? = nil) async throws {
        try await channel.send(Envelope(message, clientMsgId: clientMsgId))
    }

    func reply(to request: Envelope, with message: some CTraderMessage) async throws {
        try await send(message, clientMsgId: request.clientMsgId)
    }

    func replyError(
        to request: Envelope,
        code: String,
        description: String = "",
        retryAfter: UInt64? = nil
    ) async throws {
        var error = ProtoOAErrorRes()
        error.errorCode = code
        error.description_p = description
        if let retryAfter { error.retryAfter = retryAfter }
        try await reply(to: request, with: error)
    }

    /// Answers the application auth.
    func acceptAppAuth() async throws {
        let (_, request) = try await expect(ProtoOAApplicationAuthReq.self)
        try await reply(to: request, with: ProtoOAApplicationAuthRes())
    }

    /// Answers one account auth; returns the account.
    func acceptAccountAuth() async throws -> Int64 {
        try await acceptedAccountAuth().ctidTraderAccountID
    }

    /// Answers one account auth; returns its request.
    func acceptedAccountAuth() async throws -> ProtoOAAccountAuthReq {
        let (auth, request) = try await expect(ProtoOAAccountAuthReq.self)
        var res = ProtoOAAccountAuthRes()
        res.ctidTraderAccountID = auth.ctidTraderAccountID
        try await reply(to: request, with: res)
        return auth
    }

    /// Refuses the next account auth's access token (`CH_ACCESS_TOKEN_INVALID`) and answers the
    /// token refresh that follows with a bearer pair of `accessToken` and `refreshToken`.
    ///
    /// - Returns: the refused account auth and the refresh request.
    @discardableResult
    func refuseTokenThenRefresh(
        to accessToken: String, _ refreshToken: String
    ) async throws -> (auth: ProtoOAAccountAuthReq, refresh: ProtoOARefreshTokenReq) {
        let (auth, authRequest) = try await expect(ProtoOAAccountAuthReq.self)
        try await replyError(to: authRequest, code: "CH_ACCESS_TOKEN_INVALID")
        let (refresh, refreshRequest) = try await expect(ProtoOARefreshTokenReq.self)
        var pair = ProtoOARefreshTokenRes()
        pair.accessToken = accessToken
        pair.refreshToken = refreshToken
        pair.tokenType = "bearer"
        pair.expiresIn = 2_628_000
        try await reply(to: refreshRequest, with: pair)
        return (auth, refresh)
    }

    /// Waits until the client closed the connection.
    func waitForClose() async throws {
        let channel = self.channel
        try await withTimeout(.seconds(180), "waiting for close") {
            while true {
                do {
                    guard try await channel.receive() != nil else { return }
                } catch {
                    return
                }
            }
        }
    }

    func close() async {
        await channel.close()
    }
}

/// A scripted fake cTrader server on in-memory transports, speaking the protobuf wire format.
final class FakeServer: Sendable {
    private struct State {
        var pending: [ServerConnection] = []
        var waiter: CheckedContinuation<ServerConnection, Never>?
        var refusals = 0
        var opens = 0
    }

    private let state = Locked(State())

    /// The next `count` connection attempts fail (connection refused).
    func refuseNext(_ count: Int) {
        state.withLock { $0.refusals += count }
    }

    /// The connection attempts so far (refused ones included).
    var openCount: Int { state.withLock { $0.opens } }

    func accept(_ connection: ServerConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<ServerConnection, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    var connector: CTraderConnector {
        CTraderConnector.protobuf(description: "fake") { [self] in
            let refuse = state.withLock { state -> Bool in
                state.opens += 1
                guard state.refusals > 0 else { return false }
                state.refusals -= 1
                return true
            }
            if refuse { throw TransportError(.connectionRefused, reason: "refused by the fake server") }
            let (client, server) = InMemoryTransport.makePair()
            accept(ServerConnection(channel: ProtobufChannel(transport: server)))
            return client
        }
    }

    func nextConnection() async throws -> ServerConnection {
        try await withTimeout(.seconds(180), "waiting for a connection") { [self] in
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> ServerConnection? in
                    if !state.pending.isEmpty { return state.pending.removeFirst() }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

let testCredentials = CTraderCredentials(
    clientId: "client-id-0123456789abcdef",
    clientSecret: "client-secret-SUPERSECRET-42"
)

func makeConfiguration(
    server: FakeServer,
    clock: ManualClock,
    reconnect: CTraderReconnectPolicy = CTraderReconnectPolicy(
        initialDelay: .seconds(1),
        maximumAttempts: 3,
        jitterSeed: 42
    ),
    rateLimits: CTraderRateLimits = CTraderRateLimits(windowMargin: .zero),
    streamBufferSize: Int = 1024,
    tokenStore: (@Sendable (CTraderTokenPair) async -> Void)? = nil
) -> CTraderClientConfiguration {
    CTraderClientConfiguration(
        endpoint: .custom(server.connector),
        credentials: testCredentials,
        reconnect: reconnect,
        rateLimits: rateLimits,
        streamBufferSize: streamBufferSize,
        tokenStore: tokenStore,
        clock: clock
    )
}

/// A client of the fake server on a manual clock that no test advances, logging nothing.
func makeClient(_ server: FakeServer) -> CTraderClient {
    CTraderClient(configuration: makeConfiguration(server: server, clock: ManualClock()), logger: quietLogger)
}

/// A connector to `fake` over a WebSocket on an in-memory transport, naming `host`.
func inMemoryWebSocketConnector(to fake: FakeServer, host: String) -> CTraderConnector {
    CTraderConnector.webSocket(host: host, target: "/") {
        let (client, server) = InMemoryTransport.makePair()
        Task {
            let connection = try await WebSocketConnection.accept(server, logger: quietLogger)
            fake.accept(ServerConnection(channel: WebSocketChannel(connection: connection)))
        }
        return client
    }
}

/// Connects a client to the fake server and answers the application auth.
func connectClient(_ client: CTraderClient, server: FakeServer) async throws -> ServerConnection {
    async let connected: Void = client.connect()
    let connection = try await server.nextConnection()
    try await connection.acceptAppAuth()
    try await connected
    return connection
}

/// Authorizes an account through the fake server.
func authorize(_ client: CTraderClient, account: Int64, token: String, on connection: ServerConnection) async throws {
    async let authorized = client.authorize(account: account, accessToken: token)
    _ = try await connection.acceptAccountAuth()
    _ = try await authorized
}

/// Waits until the client's timer sleeps (so that advancing the clock has something to wake).
func waitForSleeper(_ clock: ManualClock, atMost deadline: Duration? = nil) async throws {
    try await withTimeout(.seconds(180), "waiting for the client's timer") {
        while true {
            if let next = clock.nextSleeperDeadline, deadline.map({ next <= $0 }) ?? true { return }
            await Task.yield()
        }
    }
}

/// Checks that `error` is a ``CTraderError`` with the given code (and server error code).
func expectCTraderError(
    _ error: any Error,
    _ code: CTraderError.Code,
    errorCode: ErrorCode? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = error as? CTraderError else {
        Issue.record("expected a CTraderError, got \(error)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    if let errorCode { #expect(error.errorCode == errorCode, sourceLocation: sourceLocation) }
}

func versionRes() -> ProtoOAVersionRes {
    var res = ProtoOAVersionRes()
    res.version = "1.0"
    return res
}

/// Responses whose only required field is the account id.
func accountRes(_: ProtoOASubscribeSpotsRes.Type, _ account: Int64) -> ProtoOASubscribeSpotsRes {
    var res = ProtoOASubscribeSpotsRes()
    res.ctidTraderAccountID = account
    return res
}

func accountRes(_: ProtoOASubscribeLiveTrendbarRes.Type, _ account: Int64) -> ProtoOASubscribeLiveTrendbarRes {
    var res = ProtoOASubscribeLiveTrendbarRes()
    res.ctidTraderAccountID = account
    return res
}

func accountRes(_: ProtoOASubscribeDepthQuotesRes.Type, _ account: Int64) -> ProtoOASubscribeDepthQuotesRes {
    var res = ProtoOASubscribeDepthQuotesRes()
    res.ctidTraderAccountID = account
    return res
}

func accountRes(_: ProtoOAAccountLogoutRes.Type, _ account: Int64) -> ProtoOAAccountLogoutRes {
    var res = ProtoOAAccountLogoutRes()
    res.ctidTraderAccountID = account
    return res
}

func accountRes(_: ProtoOAReconcileRes.Type, _ account: Int64) -> ProtoOAReconcileRes {
    var res = ProtoOAReconcileRes()
    res.ctidTraderAccountID = account
    return res
}

/// The client closed the connection while the fake server waited for a message.
struct ClientClosed: Error, CustomStringConvertible {
    var description: String { "the client closed the connection" }
}
