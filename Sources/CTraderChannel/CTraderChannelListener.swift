// swift-ctrader: channels of envelopes, for both the client and the server role.

public import CTraderMessaging
public import CTraderTransport
public import CTraderWebSocket
public import Logging

/// Accepts channels for a server: wraps a `TransportListener` and turns each accepted transport
/// into a ``CTraderChannel`` (for WebSocket, after the server's opening handshake).
///
/// ```swift
/// let listener = CTraderChannelListener.protobuf(try await TCPListener.bind(host: "127.0.0.1", port: 0))
/// await listener.serve { channel in
///     while let element = try? await channel.next() { … }
/// }
/// ```
public final class CTraderChannelListener: Sendable {
    /// The wrapped listener.
    public let transportListener: any TransportListener
    /// What the channels speak, for logs: `websocket` or `protobuf`.
    public let wire: String
    private let makeChannel: @Sendable (any Transport) async throws -> any CTraderChannel
    private let logger: Logger

    /// A listener from a closure that turns an accepted transport into a channel (it owns the
    /// transport, and closes it when it throws).
    public init(
        _ transportListener: any TransportListener,
        wire: String,
        logger: Logger = Logger(label: "ctrader.channel"),
        makeChannel: @escaping @Sendable (any Transport) async throws -> any CTraderChannel
    ) {
        self.transportListener = transportListener
        self.wire = wire
        self.logger = logger
        self.makeChannel = makeChannel
    }

    /// JSON over WebSocket: each accepted transport goes through the server's opening handshake
    /// and becomes a ``WebSocketChannel``.
    ///
    /// - Parameters:
    ///   - listener: where the transports come from (TCP, TLS, in-memory).
    ///   - configuration: the WebSocket limits and extensions of every connection.
    ///   - codec: decodes what arrives (and encodes, unless `encoder` is given).
    ///   - encoder: writes the envelopes' JSON (valid UTF-8); `nil` uses `codec`.
    ///   - logger: receives `debug` lines (the connections' and failed handshakes').
    public static func webSocket(
        _ listener: any TransportListener,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        codec: JSONEnvelopeCodec = JSONEnvelopeCodec(),
        encoder: WebSocketChannel.Encoder? = nil,
        logger: Logger = Logger(label: "ctrader.channel")
    ) -> CTraderChannelListener {
        CTraderChannelListener(listener, wire: "websocket", logger: logger) { transport in
            let connection = try await WebSocketConnection.accept(
                transport, configuration: configuration, logger: logger)
            return WebSocketChannel(connection: connection, codec: codec, encoder: encoder)
        }
    }

    /// Protobuf frames: each accepted transport becomes a ``ProtobufChannel``.
    ///
    /// - Parameters:
    ///   - listener: where the transports come from (TCP, TLS, in-memory).
    ///   - registry: the payload registry; default `.standard`.
    ///   - maximumFrameLength: the largest frame accepted.
    ///   - readChunkSize: bytes asked of the transport per read.
    public static func protobuf(
        _ listener: any TransportListener,
        registry: PayloadRegistry = .standard,
        maximumFrameLength: Int = BinaryFrameDecoder.defaultMaximumFrameLength,
        readChunkSize: Int = 64 * 1024
    ) -> CTraderChannelListener {
        CTraderChannelListener(listener, wire: "protobuf") { transport in
            ProtobufChannel(
                transport: transport, registry: registry, maximumFrameLength: maximumFrameLength,
                readChunkSize: readChunkSize)
        }
    }

    /// The bound port.
    public var port: Int { transportListener.port }

    /// Accepts one transport and makes it a channel (the handshake, for WebSocket, runs in the
    /// caller's task; ``serve(_:)`` runs each in its own).
    ///
    /// - Throws: the listener's error (`TransportError.Code.closed` once closed), or the
    ///   handshake's.
    public func accept() async throws -> any CTraderChannel {
        try await makeChannel(try await transportListener.accept())
    }

    /// Accepts connections until the listener is closed (or the task cancelled): each in a child
    /// task, which makes the channel, runs `handler` with it, then closes it (a polite close that
    /// only waits when the handler already closed or aborted it). A connection whose handshake
    /// fails is logged and dropped. Returns once every handler returned.
    public func serve(_ handler: @escaping @Sendable (any CTraderChannel) async -> Void) async {
        await withDiscardingTaskGroup { group in
            while true {
                let transport: any Transport
                do {
                    transport = try await transportListener.accept()
                } catch {
                    return
                }
                group.addTask { [makeChannel, logger, wire] in
                    let channel: any CTraderChannel
                    do {
                        channel = try await makeChannel(transport)
                    } catch {
                        logger.debug("channel handshake failed", metadata: ["wire": "\(wire)", "error": "\(error)"])
                        await transport.close()
                        return
                    }
                    await handler(channel)
                    await channel.close()
                }
            }
        }
    }

    /// Stops accepting (connections already accepted stay open). Idempotent.
    public func close() async {
        await transportListener.close()
    }
}
