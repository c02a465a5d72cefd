/// The server side of the opening handshake (RFC 6455 §4.2), as a value: it checks a parsed
/// request, negotiates permessage-deflate and a subprotocol, and writes the answer.
///
/// ```swift
/// var parser = WebSocketHandshakeRequestParser()
/// var parsed = try parser.parse(receive())
/// while parsed == nil { parsed = try parser.parse(receive()) }
/// let server = WebSocketServerHandshake(perMessageDeflate: PerMessageDeflateServerConfiguration())
/// do {
///     let accepted = try server.accept(parsed!.request)
///     send(accepted.responseBytes)
///     // accepted.perMessageDeflate?.configuration(for: .server) sets up compression;
///     // parsed!.remainder holds the first bytes of the WebSocket stream.
/// } catch {
///     send(WebSocketServerHandshake.rejectionBytes(for: error))
/// }
/// ```
public struct WebSocketServerHandshake: Hashable, Sendable {
    /// A request the server accepted.
    public struct Accepted: Hashable, Sendable {
        /// The request (its ``WebSocketHandshakeRequest/path`` and ``WebSocketHandshakeRequest/query``
        /// say what the client asked for).
        public var request: WebSocketHandshakeRequest
        /// The `101 Switching Protocols` response to send.
        public var responseBytes: [UInt8]
        /// The permessage-deflate parameters in the response, or `nil` when compression is off.
        /// ``PerMessageDeflateParameters/configuration(for:)`` with `.server` gives the settings.
        public var perMessageDeflate: PerMessageDeflateParameters?
        /// The selected subprotocol, or `nil`.
        public var subprotocol: String?
    }

    /// What permessage-deflate offers to accept, or `nil` to decline every offer.
    public var perMessageDeflate: PerMessageDeflateServerConfiguration?
    /// The subprotocols this server speaks, in order of preference.
    public var subprotocols: [String]
    /// Further header fields for the 101 response.
    public var extraResponseHeaders: WebSocketHTTPHeaders

    /// Creates a server handshake.
    /// - Parameters:
    ///   - perMessageDeflate: what to accept; `nil` (no compression) by default.
    ///   - subprotocols: subprotocols this server speaks, preferred first; none by default.
    ///   - extraResponseHeaders: more fields for the 101 response; none by default.
    public init(
        perMessageDeflate: PerMessageDeflateServerConfiguration? = nil,
        subprotocols: [String] = [],
        extraResponseHeaders: WebSocketHTTPHeaders = WebSocketHTTPHeaders()
    ) {
        self.perMessageDeflate = perMessageDeflate
        self.subprotocols = subprotocols
        self.extraResponseHeaders = extraResponseHeaders
    }

    /// Checks a request and, when it is a valid WebSocket upgrade, negotiates and writes the
    /// 101 response.
    ///
    /// The first permessage-deflate offer that ``perMessageDeflate`` accepts wins; a malformed
    /// Sec-WebSocket-Extensions header only means no compression. The subprotocol is the first
    /// of ``subprotocols`` that the client offered.
    ///
    /// - Throws: ``WebSocketHandshakeError``: ``WebSocketHandshakeError/Code/invalidMethod``,
    ///   ``WebSocketHandshakeError/Code/invalidHTTPVersion``, ``WebSocketHandshakeError/Code/missingHost``,
    ///   ``WebSocketHandshakeError/Code/missingUpgrade``, ``WebSocketHandshakeError/Code/missingConnectionUpgrade``,
    ///   ``WebSocketHandshakeError/Code/invalidKey``, ``WebSocketHandshakeError/Code/unsupportedVersion``.
    ///   Answer it with ``rejectionBytes(for:)``.
    public func accept(_ request: WebSocketHandshakeRequest) throws(WebSocketHandshakeError) -> Accepted {
        guard request.method == "GET" else {
            throw WebSocketHandshakeError(code: .invalidMethod, detail: "method \(request.method), expected GET")
        }
        guard request.version == "HTTP/1.1" else {
            throw WebSocketHandshakeError(
                code: .invalidHTTPVersion, detail: "version \(request.version), expected HTTP/1.1")
        }
        let headers = request.headers
        guard headers["Host"].count == 1 else {
            throw WebSocketHandshakeError(
                code: .missingHost, detail: "expected one Host header, got \(headers["Host"].count)")
        }
        guard headers.listElements("Upgrade").contains(where: { $0.lowercased() == "websocket" }) else {
            throw WebSocketHandshakeError(code: .missingUpgrade, detail: "no \"Upgrade: websocket\" in the request")
        }
        guard headers.listElements("Connection").contains(where: { $0.lowercased() == "upgrade" }) else {
            throw WebSocketHandshakeError(code: .missingConnectionUpgrade, detail: "no \"upgrade\" token in Connection")
        }
        let versions = headers["Sec-WebSocket-Version"]
        guard versions == ["13"] else {
            throw WebSocketHandshakeError(
                code: .unsupportedVersion, detail: "Sec-WebSocket-Version \(versions), only 13 is supported")
        }
        let keys = headers["Sec-WebSocket-Key"]
        guard keys.count == 1, Base64.decode(keys[0])?.count == 16 else {
            throw WebSocketHandshakeError(
                code: .invalidKey, detail: "Sec-WebSocket-Key \(keys) is not base64 of 16 bytes")
        }

        var deflate: PerMessageDeflateParameters?
        if let perMessageDeflate, let offers = try? WebSocketExtension.parse(headers["Sec-WebSocket-Extensions"]) {
            deflate = perMessageDeflate.negotiate(offers)
        }
        let offeredProtocols = headers.listElements("Sec-WebSocket-Protocol")
        let subprotocol = subprotocols.first(where: offeredProtocols.contains)

        var text = "HTTP/1.1 101 Switching Protocols\r\n"
        text += "Upgrade: websocket\r\n"
        text += "Connection: Upgrade\r\n"
        text += "Sec-WebSocket-Accept: \(webSocketAcceptValue(forKey: keys[0]))\r\n"
        if let deflate { text += "Sec-WebSocket-Extensions: \(deflate)\r\n" }
        if let subprotocol { text += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
        for field in extraResponseHeaders { text += "\(field.name): \(field.value)\r\n" }
        text += "\r\n"
        return Accepted(
            request: request, responseBytes: Array(text.utf8), perMessageDeflate: deflate, subprotocol: subprotocol)
    }

    /// The HTTP response that refuses a handshake, naming the problem in its body:
    /// `426 Upgrade Required` with `Sec-WebSocket-Version: 13` for an unsupported version
    /// (RFC 6455 §4.4), `431 Request Header Fields Too Large` for an oversize head,
    /// `405 Method Not Allowed` for a method other than GET, `400 Bad Request` otherwise.
    /// The response closes the connection.
    public static func rejectionBytes(for error: WebSocketHandshakeError) -> [UInt8] {
        let status: String
        var extra = ""
        switch error.code {
        case .unsupportedVersion:
            status = "426 Upgrade Required"
            extra = "Sec-WebSocket-Version: 13\r\n"
        case .headerTooLarge:
            status = "431 Request Header Fields Too Large"
        case .invalidMethod:
            status = "405 Method Not Allowed"
            extra = "Allow: GET\r\n"
        default:
            status = "400 Bad Request"
        }
        let body = Array("\(error.code): \(error.detail)\n".utf8)
        let head =
            "HTTP/1.1 \(status)\r\n\(extra)Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}
