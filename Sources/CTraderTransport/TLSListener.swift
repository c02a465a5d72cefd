public import Logging

/// Listens for TLS connections: a ``TCPListener`` whose connections complete a server handshake
/// before ``accept()`` returns them.
///
/// A class because it owns the TCP listener and the OpenSSL context.
public final class TLSListener: TransportListener {
    private let tcp: TCPListener
    private let context: TLSContext
    private let logger: Logger

    /// The bound port.
    public var port: Int { tcp.port }
    /// The bound address, e.g. `127.0.0.1:50123`.
    public var localAddress: String { tcp.localAddress }

    /// Wraps `listener`, loading the certificate chain and key named in `configuration`.
    ///
    /// - Throws: ``TransportError/Code/tlsConfigurationInvalid`` (with OpenSSL's reason) when the
    ///   configuration is not a server one or its files cannot be loaded.
    public init(wrapping listener: TCPListener, configuration: TLSConfiguration, logger: Logger) throws {
        guard configuration.role == .server else {
            throw TransportError(.tlsConfigurationInvalid, reason: "a client configuration was given to a TLS listener")
        }
        self.tcp = listener
        self.context = try TLSContext(configuration, logger: logger)
        self.logger = logger
    }

    /// Binds a TCP listener (see ``TCPListener/bind(host:port:backlog:logger:)``) and wraps it.
    public static func bind(
        host: String = "127.0.0.1",
        port: Int,
        backlog: Int = TCPListener.defaultBacklog,
        configuration: TLSConfiguration,
        logger: Logger
    ) async throws -> TLSListener {
        let listener = try await TCPListener.bind(host: host, port: port, backlog: backlog, logger: logger)
        do {
            return try TLSListener(wrapping: listener, configuration: configuration, logger: logger)
        } catch {
            await listener.close()
            throw error
        }
    }

    /// Waits for the next connection whose handshake succeeds.
    ///
    /// A connection whose handshake fails or times out (after the configuration's
    /// `handshakeTimeout`) is logged at `info`, closed and skipped. Handshakes run one at a time
    /// here; a server that must not let one slow client delay the next can call
    /// ``acceptTCP()`` and ``handshake(over:)`` from separate tasks instead.
    public func accept() async throws -> any Transport {
        try await acceptConnection()
    }

    /// ``accept()``, as the concrete type.
    public func acceptConnection() async throws -> TLSTransport {
        while true {
            let connection = try await tcp.acceptConnection()
            do {
                return try await handshake(over: connection)
            } catch let error as TransportError {
                logger.info(
                    "TLS handshake failed", metadata: ["remote": "\(connection.remoteAddress)", "error": "\(error)"])
            }
        }
    }

    /// Accepts a TCP connection without handshaking; pass it to ``handshake(over:)``.
    public func acceptTCP() async throws -> TCPTransport {
        try await tcp.acceptConnection()
    }

    /// Completes a server handshake over `connection`, which the result then owns (it is closed on
    /// failure).
    public func handshake(over connection: TCPTransport) async throws -> TLSTransport {
        try await TLSTransport.accept(over: connection, context: context, logger: logger)
    }

    /// Stops listening; a pending accept ends with ``TransportError/Code/closed``.
    public func close() async {
        await tcp.close()
    }
}
