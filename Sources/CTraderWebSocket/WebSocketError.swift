public import CTraderFraming
public import CTraderTransport

/// A failure of a ``WebSocketConnection`` operation: connecting, the opening handshake, or
/// sending on a connection that is closing or closed.
///
/// An open error struct: match on ``code``, which can grow without breaking callers; ``detail``
/// says what happened, and ``underlying`` holds the cause when another layer reported it (a
/// `TransportError`, a `WebSocketHandshakeError` or a `WebSocketFramingError`). The
/// ``description`` is one line naming the cause. Two errors are equal when their codes are equal.
public struct WebSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Creates a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// The URL is not a `ws://` or `wss://` URL with a host.
        public static let invalidURL = Code(rawValue: "invalidURL")
        /// The transport failed: connecting, TLS, or reading and writing during the handshake
        /// (``WebSocketError/underlying`` is the `TransportError`).
        public static let transportFailed = Code(rawValue: "transportFailed")
        /// The opening handshake failed: the peer's HTTP answer or request was not a valid
        /// WebSocket upgrade (``WebSocketError/underlying`` is the `WebSocketHandshakeError`), or the
        /// connection ended before the handshake completed.
        public static let handshakeFailed = Code(rawValue: "handshakeFailed")
        /// The opening handshake did not complete within ``WebSocketConfiguration/handshakeTimeout``.
        public static let handshakeTimeout = Code(rawValue: "handshakeTimeout")
        /// The connection is closing or closed: no data can be sent (RFC 6455 §5.5.1).
        public static let connectionClosed = Code(rawValue: "connectionClosed")
        /// The arguments describe a frame RFC 6455 forbids (an opcode that is not text or binary,
        /// a ping payload over 125 bytes); ``WebSocketError/underlying`` is the `WebSocketFramingError`.
        public static let invalidFrame = Code(rawValue: "invalidFrame")
        /// Compressing an outgoing message failed; the connection is failed with 1011.
        public static let compressionFailed = Code(rawValue: "compressionFailed")
        /// ``WebSocketConnection/messages`` already has a consumer: another iterator exists (or a
        /// copy of this one is waiting). The connection and the other consumer are unaffected.
        public static let alreadyConsumed = Code(rawValue: "alreadyConsumed")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened, for people.
    public let detail: String
    /// The cause reported by a lower layer, if any.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(code: Code, detail: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
    }

    /// The underlying `TransportError`, if that was the cause.
    public var transportError: TransportError? { underlying as? TransportError }
    /// The underlying `WebSocketHandshakeError`, if that was the cause.
    public var handshakeError: WebSocketHandshakeError? { underlying as? WebSocketHandshakeError }
    /// The underlying `WebSocketFramingError`, if that was the cause.
    public var framingError: WebSocketFramingError? { underlying as? WebSocketFramingError }

    /// `WebSocketError.code: detail (cause: …)`, on one line.
    public var description: String {
        var text = "WebSocketError.\(code): \(detail)"
        if let underlying { text += " (cause: \(underlying))" }
        return text
    }

    /// Compares codes only.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    static func transport(_ error: any Error, while action: String) -> WebSocketError {
        if let error = error as? WebSocketError { return error }
        if let error = error as? TransportError {
            return WebSocketError(code: .transportFailed, detail: "\(action): \(error.reason)", underlying: error)
        }
        if error is CancellationError {
            return WebSocketError(
                code: .transportFailed, detail: "\(action): cancelled", underlying: CancellationError())
        }
        return WebSocketError(code: .transportFailed, detail: "\(action): \(error)")
    }

    static func closed(_ detail: String = "the connection is closing or closed") -> WebSocketError {
        WebSocketError(code: .connectionClosed, detail: detail)
    }
}
