// swift-ctrader: the cTrader Open API session layer.

// Re-exported: `import CTraderSession` keeps seeing the connectors and channels, which moved to
// CTraderChannel.
@_exported public import CTraderChannel
public import CTraderMessaging
public import Logging
import _CTraderLocking

/// A connection to the cTrader Open API: authentication, typed requests, event streams, and a
/// connection that heartbeats, detects its own death and reconnects.
///
/// ```swift
/// let client = CTraderClient(configuration: CTraderClientConfiguration(
///     endpoint: .demo, credentials: CTraderCredentials(clientId: id, clientSecret: secret)))
/// try await client.connect()
/// try await client.authorize(account: 12345, accessToken: token)
/// try await client.subscribeSpots(account: 12345, symbols: [1])
/// for try await case .message(let spot) in client.spots() { print(spot.bid) }
/// await client.shutdown()
/// ```
///
/// An actor around a ``SessionStateMachine``: the machine decides, the actor performs the I/O. It
/// owns three tasks per connection (open, read, write) and one timer task, so heartbeats and dead
/// connection detection never depend on the application's code running.
public actor CTraderClient {
    /// The configuration.
    public nonisolated let configuration: CTraderClientConfiguration
    let logger: Logger
    private let clock: any CTraderClock
    private let connector: CTraderConnector
    private let hub = EventHub()
    let diagnosticsHub = DiagnosticsHub()
    let sessionEventHub = SessionEventHub()
    private var machine: SessionStateMachine
    private var nextRequestNumber: UInt64 = 1
    private var promises: [SessionStateMachine.RequestID: FirstOutcome<Envelope>] = [:]
    private var connections: [SessionStateMachine.ConnectionID: ConnectionHandle] = [:]
    private var closingTasks: [SessionStateMachine.ConnectionID: Task<Void, Never>] = [:]
    private var timerTask: Task<Void, Never>?
    private var timerDeadline: Duration?
    private var tokenStoreTask: Task<Void, Never>?

    /// Makes a client; nothing happens until ``connect()``.
    ///
    /// - Parameters:
    ///   - configuration: endpoint, wire format, credentials, timeouts and limits.
    ///   - logger: receives connection and request lines; secrets appear only redacted.
    public init(configuration: CTraderClientConfiguration, logger: Logger = Logger(label: "ctrader.session")) {
        self.configuration = configuration
        self.logger = logger
        self.clock = configuration.clock
        self.connector = configuration.connector
        self.machine = SessionStateMachine(configuration: SessionStateMachine.Configuration(configuration))
    }

    // MARK: - Lifecycle

    /// Connects and authenticates the application (2100); returns once the session is ready.
    ///
    /// A failed connection attempt is retried with the reconnect policy.
    /// - Throws: ``CTraderError``: ``CTraderError/Code/authenticationFailed`` for wrong client
    ///   credentials (at once, no retries), ``CTraderError/Code/reconnectGaveUp``,
    ///   ``CTraderError/Code/shutdown``.
    public func connect() async throws {
        logger.info(
            "connecting",
            metadata: [
                "endpoint": "\(connector.description)",
                "credentials": "\(configuration.credentials)",
            ]
        )
        _ = try await perform { machine, id, now in machine.connect(id, now: now) }
    }

    /// Shuts down: pending requests fail with ``CTraderError/Code/shutdown`` (trading requests
    /// in flight with ``CTraderError/Code/outcomeUnknown``), the connection closes (WebSocket:
    /// code 1000), the streams finish. Returns once the connection is closed.
    public func shutdown() async {
        apply(machine.shutdown(now: clock.now()))
        timerTask?.cancel()
        timerTask = nil
        let closing = closingTasks.values
        closingTasks = [:]
        for task in closing { await task.value }
        await tokenStoreTask?.value
        diagnosticsHub.finish()
        logger.info("shut down")
    }

    /// Whether the session is connected, authenticated and restored.
    public var isReady: Bool { machine.isReady }

    /// The accounts authorized on the current connection.
    public var authorizedAccounts: [Int64] { machine.authorizedAccounts }

    // MARK: - Requests

    /// Sends a request and returns the answer's envelope (matched by `clientMsgId`).
    ///
    /// Requests over the rate limits wait in a bounded queue; requests made while reconnecting
    /// wait for the connection. A trading request (2106, 2108–2111) returns its first
    /// `ProtoOAExecutionEvent`; further events of the order arrive on ``executions(bufferSize:)``.
    ///
    /// A request the server refuses for a rate limit (`REQUEST_FREQUENCY_EXCEEDED`,
    /// `BLOCKED_PAYLOAD_TYPE`) is sent again once its `retryAfter` (or
    /// ``CTraderRateLimits/rateLimitRetryDelay``) has passed, within its timeout; a trading request
    /// is never sent again: it fails with that error. An answer that does not decode fails the
    /// request at once with ``CTraderError/Code/unexpectedResponse`` (a trading request:
    /// ``CTraderError/Code/outcomeUnknown``); it is on ``diagnostics(bufferSize:)``.
    ///
    /// - Parameters:
    ///   - request: the request message.
    ///   - timeout: this request's timeout, queueing included; default
    ///     ``CTraderClientConfiguration/requestTimeout``.
    /// - Throws: ``CTraderError``: ``CTraderError/Code/serverError`` (2142, 50),
    ///   ``CTraderError/Code/orderError`` (2132), ``CTraderError/Code/timeout``,
    ///   ``CTraderError/Code/connectionLost``, ``CTraderError/Code/outcomeUnknown`` (trading
    ///   requests: reconcile with `ProtoOAReconcileReq`; also a trading request whose task is
    ///   cancelled after it was sent), ``CTraderError/Code/notSent`` (a trading request still
    ///   queued when the connection dropped: certainly not executed; see
    ///   ``CTraderClientConfiguration/resendsUnsentTradingRequests``),
    ///   ``CTraderError/Code/queueFull``, ``CTraderError/Code/notConnected``,
    ///   ``CTraderError/Code/cancelled``.
    public func send(_ request: some CTraderMessage, timeout: Duration? = nil) async throws -> Envelope {
        try await perform { machine, id, now in machine.request(id, message: request, timeout: timeout, now: now) }
    }

    /// Sends a request and returns its answer as `Response`.
    ///
    /// - Throws: as ``send(_:timeout:)``, and ``CTraderError/Code/unexpectedResponse`` when the
    ///   answer is another type.
    public func send<Response: CTraderMessage>(
        _ request: some CTraderMessage,
        expecting: Response.Type,
        timeout: Duration? = nil
    ) async throws -> Response {
        let envelope = try await send(request, timeout: timeout)
        guard let response = envelope.message(as: Response.self) else {
            throw CTraderError(
                code: .unexpectedResponse,
                reason: "expected \(Response.messagePayloadType), got \(envelope.payloadType)",
                payloadType: type(of: request).messagePayloadType
            )
        }
        return response
    }

    /// Authorizes a trading account on this connection (2102); treats `ALREADY_LOGGED_IN` as
    /// success. With a refresh token, an invalid or expired access token is refreshed once
    /// (2173; the new pair is saved in ``CTraderClientConfiguration/tokenStorage`` and
    /// ``CTraderClientConfiguration/tokenStore``, and used only once saved) and authorization is
    /// tried again. A failed save fails with ``CTraderError/Code/tokenStoreFailed``. The account, and every subscription made for it, is restored after reconnects.
    ///
    /// - Throws: ``CTraderError``: ``CTraderError/Code/authenticationFailed`` for a token that
    ///   stays invalid; others as ``send(_:timeout:)``.
    @discardableResult
    public func authorize(
        account: Int64,
        accessToken: String,
        refreshToken: String? = nil,
        timeout: Duration? = nil
    ) async throws -> ProtoOAAccountAuthRes {
        logger.debug(
            "authorizing account",
            metadata: ["account": "\(account)", "accessToken": "\(CTraderSecret(accessToken))"]
        )
        let envelope = try await perform { machine, id, now in
            machine.authorize(
                id,
                account: account,
                accessToken: CTraderSecret(accessToken),
                refreshToken: refreshToken.map { CTraderSecret($0) },
                timeout: timeout,
                now: now
            )
        }
        return envelope.message(as: ProtoOAAccountAuthRes.self) ?? ProtoOAAccountAuthRes()
    }

    // MARK: - Streams

    /// A stream of any event type, with the ``CTraderOverflowPolicy/failStream`` policy.
    ///
    /// - Parameters:
    ///   - type: the event type.
    ///   - bufferSize: default ``CTraderClientConfiguration/streamBufferSize``.
    public nonisolated func events<Message: CTraderMessage>(
        _ type: Message.Type,
        bufferSize: Int? = nil
    ) -> CTraderEventStream<Message> {
        makeStream(policy: .failStream, bufferSize: bufferSize)
    }

    nonisolated func makeStream<Message: CTraderMessage>(
        policy: CTraderOverflowPolicy,
        bufferSize: Int?,
        filter: @escaping @Sendable (Message) -> Bool = { _ in true }
    ) -> CTraderEventStream<Message> {
        let buffer = EventBuffer<Message>(
            capacity: bufferSize ?? configuration.streamBufferSize,
            policy: policy,
            filter: filter
        )
        hub.add(buffer)
        return CTraderEventStream(buffer: buffer)
    }

    /// Registers an internal sink (the fill waiter's streams).
    nonisolated func addSink(_ sink: any EventSink) {
        hub.add(sink)
    }

    /// The number of event streams registered with the client: the streams that can still be
    /// read, and the internal waiters of ``placeOrder(_:until:timeout:)``. A stream leaves when it
    /// ends: when the client shuts down, when it fails, when the task waiting for it is cancelled,
    /// or once neither it nor an iterator of it is referenced any more. For diagnostics: a count
    /// that keeps growing means streams are created and kept but not read.
    public nonisolated var activeStreamCount: Int { hub.count }

    /// The session's status changes: connecting, ready, connection lost, reconnecting,
    /// reconnected (with the gap), failed, shut down. Keeps the newest `bufferSize` (default 100)
    /// when not consumed.
    public nonisolated func statusUpdates(bufferSize: Int = 100) -> AsyncStream<SessionStatus> {
        hub.statusStream(bufferSize: bufferSize)
    }

    // MARK: - Performing the machine's actions

    private func perform(
        _ start: (inout SessionStateMachine, SessionStateMachine.RequestID, Duration) -> [SessionStateMachine.Action]
    ) async throws -> Envelope {
        let id = SessionStateMachine.RequestID(nextRequestNumber)
        nextRequestNumber += 1
        let promise = FirstOutcome<Envelope>()
        promises[id] = promise
        apply(start(&machine, id, clock.now()))
        return try await withTaskCancellationHandler {
            try await promise.value()
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: SessionStateMachine.RequestID) {
        apply(machine.cancel(id, now: clock.now()))
    }

    private func apply(_ actions: [SessionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .openConnection(let id):
                open(id)
            case .closeConnection(let id):
                close(id)
            case .send(let envelope, let id):
                logger.trace(
                    "send",
                    metadata: [
                        "payloadType": "\(envelope.payloadType)", "clientMsgId": "\(envelope.clientMsgId ?? "-")",
                    ]
                )
                connections[id]?.writer.yield(envelope)
            case .complete(let id, let result):
                if case .failure(let error) = result {
                    logger.debug("request failed", metadata: ["request": "\(id)", "error": "\(error)"])
                }
                promises.removeValue(forKey: id)?.settle(result.mapError { $0 as any Error })
            case .emit(let envelope):
                hub.deliver(envelope)
            case .status(let status):
                logger.info("session \(status)")
                hub.status(status)
            case .storeTokens(let pair):
                // The account only: never a token, not even redacted.
                logger.info(
                    "saving a new token pair",
                    metadata: ["account": "\(pair.ctidTraderAccountId.map(String.init) ?? "-")"]
                )
                saveTokens(pair)
            case .finishStreams(let error):
                hub.finish(error)
                sessionEventHub.finish()
            case .sessionEvent(let event):
                sessionEventHub.emit(event)
            }
        }
        rescheduleTimer()
    }

    /// Saves `pair` in the configured stores, one save after the other, then tells the machine,
    /// which uses the pair only after a successful save.
    private func saveTokens(_ pair: CTraderTokenPair) {
        let stores = configuration.tokenStores
        let previous = tokenStoreTask
        let logger = logger
        tokenStoreTask = Task { [weak self] in
            await previous?.value
            do {
                for store in stores { try await store.save(pair) }
                await self?.tokenSaveEnded(pair, error: nil)
            } catch {
                logger.error(
                    "saving a new token pair failed; it is not used",
                    metadata: [
                        "account": "\(pair.ctidTraderAccountId.map(String.init) ?? "-")", "error": "\(error)",
                    ]
                )
                await self?.tokenSaveEnded(pair, error: error)
            }
        }
    }

    /// Waits until every pair given to the stores so far was saved, or its save failed.
    func tokenSavesEnded() async {
        await tokenStoreTask?.value
    }

    private func tokenSaveEnded(_ pair: CTraderTokenPair, error: (any Error)?) {
        if let error {
            apply(machine.tokenSaveFailed(pair, error: error, now: clock.now()))
        } else {
            apply(machine.tokensSaved(pair, now: clock.now()))
        }
    }

    private func rescheduleTimer() {
        let now = clock.now()
        let deadline = machine.nextDeadline(now: now)
        guard deadline != timerDeadline || timerTask == nil else { return }
        timerTask?.cancel()
        timerTask = nil
        timerDeadline = deadline
        guard let deadline else { return }
        let clock = self.clock
        timerTask = Task { [weak self] in
            do {
                try await clock.sleep(until: deadline)
            } catch {
                return
            }
            await self?.timerFired(deadline)
        }
    }

    private func timerFired(_ deadline: Duration) {
        guard timerDeadline == deadline else { return }
        timerTask = nil
        timerDeadline = nil
        apply(machine.tick(now: clock.now()))
    }

    // MARK: - Connections

    private func open(_ id: SessionStateMachine.ConnectionID) {
        let (stream, writer) = AsyncStream.makeStream(of: Envelope.self)
        let handle = ConnectionHandle(writer: writer)
        connections[id] = handle
        let connector = self.connector
        let logger = self.logger
        handle.openTask = Task { [weak self] in
            do {
                let channel = try await connector.open(logger: logger)
                await self?.opened(id, channel: channel, outbound: stream)
            } catch {
                await self?.closed(
                    id,
                    error: CTraderError(
                        code: .connectionFailed,
                        reason: "opening \(connector.description) failed: \(error)",
                        underlying: error
                    )
                )
            }
        }
    }

    private func opened(
        _ id: SessionStateMachine.ConnectionID,
        channel: any CTraderChannel,
        outbound: AsyncStream<Envelope>
    ) async {
        guard let handle = connections[id] else {
            await channel.close()
            return
        }
        handle.channel = channel
        handle.writeTask = Task { [weak self] in
            do {
                for await envelope in outbound {
                    try await channel.send(envelope)
                }
            } catch {
                await self?.closed(
                    id,
                    error: CTraderError(code: .connectionLost, reason: "sending failed: \(error)", underlying: error)
                )
            }
        }
        handle.readTask = Task { [weak self] in
            do {
                // A message that does not decode is skipped (see `diagnostics()`); only the
                // transport's and the protocol's errors end the connection.
                while let element = try await channel.next() {
                    guard let self else { return }
                    switch element {
                    case .envelope(let envelope): await self.received(envelope, on: id)
                    case .undecodable(let error, let bytes): await self.undecodable(error, bytes: bytes, on: id)
                    }
                }
                await self?.closed(
                    id,
                    error: CTraderError(code: .connectionLost, reason: "the server closed the connection")
                )
            } catch {
                await self?.closed(
                    id,
                    error: CTraderError(code: .connectionLost, reason: "receiving failed: \(error)", underlying: error)
                )
            }
        }
        logger.debug("connection open", metadata: ["connection": "\(id)"])
        apply(machine.connectionOpened(id, now: clock.now()))
    }

    private func received(_ envelope: Envelope, on id: SessionStateMachine.ConnectionID) {
        logger.trace(
            "received",
            metadata: ["payloadType": "\(envelope.payloadType)", "clientMsgId": "\(envelope.clientMsgId ?? "-")"]
        )
        if envelope.message == nil, PayloadRegistry.standard.messageType(for: envelope.payloadType) == nil {
            var error = MessagingError(
                code: .unknownPayloadType,
                reason: "payloadType \(envelope.payloadType.rawValue) is not in the catalogue"
            )
            error.payloadType = envelope.payloadType
            error.clientMsgId = envelope.clientMsgId
            // The envelope as JSON again (the channel keeps no bytes of a decoded message).
            let bytes = (try? JSONEnvelopeCodec().encode(envelope)) ?? envelope.rawPayload?.bytes ?? []
            report(CTraderDiagnostic(time: clock.now(), error: error, bytes: bytes))
        }
        apply(machine.received(envelope, on: id, now: clock.now()))
    }

    /// A message that did not decode: reported, and the request it answers (if readable) fails.
    private func undecodable(_ error: MessagingError, bytes: [UInt8], on id: SessionStateMachine.ConnectionID) {
        let diagnostic = CTraderDiagnostic(time: clock.now(), error: error, bytes: bytes)
        report(diagnostic)
        apply(machine.receivedUndecodable(diagnostic.error, on: id, now: clock.now()))
    }

    private func closed(_ id: SessionStateMachine.ConnectionID, error: CTraderError) {
        guard connections[id] != nil else { return }
        logger.debug("connection ended", metadata: ["connection": "\(id)", "error": "\(error)"])
        close(id)
        apply(machine.connectionClosed(id, error: error, now: clock.now()))
    }

    private func closeFinished(_ id: SessionStateMachine.ConnectionID) {
        closingTasks.removeValue(forKey: id)
    }

    private func close(_ id: SessionStateMachine.ConnectionID) {
        guard let handle = connections.removeValue(forKey: id) else { return }
        handle.writer.finish()
        closingTasks[id] = Task { [weak self] in
            await handle.writeTask?.value
            await handle.channel?.close()
            handle.readTask?.cancel()
            handle.openTask?.cancel()
            await self?.closeFinished(id)
        }
    }
}

/// One connection's tasks and channel; touched only on the client actor.
private final class ConnectionHandle: @unchecked Sendable {
    // @unchecked Sendable: mutated only by the owning actor; the closing task reads the
    // properties after the actor stopped changing them.
    let writer: AsyncStream<Envelope>.Continuation
    var channel: (any CTraderChannel)?
    var openTask: Task<Void, Never>?
    var readTask: Task<Void, Never>?
    var writeTask: Task<Void, Never>?

    init(writer: AsyncStream<Envelope>.Continuation) {
        self.writer = writer
    }
}
