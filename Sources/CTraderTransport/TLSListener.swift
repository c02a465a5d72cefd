public import Logging

/// Listens for TLS connections: a ``TCPListener`` whose connections complete a server handshake
/// before ``accept()`` returns them.
///
/// Handshakes run concurrently, so a slow or hostile client that dribbles its ClientHello holds
/// up no other: at most ``TLSConfiguration/maximumConcurrentHandshakes`` at a time (counting
/// connections handshaken but not yet returned by ``accept()``); past that the listener stops
/// accepting and new clients wait in the kernel's listen backlog.
///
/// A class because it owns the TCP listener, the OpenSSL context and the handshakes in progress.
public final class TLSListener: TransportListener {
    private let tcp: TCPListener
    private let context: TLSContext
    private let logger: Logger
    /// The accept loop and the handshakes in progress.
    let pool: TLSHandshakePool

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
        self.pool = TLSHandshakePool(
            tcp: listener, context: context, limit: configuration.maximumConcurrentHandshakes, logger: logger)
    }

    deinit {
        pool.cancel()
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
    /// The first call starts the listener's accept loop, which accepts TCP connections and
    /// handshakes them concurrently (at most ``TLSConfiguration/maximumConcurrentHandshakes`` at
    /// a time); connections are returned in the order their handshakes complete. A connection
    /// whose handshake fails or times out (after the configuration's `handshakeTimeout`) is
    /// logged at `info`, closed and skipped.
    ///
    /// - Throws: ``TransportError/Code/closed`` once ``close()`` was called, `CancellationError`
    ///   when the calling task is cancelled (handshakes in progress go on, for the next call), or
    ///   the error of a failed TCP accept (e.g. out of file descriptors).
    public func accept() async throws -> any Transport {
        try await acceptConnection()
    }

    /// ``accept()``, as the concrete type.
    public func acceptConnection() async throws -> TLSTransport {
        try await pool.next()
    }

    /// Accepts a TCP connection without handshaking; pass it to ``handshake(over:)``. For a server
    /// that runs its own handshakes: once ``accept()`` has been called, its accept loop competes
    /// for the same connections.
    public func acceptTCP() async throws -> TCPTransport {
        try await tcp.acceptConnection()
    }

    /// Completes a server handshake over `connection`, which the result then owns (it is closed on
    /// failure).
    public func handshake(over connection: TCPTransport) async throws -> TLSTransport {
        try await TLSTransport.accept(over: connection, context: context, logger: logger)
    }

    /// Stops listening; a pending accept ends with ``TransportError/Code/closed``. Handshakes in
    /// progress are cancelled and their connections closed, as are handshaken connections that
    /// ``accept()`` has not returned yet; it returns once they are.
    public func close() async {
        await pool.close()
    }
}
