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
        /// The peer's certificate chain or name did not verify.
        public static let tlsCertificateVerificationFailed = Code("tlsCertificateVerificationFailed")
        /// The TLS handshake failed for a reason other than certificate verification.
        public static let tlsHandshakeFailed = Code("tlsHandshakeFailed")
        /// The TLS handshake did not finish within its timeout.
        public static let tlsHandshakeTimeout = Code("tlsHandshakeTimeout")
        /// The TLS configuration could not be applied (a missing or invalid certificate, key or CA file).
        public static let tlsConfigurationInvalid = Code("tlsConfigurationInvalid")
        /// A TLS record-layer failure after the handshake (e.g. a bad record MAC, a missing close_notify).
        public static let tlsProtocolError = Code("tlsProtocolError")
        /// Any other operating-system failure; ``TransportError/systemErrorNumber`` holds `errno`.
        public static let systemError = Code("systemError")
    }

    /// What went wrong.
    public let code: Code
    /// One line naming the cause, for people.
    public let reason: String
    /// The `errno` value behind the failure, when there is one.
    public let systemErrorNumber: Int32?

    /// Makes an error.
    public init(_ code: Code, reason: String, systemErrorNumber: Int32? = nil) {
        self.code = code
        self.reason = reason
        self.systemErrorNumber = systemErrorNumber
    }

    /// `code: reason`, on one line.
    public var description: String { "\(code): \(reason)" }

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
