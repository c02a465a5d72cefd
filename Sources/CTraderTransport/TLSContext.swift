import COpenSSL
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns an OpenSSL `SSL_CTX` built from a ``TLSConfiguration``; freed in `deinit`.
///
/// A configured `SSL_CTX` is safe to share across threads for `SSL_new`.
final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is only mutated in `init`; afterwards OpenSSL allows
    // concurrent SSL_new on it.
    let context: OpaquePointer
    let configuration: TLSConfiguration

    init(_ configuration: TLSConfiguration, logger: Logger) throws {
        self.configuration = configuration
        let method = configuration.role == .client ? TLS_client_method() : TLS_server_method()
        guard let context = SSL_CTX_new(method) else {
            throw TLSContext.error(.tlsConfigurationInvalid, "SSL_CTX_new failed")
        }
        self.context = context
        _ = COpenSSL_SSL_CTX_set_min_proto_version(context, configuration.minimumVersion.openSSLValue)
        // Partial writes let a large write proceed record by record; a moving buffer lets a retried
        // SSL_write pass the same bytes from a different address.
        _ = COpenSSL_SSL_CTX_set_mode(context, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))

        switch configuration.role {
        case .client:
            if configuration.certificateVerification.verifies {
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
                if configuration.trustsSystemRoots, SSL_CTX_set_default_verify_paths(context) != 1 {
                    throw TLSContext.error(.tlsConfigurationInvalid, "cannot load the system trust store")
                }
            } else {
                SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            }
            if let file = configuration.additionalTrustedCAFile, SSL_CTX_load_verify_locations(context, file, nil) != 1
            {
                throw TLSContext.error(.tlsConfigurationInvalid, "cannot load CA file \(file)")
            }
        case .server:
            guard let chain = configuration.certificateChainFile, let key = configuration.privateKeyFile else {
                throw TransportError(
                    .tlsConfigurationInvalid,
                    reason: "a TLS server needs a certificate chain file and a private key file")
            }
            if SSL_CTX_use_certificate_chain_file(context, chain) != 1 {
                throw TLSContext.error(.tlsConfigurationInvalid, "cannot load certificate chain \(chain)")
            }
            if SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) != 1 {
                throw TLSContext.error(.tlsConfigurationInvalid, "cannot load private key \(key)")
            }
            if SSL_CTX_check_private_key(context) != 1 {
                throw TLSContext.error(
                    .tlsConfigurationInvalid, "the private key \(key) does not match the certificate \(chain)")
            }
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// The errors drained from this thread's OpenSSL queue.
    struct QueuedErrors {
        /// The `SSL` library's reason codes (e.g. `SSL_R_UNEXPECTED_EOF_WHILE_READING`), in order.
        var sslReasons: [Int32] = []
        /// OpenSSL's reason strings, joined by `; ` (empty when the queue was empty).
        var text = ""

        /// Whether the `SSL` library reported `reason`.
        func contains(_ reason: Int32) -> Bool { sslReasons.contains(reason) }
    }

    /// Drains this thread's OpenSSL error queue into one line of reason strings.
    static func drainErrorQueue() -> String { drainErrors().text }

    /// Drains this thread's OpenSSL error queue, keeping the reason codes and their text.
    static func drainErrors() -> QueuedErrors {
        var errors = QueuedErrors()
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if COpenSSL_ERR_GET_LIB(code) == ERR_LIB_SSL { errors.sslReasons.append(COpenSSL_ERR_GET_REASON(code)) }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var text = [CChar](repeating: 0, count: 256)
                // safe because: passes the buffer with its size; OpenSSL NUL-terminates it.
                ERR_error_string_n(code, &text, text.count)
                reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        errors.text = reasons.joined(separator: "; ")
        return errors
    }

    /// An error with `message` followed by OpenSSL's reasons, if any.
    static func error(_ code: TransportError.Code, _ message: String) -> TransportError {
        let reasons = drainErrorQueue()
        return TransportError(code, reason: reasons.isEmpty ? message : "\(message): \(reasons)")
    }

    /// The specific cause named by an `SSL_get_verify_result` value other than `X509_V_OK`.
    static func certificateFailure(verifyResult result: Int) -> TransportError.TLSFailure {
        switch Int32(truncatingIfNeeded: result) {
        case X509_V_ERR_CERT_HAS_EXPIRED: .certificateExpired
        case X509_V_ERR_CERT_NOT_YET_VALID: .certificateNotYetValid
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: .certificateSelfSigned
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: .untrustedRoot
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            .issuerNotFound
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: .hostnameMismatch
        default: .certificateInvalid
        }
    }

    /// The `SSL` reasons that mean the two ends share no protocol version at or above the floor:
    /// the peer chose an older version (`VERSION_TOO_LOW`, `UNSUPPORTED_PROTOCOL`), or answered
    /// ours with a protocol_version alert.
    static let protocolVersionReasons: [Int32] = [
        SSL_R_VERSION_TOO_LOW, SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_UNSUPPORTED_SSL_VERSION,
        SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
    ]
}
