public import CTraderFraming
public import CTraderTransport
public import Logging
import _CTraderLocking

/// One established WebSocket connection (RFC 6455) over any `Transport`, in the client or the
/// server role.
///
/// Make one with ``connect(to:configuration:tls:extraHeaders:logger:)`` (a `ws://` or `wss://`
/// URL), ``connect(over:host:target:configuration:extraHeaders:logger:)`` (an existing transport,
/// e.g. an in-memory pair in tests) or ``accept(_:configuration:logger:)`` (the server role).
///
/// ```swift
/// let connection = try await WebSocketConnection.connect(to: "wss://live.ctraderapi.com:5036")
/// try await connection.send(text: #"{"payloadType": 2106}"#)
/// for await message in connection.messages {
///     print(message.text ?? "\(message.data.count) bytes")
/// }
/// print(await connection.waitUntilClosed())
/// ```
///
/// A read task per connection drives a ``WebSocketConnectionStateMachine``: pings are answered
/// at once (even in the middle of a fragmented message), a close frame is echoed, and a protocol
/// error fails the connection with the close code RFC 6455 names for it. Sends are serialized:
/// data messages never interleave, and a pong or close frame waits at most for the frame being
/// written.
///
/// Releasing the last reference to an open connection closes its transport without a closing
/// handshake; call ``close(code:reason:)`` for a clean close.
public final class WebSocketConnection: Sendable {
    let core: WebSocketConnectionCore

    /// Server role: the request target the client asked for (path and query, e.g.
    /// `/runCase?case=3&agent=x`); `nil` in the client role.
    public let requestTarget: String?
    /// The `Sec-WebSocket-Extensions` value in force (e.g. `permessage-deflate; server_no_context_takeover`),
    /// or `nil` when no extension was negotiated.
    public let negotiatedExtensions: String?
    /// Server role: the header fields of the client's opening handshake request (e.g. its
    /// `User-Agent`); `nil` in the client role.
    public let requestHeaders: WebSocketHTTPHeaders?
    /// This end's role.
    public var role: WebSocketRole { core.role }
    /// The transport's local address.
    public var localAddress: String { core.transport.localAddress }
    /// The transport's remote address.
    public var remoteAddress: String { core.transport.remoteAddress }

    init(
        core: WebSocketConnectionCore, requestTarget: String?, negotiatedExtensions: String?,
        requestHeaders: WebSocketHTTPHeaders? = nil
    ) {
        self.core = core
        self.requestTarget = requestTarget
        self.negotiatedExtensions = negotiatedExtensions
        self.requestHeaders = requestHeaders
    }

    deinit {
        core.abandon()
    }

    // MARK: - Client

    /// Connects to a `ws://` or `wss://` URL and completes the opening handshake.
    ///
    /// - Parameters:
    ///   - url: `ws://host[:port][/path][?query]` or `wss://…`; the default ports are 80 and 443;
    ///     an IPv6 host is written in brackets.
    ///   - configuration: limits and behaviour; its ``WebSocketConfiguration/perMessageDeflateOffer``
    ///     decides the extension offer.
    ///   - tls: for `wss`, the TLS client configuration; default `.client()` (system roots, full
    ///     verification).
    ///   - extraHeaders: header fields added to the upgrade request (e.g. `User-Agent`).
    ///   - logger: receives `debug` lines; default label `ctrader.websocket`.
    /// - Throws: ``WebSocketError`` with ``WebSocketError/Code/invalidURL``,
    ///   ``WebSocketError/Code/transportFailed`` (TCP or TLS), ``WebSocketError/Code/handshakeFailed``
    ///   or ``WebSocketError/Code/handshakeTimeout``; `CancellationError` when cancelled.
    public static func connect(
        to url: String,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        tls: TLSConfiguration = .client(),
        extraHeaders: [(String, String)] = [],
        logger: Logger = Logger(label: "ctrader.websocket")
    ) async throws -> WebSocketConnection {
        let parsed = try WebSocketURL(parsing: url)
        let transport: any Transport
        do {
            if parsed.isSecure {
                transport = try await TLSTransport.connect(
                    host: parsed.host, port: parsed.port, configuration: tls, logger: logger)
            } else {
                transport = try await TCPTransport.connect(host: parsed.host, port: parsed.port, logger: logger)
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            throw WebSocketError.transport(error, while: "connecting to \(parsed.host):\(parsed.port)")
        }
        return try await clientHandshake(
            over: transport,
            host: parsed.host,
            port: parsed.hasExplicitPort ? parsed.port : nil,
            isSecure: parsed.isSecure,
            target: parsed.target,
            configuration: configuration,
            extraHeaders: extraHeaders,
            logger: logger
        )
    }

    /// Completes a client opening handshake over an already connected transport, which the
    /// connection then owns (it is closed on failure too).
    ///
    /// - Parameters:
    ///   - transport: the connected transport (TCP, TLS or in-memory).
    ///   - host: the Host header's value (a name, an address, or `name:port`).
    ///   - target: the request target, path and query; default `/`.
    ///   - configuration: limits and behaviour.
    ///   - extraHeaders: header fields added to the upgrade request.
    ///   - logger: receives `debug` lines.
    /// - Throws: ``WebSocketError`` (``WebSocketError/Code/transportFailed``,
    ///   ``WebSocketError/Code/handshakeFailed``, ``WebSocketError/Code/handshakeTimeout``), or
    ///   `CancellationError`.
    public static func connect(
        over transport: any Transport,
        host: String,
        target: String = "/",
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        extraHeaders: [(String, String)] = [],
        logger: Logger = Logger(label: "ctrader.websocket")
    ) async throws -> WebSocketConnection {
        try await clientHandshake(
            over: transport, host: host, port: nil, isSecure: false, target: target,
            configuration: configuration, extraHeaders: extraHeaders, logger: logger)
    }

    private static func clientHandshake(
        over transport: any Transport,
        host: String,
        port: Int?,
        isSecure: Bool,
        target: String,
        configuration: WebSocketConfiguration,
        extraHeaders: [(String, String)],
        logger: Logger
    ) async throws -> WebSocketConnection {
        var headers = WebSocketHTTPHeaders()
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if let userAgent = configuration.userAgent, !headers.contains("User-Agent") {
            headers.add(name: "User-Agent", value: userAgent)
        }
        let handshake = WebSocketClientHandshake(
            host: host, port: port, isSecure: isSecure, target: target,
            extensionOffer: configuration.perMessageDeflateOffer, extraHeaders: headers)
        let maxHeader = configuration.maxHandshakeHeaderSize
        do {
            let (accepted, remainder) = try await withHandshakeTimeout(configuration.handshakeTimeout) {
                try await transport.write(handshake.requestBytes)
                var parser = WebSocketHandshakeResponseParser(maximumHeaderSize: maxHeader)
                var buffer: [UInt8] = []
                while true {
                    buffer.removeAll(keepingCapacity: true)
                    if try await transport.read(into: &buffer, maxLength: 4096) == 0 {
                        throw WebSocketError(
                            code: .handshakeFailed,
                            detail: "the server closed the connection during the opening handshake")
                    }
                    if let parsed = try parser.parse(buffer) {
                        return (try handshake.validate(parsed.response), parsed.remainder)
                    }
                }
            }
            let inflater = try accepted.perMessageDeflate?.makeInflater(for: .client)
            let deflater = try accepted.perMessageDeflate.map { try configuration.makeDeflater($0, for: .client) }
            let core = WebSocketConnectionCore(
                transport: transport, role: .client, configuration: configuration, deflater: deflater, logger: logger)
            let reader = WebSocketFrameReader(
                role: .client, maxFrameSize: configuration.maxFrameSize, maxMessageSize: configuration.maxMessageSize,
                maxFragmentCount: configuration.maxFragmentCount, inflater: inflater)
            core.start(reader: reader, initialBytes: remainder)
            logger.debug(
                "WebSocket connected",
                metadata: [
                    "target": "\(target)", "extensions": "\(accepted.perMessageDeflate.map { "\($0)" } ?? "none")",
                ])
            return WebSocketConnection(
                core: core, requestTarget: nil, negotiatedExtensions: accepted.perMessageDeflate.map { "\($0)" })
        } catch {
            await transport.close()
            throw handshakeError(error)
        }
    }

    // MARK: - Server

    /// Completes a server opening handshake over an accepted transport, which the connection then
    /// owns.
    ///
    /// A request that is not a valid WebSocket upgrade is answered with a 4xx response naming
    /// the problem (426 for an unsupported version, 400 otherwise), the transport is closed and
    /// ``WebSocketError/Code/handshakeFailed`` is thrown.
    ///
    /// - Parameters:
    ///   - transport: the accepted transport.
    ///   - configuration: limits and behaviour; its ``WebSocketConfiguration/perMessageDeflateAccept``
    ///     decides compression.
    ///   - logger: receives `debug` lines.
    /// - Throws: ``WebSocketError`` (``WebSocketError/Code/transportFailed``,
    ///   ``WebSocketError/Code/handshakeFailed``, ``WebSocketError/Code/handshakeTimeout``), or
    ///   `CancellationError`.
    public static func accept(
        _ transport: any Transport,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        logger: Logger = Logger(label: "ctrader.websocket")
    ) async throws -> WebSocketConnection {
        let serverHandshake = WebSocketServerHandshake(perMessageDeflate: configuration.perMessageDeflateAccept)
        let maxHeader = configuration.maxHandshakeHeaderSize
        do {
            let (accepted, remainder) = try await withHandshakeTimeout(configuration.handshakeTimeout) {
                var parser = WebSocketHandshakeRequestParser(maximumHeaderSize: maxHeader)
                var buffer: [UInt8] = []
                while true {
                    buffer.removeAll(keepingCapacity: true)
                    if try await transport.read(into: &buffer, maxLength: 4096) == 0 {
                        throw WebSocketError(
                            code: .handshakeFailed,
                            detail: "the client closed the connection during the opening handshake")
                    }
                    do {
                        if let parsed = try parser.parse(buffer) {
                            let accepted = try serverHandshake.accept(parsed.request)
                            try await transport.write(accepted.responseBytes)
                            return (accepted, parsed.remainder)
                        }
                    } catch let error as WebSocketHandshakeError {
                        try? await transport.write(WebSocketServerHandshake.rejectionBytes(for: error))
                        throw error
                    }
                }
            }
            let inflater = try accepted.perMessageDeflate?.makeInflater(for: .server)
            let deflater = try accepted.perMessageDeflate.map { try configuration.makeDeflater($0, for: .server) }
            let core = WebSocketConnectionCore(
                transport: transport, role: .server, configuration: configuration, deflater: deflater, logger: logger)
            let reader = WebSocketFrameReader(
                role: .server, maxFrameSize: configuration.maxFrameSize, maxMessageSize: configuration.maxMessageSize,
                maxFragmentCount: configuration.maxFragmentCount, inflater: inflater)
            core.start(reader: reader, initialBytes: remainder)
            logger.debug(
                "WebSocket accepted",
                metadata: [
                    "target": "\(accepted.request.target)",
                    "extensions": "\(accepted.perMessageDeflate.map { "\($0)" } ?? "none")",
                ])
            return WebSocketConnection(
                core: core, requestTarget: accepted.request.target,
                negotiatedExtensions: accepted.perMessageDeflate.map { "\($0)" },
                requestHeaders: accepted.request.headers)
        } catch {
            await transport.close()
            throw handshakeError(error)
        }
    }

    // MARK: - Sending

    /// Sends a text message.
    /// - Throws: ``WebSocketError`` with ``WebSocketError/Code/connectionClosed`` once a close
    ///   frame was sent or the connection is closed; ``WebSocketError/Code/transportFailed`` when
    ///   the write fails.
    public func send(text: String) async throws {
        try await core.send(Array(text.utf8)[...], opcode: .text, fragmentSize: nil)
    }

    /// Sends a data message.
    ///
    /// - Parameters:
    ///   - bytes: the message's data (for `.text`, valid UTF-8 is the caller's promise).
    ///   - opcode: `.binary` (the default) or `.text`.
    ///   - fragmentSize: split the message into frames of at most this many payload bytes
    ///     (after compression); `nil` (the default) sends one frame. Control frames (pongs)
    ///     may go out between the fragments, other data messages never do.
    /// - Throws: ``WebSocketError``: ``WebSocketError/Code/invalidFrame`` for another opcode,
    ///   ``WebSocketError/Code/connectionClosed``, ``WebSocketError/Code/transportFailed``,
    ///   ``WebSocketError/Code/compressionFailed``.
    public func send(_ bytes: [UInt8], opcode: WebSocketOpcode = .binary, fragmentSize: Int? = nil) async throws {
        try await core.send(bytes[...], opcode: opcode, fragmentSize: fragmentSize)
    }

    /// Sends a ping; the peer answers with a pong (pongs are consumed by the connection).
    /// - Parameter payload: at most 125 bytes; empty by default.
    /// - Throws: ``WebSocketError``: ``WebSocketError/Code/invalidFrame`` for a longer payload,
    ///   ``WebSocketError/Code/connectionClosed``.
    public func ping(_ payload: [UInt8] = []) async throws {
        try await core.ping(payload)
    }

    // MARK: - Receiving

    /// The received messages, in order; the sequence ends (returns `nil`) once the connection is
    /// closed and every buffered message was taken.
    ///
    /// Single consumer: one iterator at a time takes the messages; another iterator made while it
    /// exists ends at once (``WebSocketMessageStream/AsyncIterator/failure`` is
    /// ``WebSocketError/Code/alreadyConsumed``) and the first keeps working. Cancelling the task
    /// that waits for a message ends its iteration (`nil`) without closing the connection.
    public var messages: WebSocketMessageStream { WebSocketMessageStream(connection: self) }

    // MARK: - Closing

    /// Performs the closing handshake (RFC 6455 §7) and returns once the transport is closed:
    /// when the peer answered, or after ``WebSocketConfiguration/closeTimeout``. Does nothing more
    /// than wait when the connection is already closing or closed.
    /// - Parameters:
    ///   - code: the status code; default 1000 (`normalClosure`).
    ///   - reason: the reason, cut to 123 UTF-8 bytes; empty by default.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async {
        _ = await core.close(code: code, reason: reason)
    }

    /// Drops the connection without a closing handshake: closes the transport (a server that
    /// drops a misbehaving client, a test of how a peer copes). Idempotent.
    public func abort() async {
        await core.transport.close()
    }

    /// How the connection ended; `nil` while the transport is open (also during the closing
    /// handshake).
    public var closeStatus: WebSocketCloseStatus? {
        get async { core.finalStatus }
    }

    /// Waits until the transport is closed and returns how the connection ended.
    public func waitUntilClosed() async -> WebSocketCloseStatus {
        await core.waitUntilClosed()
    }

    // MARK: - Helpers

    private static func handshakeError(_ error: any Error) -> any Error {
        switch error {
        case is CancellationError: return error
        case let error as WebSocketError: return error
        case let error as WebSocketHandshakeError:
            return WebSocketError(
                code: .handshakeFailed, detail: "opening handshake failed: \(error.detail)", underlying: error)
        case let error as WebSocketFramingError:
            return WebSocketError(
                code: .handshakeFailed, detail: "cannot set up the negotiated extensions", underlying: error)
        default:
            return WebSocketError.transport(error, while: "opening handshake")
        }
    }

    /// Runs `body`, failing with ``WebSocketError/Code/handshakeTimeout`` after `timeout`.
    private static func withHandshakeTimeout<T: Sendable>(
        _ timeout: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withTimeout(
            timeout,
            timeoutError: { WebSocketError(code: .handshakeTimeout, detail: "no opening handshake within \(timeout)") },
            body
        )
    }
}
