/// A failure of the WebSocket opening handshake (RFC 6455 §4), on either side.
///
/// An open error struct, like ``WebSocketFramingError``: callers match on ``code``, which can grow
/// without breaking them; ``detail`` says what was seen, for people (a client's error for a
/// non-101 answer names the status line). Two errors are equal when their codes are equal.
public struct WebSocketHandshakeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Creates a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// The HTTP head did not end within the configured header-size limit. A server answers 431.
        public static let headerTooLarge = Code(rawValue: "headerTooLarge")
        /// The bytes are not an HTTP/1.1 request or response head (bad start line, bad header line).
        public static let malformedHTTP = Code(rawValue: "malformedHTTP")
        /// The server answered with a status other than 101 Switching Protocols.
        public static let unexpectedStatus = Code(rawValue: "unexpectedStatus")
        /// A request whose method is not GET.
        public static let invalidMethod = Code(rawValue: "invalidMethod")
        /// An HTTP version other than HTTP/1.1 (a request) or not HTTP/1.x (a response).
        public static let invalidHTTPVersion = Code(rawValue: "invalidHTTPVersion")
        /// A request without a Host header.
        public static let missingHost = Code(rawValue: "missingHost")
        /// No `Upgrade: websocket` header.
        public static let missingUpgrade = Code(rawValue: "missingUpgrade")
        /// No `upgrade` token in the Connection header.
        public static let missingConnectionUpgrade = Code(rawValue: "missingConnectionUpgrade")
        /// A request whose Sec-WebSocket-Key is missing or does not decode to 16 bytes.
        public static let invalidKey = Code(rawValue: "invalidKey")
        /// A request whose Sec-WebSocket-Version is not 13. A server answers 426.
        public static let unsupportedVersion = Code(rawValue: "unsupportedVersion")
        /// A response whose Sec-WebSocket-Accept is missing or does not match the key sent.
        public static let invalidAccept = Code(rawValue: "invalidAccept")
        /// A response that accepts an extension the client did not offer.
        public static let unofferedExtension = Code(rawValue: "unofferedExtension")
        /// A response that accepts an offered extension with a parameter the client did not offer
        /// or that RFC 7692 does not allow in a response.
        public static let unofferedExtensionParameter = Code(rawValue: "unofferedExtensionParameter")
        /// A Sec-WebSocket-Extensions header that does not parse, or an extension parameter
        /// given twice or with an invalid value.
        public static let invalidExtensionHeader = Code(rawValue: "invalidExtensionHeader")
        /// A response selecting a subprotocol the client did not offer, or more than one.
        public static let unofferedSubprotocol = Code(rawValue: "unofferedSubprotocol")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What was seen, for people: e.g. "expected status 101, got \"HTTP/1.1 200 OK\"".
    public let detail: String

    /// Creates an error.
    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The code and the detail.
    public var description: String { "WebSocketHandshakeError.\(code): \(detail)" }

    /// Compares codes only.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
