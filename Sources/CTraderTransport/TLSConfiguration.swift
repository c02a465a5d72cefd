/// How a TLS client or server is set up: trust, identity, protocol floor and timeouts.
///
/// Make one with ``client(trustedCAFile:certificateVerification:minimumVersion:handshakeTimeout:)``
/// or ``server(certificateChainFile:privateKeyFile:minimumVersion:handshakeTimeout:)``. The client
/// default verifies the server's chain against the system trust store and its name against the host
/// connected to (or the given server name), sends SNI and requires TLS 1.2 or later.
public struct TLSConfiguration: Sendable {
    /// Which end of the handshake this configuration is for.
    public enum Role: Sendable, Hashable {
        /// Connects, verifies the server.
        case client
        /// Accepts, presents a certificate.
        case server
    }

    /// Whether a client checks the server's certificate.
    public struct CertificateVerification: Sendable, Hashable, CustomStringConvertible {
        let verifies: Bool
        /// Verify the chain against the trusted roots and the name against the expected host (the default).
        public static let fullVerification = CertificateVerification(verifies: true)
        /// Accept any certificate. Only for tests against self-made servers; every connection made
        /// this way logs a warning.
        public static let insecureNoVerification = CertificateVerification(verifies: false)
        /// `fullVerification` or `insecureNoVerification`.
        public var description: String { verifies ? "fullVerification" : "insecureNoVerification" }
    }

    /// A TLS protocol version, as a floor.
    public struct ProtocolVersion: Sendable, Hashable, CustomStringConvertible {
        let openSSLValue: Int32
        /// TLS 1.2 (the default floor: cTrader's endpoints and every current server speak it or 1.3).
        public static let tls1_2 = ProtocolVersion(openSSLValue: 0x0303)
        /// TLS 1.3.
        public static let tls1_3 = ProtocolVersion(openSSLValue: 0x0304)
        /// `TLS 1.2` or `TLS 1.3`.
        public var description: String { openSSLValue == 0x0304 ? "TLS 1.3" : "TLS 1.2" }
    }

    /// The handshake timeout used when none is given: 10 seconds, generous for a slow network yet
    /// short enough that a stuck peer does not hold a connection slot for long.
    public static let defaultHandshakeTimeout: Duration = .seconds(10)

    /// How long ``TLSTransport/shutdownWrite()`` waits for room in the send buffer to send
    /// close_notify when none is set: 2 seconds, since a peer that reads nothing for that long is
    /// not going to read it.
    public static let defaultCloseNotifyTimeout: Duration = .seconds(2)

    /// How many server handshakes a ``TLSListener`` runs at once when none is set: 64, enough that
    /// slow or hostile clients holding handshakes open (each for up to ``handshakeTimeout``) do not
    /// delay the others, few enough to bound the memory and descriptors they can tie up.
    public static let defaultMaximumConcurrentHandshakes = 64

    /// Client or server.
    public var role: Role
    /// Client only: whether to check the server's certificate chain and name.
    public var certificateVerification: CertificateVerification
    /// Client only: trust the system's root certificates (`SSL_CTX_set_default_verify_paths`).
    public var trustsSystemRoots: Bool
    /// Client only: a PEM file of extra CA certificates to trust (e.g. a test CA).
    public var additionalTrustedCAFile: String?
    /// Server only: the PEM certificate chain, leaf first.
    public var certificateChainFile: String?
    /// Server only: the PEM private key of the leaf certificate.
    public var privateKeyFile: String?
    /// The lowest protocol version accepted.
    public var minimumVersion: ProtocolVersion
    /// How long a handshake may take before it fails with ``TransportError/Code/tlsHandshakeTimeout``.
    public var handshakeTimeout: Duration
    /// How long ``TLSTransport/shutdownWrite()`` may wait to send close_notify when the peer has
    /// stopped reading and the send buffer is full; past it, the call fails with
    /// ``TransportError/Code/tlsShutdownTimeout``. Default ``defaultCloseNotifyTimeout``.
    /// (``TLSTransport/close()`` never waits: it sends close_notify only if it fits at once.)
    public var closeNotifyTimeout: Duration = defaultCloseNotifyTimeout
    /// Server only: how many connections a ``TLSListener`` handshakes at once, counting those
    /// whose handshake is done but which ``TLSListener/accept()`` has not returned yet. When
    /// every slot is taken the listener stops accepting, and new clients wait in the kernel's
    /// listen backlog until a handshake ends or a connection is taken. At least 1 (a smaller value
    /// counts as 1). Default ``defaultMaximumConcurrentHandshakes``.
    public var maximumConcurrentHandshakes: Int = defaultMaximumConcurrentHandshakes

    /// A client configuration.
    ///
    /// - Parameters:
    ///   - trustedCAFile: A PEM file of CA certificates trusted in addition to the system's roots.
    ///   - certificateVerification: ``CertificateVerification/fullVerification`` (default); turning
    ///     it off must be explicit and is logged as a warning on every connection.
    ///   - minimumVersion: The protocol floor; default ``ProtocolVersion/tls1_2``.
    ///   - handshakeTimeout: Default ``defaultHandshakeTimeout``.
    public static func client(
        trustedCAFile: String? = nil,
        certificateVerification: CertificateVerification = .fullVerification,
        minimumVersion: ProtocolVersion = .tls1_2,
        handshakeTimeout: Duration = defaultHandshakeTimeout
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .client,
            certificateVerification: certificateVerification,
            trustsSystemRoots: true,
            additionalTrustedCAFile: trustedCAFile,
            certificateChainFile: nil,
            privateKeyFile: nil,
            minimumVersion: minimumVersion,
            handshakeTimeout: handshakeTimeout
        )
    }

    /// A server configuration presenting the certificate chain in `certificateChainFile`.
    ///
    /// - Parameters:
    ///   - certificateChainFile: PEM, leaf certificate first, then intermediates.
    ///   - privateKeyFile: PEM private key matching the leaf.
    ///   - minimumVersion: The protocol floor; default ``ProtocolVersion/tls1_2``.
    ///   - handshakeTimeout: Default ``defaultHandshakeTimeout``.
    public static func server(
        certificateChainFile: String,
        privateKeyFile: String,
        minimumVersion: ProtocolVersion = .tls1_2,
        handshakeTimeout: Duration = defaultHandshakeTimeout
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .server,
            certificateVerification: .fullVerification,
            trustsSystemRoots: false,
            additionalTrustedCAFile: nil,
            certificateChainFile: certificateChainFile,
            privateKeyFile: privateKeyFile,
            minimumVersion: minimumVersion,
            handshakeTimeout: handshakeTimeout
        )
    }
}
