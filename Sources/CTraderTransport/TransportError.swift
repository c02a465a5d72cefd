#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure of a transport: connecting, listening, reading, writing or a TLS handshake.
///
/// Match on ``code``; ``reason`` is a one-line explanation for people (for TLS it carries
/// OpenSSL's own reason string, e.g. `certificate verify failed: hostname mismatch`).
/// Two errors are equal when their codes are equal.
///
/// TLS handshake failures keep their coarse code (``Code/tlsCertificateVerificationFailed``,
/// ``Code/tlsHandshakeFailed``) and name the specific cause in ``tlsFailure``, e.g.
/// ``TLSFailure/certificateExpired`` or ``TLSFailure/protocolVersionTooOld``:
///
/// ```swift
/// catch let error as TransportError where error.tlsFailure == .certificateExpired { … }
/// ```
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as an open set of values: new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name, e.g. `connectionRefused`.
        public let rawValue: String

        /// Makes a code from its name.
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The code's name.
        public var description: String { rawValue }

        /// Nothing listens at the address (`ECONNREFUSED`), or an in-memory listener's backlog is full.
        public static let connectionRefused = Code("connectionRefused")
        /// The connect timeout passed before any address accepted the connection.
        public static let connectTimeout = Code("connectTimeout")
        /// The host name did not resolve to any address (`getaddrinfo` failed).
        public static let hostNotFound = Code("hostNotFound")
        /// The peer reset the connection or went away mid-stream (`ECONNRESET`, `EPIPE`, an injected reset).
        public static let connectionReset = Code("connectionReset")
        /// This side closed the transport or listener; the operation cannot proceed.
        public static let closed = Code("closed")
        /// The listener's address is taken (`EADDRINUSE`) or cannot be bound.
        public static let addressUnavailable = Code("addressUnavailable")
        /// The peer's certificate chain or name did not verify; ``TransportError/tlsFailure`` names
        /// the cause (expired, not yet valid, self-signed, untrusted root, issuer not found, host
        /// name mismatch, or ``TransportError/TLSFailure/certificateInvalid`` for any other).
        public static let tlsCertificateVerificationFailed = Code("tlsCertificateVerificationFailed")
        /// The TLS handshake failed for a reason other than certificate verification; when the
        /// cause is known, ``TransportError/tlsFailure`` names it (e.g.
        /// ``TransportError/TLSFailure/protocolVersionTooOld``).
        public static let tlsHandshakeFailed = Code("tlsHandshakeFailed")
        /// The TLS handshake did not finish within its timeout.
        public static let tlsHandshakeTimeout = Code("tlsHandshakeTimeout")
        /// The TLS configuration could not be applied (a missing or invalid certificate, key or CA file).
        public static let tlsConfigurationInvalid = Code("tlsConfigurationInvalid")
        /// A TLS record-layer failure after the handshake (e.g. a bad record MAC).
        public static let tlsProtocolError = Code("tlsProtocolError")
        /// The peer ended the TCP connection without first sending TLS close_notify, so the data
        /// read may have been cut short by an attacker (a truncation). Not a clean end of stream:
        /// a read returns `0` only after the peer's close_notify.
        public static let tlsTruncated = Code("tlsTruncated")
        /// TLS close_notify could not be sent within ``TLSConfiguration/closeNotifyTimeout``,
        /// typically because the peer stopped reading and the send buffer is full.
        public static let tlsShutdownTimeout = Code("tlsShutdownTimeout")
        /// Any other operating-system failure; ``TransportError/systemErrorNumber`` holds `errno`.
        public static let systemError = Code("systemError")
    }

    /// What went wrong.
    public let code: Code
    /// One line naming the cause, for people.
    public let reason: String
    /// The `errno` value behind the failure, when there is one.
    public let systemErrorNumber: Int32?
    /// For a TLS handshake or certificate failure, its specific cause when known; `nil` otherwise.
    /// Not part of equality, which compares ``code`` only.
    public let tlsFailure: TLSFailure?

    /// Makes an error.
    public init(_ code: Code, reason: String, systemErrorNumber: Int32? = nil, tlsFailure: TLSFailure? = nil) {
        self.code = code
        self.reason = reason
        self.systemErrorNumber = systemErrorNumber
        self.tlsFailure = tlsFailure
    }

    /// `code: reason`, or `code(tlsFailure): reason`, on one line.
    public var description: String {
        if let tlsFailure { return "\(code)(\(tlsFailure)): \(reason)" }
        return "\(code): \(reason)"
    }

    /// The specific cause of a TLS handshake failure, as an open set of values (new causes may be
    /// added without breaking callers). Mapped from OpenSSL's verify result
    /// (`SSL_get_verify_result`) and from the reason of the handshake's error.
    public struct TLSFailure: Hashable, Sendable, CustomStringConvertible {
        /// The cause's stable name, e.g. `certificateExpired`.
        public let rawValue: String

        /// Makes a cause from its name.
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The cause's name.
        public var description: String { rawValue }

        /// A certificate of the chain is past its `notAfter` date (`X509_V_ERR_CERT_HAS_EXPIRED`).
        public static let certificateExpired = TLSFailure("certificateExpired")
        /// A certificate of the chain is before its `notBefore` date (`X509_V_ERR_CERT_NOT_YET_VALID`).
        public static let certificateNotYetValid = TLSFailure("certificateNotYetValid")
        /// The server's certificate is self-signed and not trusted
        /// (`X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT`).
        public static let certificateSelfSigned = TLSFailure("certificateSelfSigned")
        /// The chain the server sent ends in a self-signed root that is not trusted
        /// (`X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN`).
        public static let untrustedRoot = TLSFailure("untrustedRoot")
        /// No trusted issuer was found for a certificate of the chain: the server left out an
        /// intermediate, or its CA is unknown (`X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY`,
        /// `…_UNABLE_TO_GET_ISSUER_CERT`, `…_UNABLE_TO_VERIFY_LEAF_SIGNATURE`).
        public static let issuerNotFound = TLSFailure("issuerNotFound")
        /// The certificate names neither the expected host nor the expected IP address
        /// (`X509_V_ERR_HOSTNAME_MISMATCH`, `X509_V_ERR_IP_ADDRESS_MISMATCH`).
        public static let hostnameMismatch = TLSFailure("hostnameMismatch")
        /// Any other certificate failure; ``TransportError/reason`` carries OpenSSL's text.
        public static let certificateInvalid = TLSFailure("certificateInvalid")
        /// The peer offers only protocol versions below the configured minimum
        /// (``TLSConfiguration/minimumVersion``), e.g. a server that speaks only TLS 1.1.
        public static let protocolVersionTooOld = TLSFailure("protocolVersionTooOld")
    }

    /// Compares codes only.
    public static func == (lhs: TransportError, rhs: TransportError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The transport or listener was closed by this side.
    static func closed(_ what: String = "transport") -> TransportError {
        TransportError(.closed, reason: "the \(what) is closed")
    }

    /// Maps an `errno` from a socket call to a code.
    static func system(_ number: Int32, while action: String) -> TransportError {
        let code: Code
        switch number {
        case ECONNREFUSED: code = .connectionRefused
        case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN: code = .connectionReset
        case ETIMEDOUT: code = .connectTimeout
        case EADDRINUSE, EADDRNOTAVAIL: code = .addressUnavailable
        default: code = .systemError
        }
        return TransportError(code, reason: "\(action): \(errnoDescription(number))", systemErrorNumber: number)
    }
}
