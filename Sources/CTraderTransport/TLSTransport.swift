import COpenSSL
public import Logging
import _CTraderLocking

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS over a ``TCPTransport``, with OpenSSL 3 working on the non-blocking socket directly.
///
/// `SSL_ERROR_WANT_READ` / `SSL_ERROR_WANT_WRITE` park the task on the module's poller, as for
/// plain TCP. Calls into the `SSL` object are serialised by a lock (never held across a
/// suspension), so one task may read while another writes.
///
/// A class because it owns an OpenSSL `SSL` object, freed in `deinit`.
public final class TLSTransport: Transport, @unchecked Sendable {
    // @unchecked Sendable: `ssl`, `hadFatalError` and `truncation` are only touched with `sslLock`
    // held; the rest is immutable and Sendable.
    let tcp: TCPTransport  // internal: tests reach the descriptor
    private let context: TLSContext
    private let ssl: OpaquePointer
    private let sslLock = Lock()
    /// Set (under `sslLock`) once OpenSSL reported a fatal error: SSL_shutdown must not follow one.
    private var hadFatalError = false
    /// Set (under `sslLock`) once the peer's stream ended without close_notify: every later call
    /// fails with it, so no later read can pass for a clean end of stream.
    private var truncation: TransportError?
    private let logger: Logger

    /// This end's address, e.g. `127.0.0.1:50123`.
    public var localAddress: String { tcp.localAddress }
    /// The peer's address, e.g. `127.0.0.1:5036`.
    public var remoteAddress: String { tcp.remoteAddress }

    /// The negotiated protocol, e.g. `TLSv1.3`.
    public var negotiatedProtocol: String {
        sslLock.withLock { String(cString: SSL_get_version(ssl)) }
    }

    private init(tcp: TCPTransport, context: TLSContext, logger: Logger) throws {
        guard let ssl = SSL_new(context.context) else {
            throw TLSContext.error(.tlsConfigurationInvalid, "SSL_new failed")
        }
        guard let bio = SocketBIO.make(descriptor: tcp.socket.descriptor) else {
            SSL_free(ssl)
            throw TLSContext.error(.tlsConfigurationInvalid, "BIO_new failed")
        }
        self.tcp = tcp
        self.context = context
        self.ssl = ssl
        self.logger = logger
        // safe because: the SSL takes the one reference to `bio` (read and write BIO are the same)
        // and frees it in SSL_free; the BIO never closes the descriptor, `SocketHandle` does, and
        // the SSL is used only while the handle's operations keep the descriptor open.
        SSL_set_bio(ssl, bio, bio)
    }

    deinit {
        SSL_free(ssl)
    }

    /// Connects over TCP to `host:port` and completes a client handshake.
    ///
    /// - Parameters:
    ///   - host: A name or numeric address, as for ``TCPTransport/connect(host:port:connectTimeout:logger:)``.
    ///   - port: The TCP port (cTrader: 5036).
    ///   - serverName: The name to verify and send as SNI; default `host`.
    ///   - configuration: Default ``TLSConfiguration/client(trustedCAFile:certificateVerification:minimumVersion:handshakeTimeout:)``
    ///     with its defaults (system roots, full verification, TLS 1.2+).
    ///   - connectTimeout: For the TCP connect; default ``TCPTransport/defaultConnectTimeout``.
    ///   - logger: Receives a warning when verification is off, and `debug` lines.
    /// - Throws: ``TransportError``: the TCP codes, ``TransportError/Code/tlsCertificateVerificationFailed``,
    ///   ``TransportError/Code/tlsHandshakeFailed``, ``TransportError/Code/tlsHandshakeTimeout`` or
    ///   ``TransportError/Code/tlsConfigurationInvalid``. A certificate or protocol-version failure
    ///   names its cause in ``TransportError/tlsFailure`` (e.g.
    ///   ``TransportError/TLSFailure/certificateExpired``).
    public static func connect(
        host: String,
        port: Int,
        serverName: String? = nil,
        configuration: TLSConfiguration = .client(),
        connectTimeout: Duration = TCPTransport.defaultConnectTimeout,
        logger: Logger
    ) async throws -> TLSTransport {
        let context = try makeClientContext(configuration, logger: logger)
        let tcp = try await TCPTransport.connect(host: host, port: port, connectTimeout: connectTimeout, logger: logger)
        return try await clientHandshake(over: tcp, serverName: serverName ?? host, context: context, logger: logger)
    }

    /// Completes a client handshake over an already connected TCP transport, which the result
    /// then owns (closing it on failure too).
    public static func connect(
        over tcp: TCPTransport,
        serverName: String,
        configuration: TLSConfiguration = .client(),
        logger: Logger
    ) async throws -> TLSTransport {
        let context: TLSContext
        do {
            context = try makeClientContext(configuration, logger: logger)
        } catch {
            await tcp.close()
            throw error
        }
        return try await clientHandshake(over: tcp, serverName: serverName, context: context, logger: logger)
    }

    private static func makeClientContext(_ configuration: TLSConfiguration, logger: Logger) throws -> TLSContext {
        guard configuration.role == .client else {
            throw TransportError(.tlsConfigurationInvalid, reason: "a server configuration was given to a TLS client")
        }
        if !configuration.certificateVerification.verifies {
            logger.warning(
                "TLS certificate verification is OFF (insecureNoVerification): the server is not authenticated")
        }
        return try TLSContext(configuration, logger: logger)
    }

    private static func clientHandshake(
        over tcp: TCPTransport,
        serverName: String,
        context: TLSContext,
        logger: Logger
    ) async throws -> TLSTransport {
        let transport: TLSTransport
        do {
            transport = try TLSTransport(tcp: tcp, context: context, logger: logger)
        } catch {
            await tcp.close()
            throw error
        }
        if let error = transport.configureClient(serverName: serverName) {
            await tcp.close()
            throw error
        }
        try await transport.handshake(expectedName: serverName)
        return transport
    }

    /// Completes a server handshake over an accepted TCP transport (see ``TLSListener``).
    static func accept(over tcp: TCPTransport, context: TLSContext, logger: Logger) async throws -> TLSTransport {
        let transport: TLSTransport
        do {
            transport = try TLSTransport(tcp: tcp, context: context, logger: logger)
        } catch {
            await tcp.close()
            throw error
        }
        transport.sslLock.withLock { SSL_set_accept_state(transport.ssl) }
        try await transport.handshake(expectedName: nil)
        return transport
    }

    /// Sets SNI and the expected name (or IP address) on a client `SSL`.
    private func configureClient(serverName: String) -> TransportError? {
        let verifies = context.configuration.certificateVerification.verifies
        let isIPAddress = Self.isIPAddress(serverName)
        let ok: Bool = sslLock.withLock {
            SSL_set_connect_state(ssl)
            // RFC 6066 forbids IP addresses in SNI.
            if !isIPAddress, COpenSSL_SSL_set_tlsext_host_name(ssl, serverName) != 1 { return false }
            guard verifies else { return true }
            if isIPAddress {
                return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1
            }
            return SSL_set1_host(ssl, serverName) == 1
        }
        return ok
            ? nil : TLSContext.error(.tlsConfigurationInvalid, "cannot set the expected server name \(serverName)")
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var scratch = [UInt8](repeating: 0, count: 16)
        // safe because: `scratch` has room for an IPv6 address (16 bytes).
        return scratch.withUnsafeMutableBytes {
            inet_pton(AF_INET, text, $0.baseAddress) == 1 || inet_pton(AF_INET6, text, $0.baseAddress) == 1
        }
    }

    // MARK: - Stepping OpenSSL

    /// The outcome of one non-blocking OpenSSL call.
    private enum Step {
        case done(Int)
        case wantRead
        case wantWrite
        case closedByPeer
        case failed(TransportError)
    }

    /// Runs one OpenSSL call under the lock and classifies its result. The error queue is
    /// thread-local, so it is cleared before and read right after, on the same thread. A
    /// truncation is kept: every later call fails with it without calling OpenSSL.
    private func step(_ action: String, _ call: (OpaquePointer) -> Int32) -> Step {
        sslLock.withLock {
            if let truncation { return .failed(truncation) }
            ERR_clear_error()
            let result = call(ssl)
            if result > 0 { return .done(Int(result)) }
            let number = currentErrno
            let code = SSL_get_error(ssl, result)
            if code == SSL_ERROR_SYSCALL || code == SSL_ERROR_SSL { hadFatalError = true }
            switch code {
            case SSL_ERROR_WANT_READ: return .wantRead
            case SSL_ERROR_WANT_WRITE: return .wantWrite
            case SSL_ERROR_ZERO_RETURN: return .closedByPeer
            case SSL_ERROR_SYSCALL:
                let errors = TLSContext.drainErrors()
                if !errors.text.isEmpty {
                    return .failed(TransportError(.tlsProtocolError, reason: "\(action): \(errors.text)"))
                }
                if number != 0 { return .failed(TransportError.system(number, while: action)) }
                // OpenSSL before 3 reports an EOF without close_notify this way.
                return .failed(recordTruncation(action))
            default:
                let errors = TLSContext.drainErrors()
                if errors.contains(SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                    return .failed(recordTruncation(action))
                }
                if TLSContext.protocolVersionReasons.contains(where: errors.contains) {
                    return .failed(
                        TransportError(
                            .tlsProtocolError,
                            reason:
                                "\(action): no common protocol version at or above \(context.configuration.minimumVersion) "
                                + "(the peer offers only older ones): \(errors.text)",
                            tlsFailure: .protocolVersionTooOld
                        ))
                }
                let text = errors.text.isEmpty ? "unknown OpenSSL error" : errors.text
                return .failed(TransportError(.tlsProtocolError, reason: "\(action): \(text)"))
            }
        }
    }

    /// Notes (under `sslLock`) that the peer's TCP stream ended without TLS close_notify.
    private func recordTruncation(_ action: String) -> TransportError {
        let error = TransportError(
            .tlsTruncated,
            reason: "\(action): the peer closed the connection without TLS close_notify (truncated)"
        )
        truncation = error
        return error
    }

    /// One non-blocking SSL_shutdown: sends close_notify. Its `0` ("sent; the peer's is still to
    /// come") is success here, and must not go through SSL_get_error.
    private func shutdownStep() -> Step {
        sslLock.withLock {
            guard !hadFatalError else {
                return .failed(TransportError(.tlsProtocolError, reason: "TLS shutdown after a fatal error"))
            }
            ERR_clear_error()
            let result = SSL_shutdown(ssl)
            if result >= 0 { return .done(Int(result)) }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_WRITE: return .wantWrite
            case SSL_ERROR_WANT_READ: return .wantRead
            default:
                return .failed(
                    TransportError(.tlsProtocolError, reason: "TLS shutdown: \(TLSContext.drainErrorQueue())"))
            }
        }
    }

    private func handshake(expectedName: String?) async throws {
        let deadline = ContinuousClock.now + context.configuration.handshakeTimeout
        do {
            try tcp.socket.begin()
            defer { tcp.socket.end() }
            while true {
                try Task.checkCancellation()
                let outcome = step("TLS handshake") { SSL_do_handshake($0) }
                do {
                    switch outcome {
                    case .done:
                        logger.debug(
                            "TLS handshake done",
                            metadata: ["remote": "\(remoteAddress)", "protocol": "\(negotiatedProtocol)"])
                        return
                    case .wantRead:
                        try await Poller.shared.wait(for: .readable, on: tcp.socket, deadline: deadline)
                    case .wantWrite:
                        try await Poller.shared.wait(for: .writable, on: tcp.socket, deadline: deadline)
                    case .closedByPeer:
                        throw Self.closedDuringHandshake(remoteAddress)
                    case .failed(let error):
                        throw classifyHandshakeFailure(error, expectedName: expectedName)
                    }
                } catch is PollerTimeout {
                    throw TransportError(
                        .tlsHandshakeTimeout,
                        reason:
                            "the TLS handshake with \(remoteAddress) did not finish within \(context.configuration.handshakeTimeout)"
                    )
                }
            }
        } catch {
            await tcp.close()
            throw error
        }
    }

    private static func closedDuringHandshake(_ remote: String) -> TransportError {
        TransportError(.tlsHandshakeFailed, reason: "the peer \(remote) closed the connection during the TLS handshake")
    }

    /// Turns a failed handshake into ``TransportError/Code/tlsHandshakeFailed``, or for a client
    /// whose check of the certificate failed, into ``TransportError/Code/tlsCertificateVerificationFailed``
    /// naming OpenSSL's verify result, e.g. `certificate verify failed: hostname mismatch`; either
    /// way ``TransportError/tlsFailure`` names the cause when it is known.
    private func classifyHandshakeFailure(_ error: TransportError, expectedName: String?) -> TransportError {
        let handshakeFailed = TransportError(
            .tlsHandshakeFailed,
            reason: error.reason,
            systemErrorNumber: error.systemErrorNumber,
            tlsFailure: error.tlsFailure
        )
        guard let expectedName else {
            return error.code == .tlsTruncated ? Self.closedDuringHandshake(remoteAddress) : handshakeFailed
        }
        let result = sslLock.withLock { SSL_get_verify_result(ssl) }
        guard result != X509_V_OK else {
            switch error.code {
            case .tlsTruncated:
                // As before truncation had a code of its own: a client sees the server's FIN
                // during the handshake as a reset connection.
                let reason = "the server \(remoteAddress) closed the connection during the TLS handshake"
                return TransportError(.connectionReset, reason: reason)
            case .tlsProtocolError: return handshakeFailed
            default: return error
            }
        }
        let text = X509_verify_cert_error_string(result).map { String(cString: $0) } ?? "verify error \(result)"
        return TransportError(
            .tlsCertificateVerificationFailed,
            reason: "certificate verify failed: \(text) (server \(remoteAddress), expected name \(expectedName))",
            tlsFailure: TLSContext.certificateFailure(verifyResult: result)
        )
    }

    // MARK: - Transport

    /// The largest plaintext handed to OpenSSL per read call (a TLS record holds at most 16 KiB).
    private static let maxReadChunk = 1 << 16

    /// Reads at least one and at most `maxLength` decrypted bytes into the end of `buffer`; `0`
    /// once the peer sent close_notify.
    ///
    /// - Throws: ``TransportError/Code/tlsTruncated`` when the peer's TCP stream ends without
    ///   close_notify (the data may have been cut short), the TCP codes,
    ///   ``TransportError/Code/tlsProtocolError``, ``TransportError/Code/closed``, or `CancellationError`.
    public func read(into buffer: inout [UInt8], maxLength: Int) async throws -> Int {
        precondition(maxLength > 0, "maxLength must be positive")
        try tcp.socket.begin()
        defer { tcp.socket.end() }
        let length = min(maxLength, Self.maxReadChunk)
        while true {
            try Task.checkCancellation()
            // safe because: SSL_read writes at most `length` bytes into the temporary, and only the
            // bytes it reports are copied out; the pointer does not escape the closure.
            let outcome = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { scratch in
                let outcome = step("TLS read") { SSL_read($0, scratch.baseAddress, Int32(length)) }
                if case .done(let count) = outcome {
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
                }
                return outcome
            }
            switch outcome {
            case .done(let count): return count
            case .closedByPeer: return 0
            case .wantRead: try await Poller.shared.wait(for: .readable, on: tcp.socket)
            case .wantWrite: try await Poller.shared.wait(for: .writable, on: tcp.socket)
            case .failed(let error): throw error
            }
        }
    }

    /// Encrypts and writes all of `bytes`, waiting whenever the kernel's send buffer is full.
    public func write(_ bytes: ArraySlice<UInt8>) async throws {
        try tcp.socket.begin()
        defer { tcp.socket.end() }
        var remaining = bytes
        while !remaining.isEmpty {
            try Task.checkCancellation()
            let count = Int32(clamping: remaining.count)
            // safe because: SSL_write reads at most `count` bytes of the slice's own storage.
            let outcome = remaining.withUnsafeBytes { raw in step("TLS write") { SSL_write($0, raw.baseAddress, count) }
            }
            switch outcome {
            case .done(let written): remaining = remaining.dropFirst(written)
            case .wantRead: try await Poller.shared.wait(for: .readable, on: tcp.socket)
            case .wantWrite: try await Poller.shared.wait(for: .writable, on: tcp.socket)
            case .closedByPeer:
                throw TransportError(.connectionReset, reason: "TLS write: the peer closed the TLS session")
            case .failed(let error): throw error
            }
        }
    }

    /// Sends close_notify, then half-closes TCP: the peer reads end of stream; this side can still
    /// read until the peer's close_notify.
    ///
    /// Waits for room in the send buffer at most ``TLSConfiguration/closeNotifyTimeout``.
    /// - Throws: ``TransportError/Code/tlsShutdownTimeout`` when close_notify could not be sent in
    ///   that time (the peer stopped reading); the transport should then be closed.
    public func shutdownWrite() async throws {
        try tcp.socket.begin()
        defer { tcp.socket.end() }
        let timeout = context.configuration.closeNotifyTimeout
        let deadline = ContinuousClock.now + timeout
        sending: while true {
            switch shutdownStep() {
            case .done, .closedByPeer: break sending
            case .wantWrite:
                do {
                    try await Poller.shared.wait(for: .writable, on: tcp.socket, deadline: deadline)
                } catch is PollerTimeout {
                    throw TransportError(
                        .tlsShutdownTimeout,
                        reason:
                            "TLS shutdown: close_notify could not be sent within \(timeout): the peer is not reading")
                }
            case .wantRead:
                break sending  // Sent; only the peer's close_notify is outstanding.
            case .failed(let error):
                throw error
            }
        }
        if systemShutdown(tcp.socket.descriptor, Int32(SHUT_WR)) != 0 {
            throw TransportError.system(currentErrno, while: "shutdown")
        }
    }

    /// Sends close_notify if it can without waiting (best effort), then closes the socket; pending
    /// reads and writes end with ``TransportError/Code/closed``. Never waits for the peer, so it
    /// returns promptly even when the peer stopped reading.
    public func close() async {
        if (try? tcp.socket.begin()) != nil {
            let canShutDown = sslLock.withLock { !hadFatalError && SSL_is_init_finished(ssl) == 1 }
            if canShutDown {
                _ = shutdownStep()
            }
            tcp.socket.end()
        }
        await tcp.close()
    }
}
