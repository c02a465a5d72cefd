public import CTraderTransport
public import Logging

/// A small WebSocket server: accepts transports from any `TransportListener`, completes the
/// server handshake on each, and hands every connection to a handler.
///
/// ```swift
/// let listener = try await TCPListener.bind(port: 0, logger: logger)
/// let server = WebSocketServer(listener: listener) { connection in
///     for await message in connection.messages {
///         try? await connection.send(message.data, opcode: message.opcode)
///     }
/// }
/// let serving = Task { await server.run() }
/// // …
/// await server.close()
/// await serving.value
/// ```
public final class WebSocketServer: Sendable {
    /// The listener connections come from.
    public let listener: any TransportListener
    /// The configuration each accepted connection uses.
    public let configuration: WebSocketConfiguration
    private let logger: Logger
    private let handler: @Sendable (WebSocketConnection) async -> Void

    /// Creates a server; call ``run()`` to serve.
    /// - Parameters:
    ///   - listener: where connections come from (TCP, TLS or in-memory).
    ///   - configuration: for every accepted connection.
    ///   - logger: receives `debug` lines (and an `info` line per failed handshake).
    ///   - handler: called once per connection, in its own task. When it returns, the
    ///     connection is closed with 1000 if it is still open.
    public init(
        listener: any TransportListener,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        logger: Logger = Logger(label: "ctrader.websocket.server"),
        handler: @escaping @Sendable (WebSocketConnection) async -> Void
    ) {
        self.listener = listener
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    /// The listener's port.
    public var port: Int { listener.port }

    /// Accepts connections until the listener is closed (``close()``) or the calling task is
    /// cancelled, then waits for every handler to return. Cancelling it cancels the handlers.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while true {
                let transport: any Transport
                do {
                    transport = try await listener.accept()
                } catch {
                    logger.debug("WebSocket server stops accepting", metadata: ["reason": "\(error)"])
                    return
                }
                group.addTask { [configuration, logger, handler] in
                    let connection: WebSocketConnection
                    do {
                        connection = try await WebSocketConnection.accept(
                            transport, configuration: configuration, logger: logger)
                    } catch {
                        logger.info("WebSocket handshake failed", metadata: ["error": "\(error)"])
                        return
                    }
                    await handler(connection)
                    await connection.close()
                }
            }
        }
    }

    /// Closes the listener: ``run()`` stops accepting and returns once the handlers returned.
    public func close() async {
        await listener.close()
    }
}
