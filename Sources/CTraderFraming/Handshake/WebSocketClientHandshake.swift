/// The client side of the opening handshake (RFC 6455 §4.1), as a value: it writes the upgrade
/// request and checks the server's answer.
///
/// ```swift
/// let handshake = WebSocketClientHandshake(
///     host: "demo.ctraderapi.com", port: 5036, isSecure: true,
///     extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration())
/// )
/// send(handshake.requestBytes)
/// var parser = WebSocketHandshakeResponseParser()
/// var parsed = try parser.parse(receive())
/// while parsed == nil { parsed = try parser.parse(receive()) }
/// let accepted = try handshake.validate(parsed!.response)
/// // parsed!.remainder: the first bytes of the WebSocket stream.
/// if let deflate = accepted.perMessageDeflate {
///     let settings = deflate.configuration(for: .client)
///     let inflater = try PerMessageDeflateInflater(settings.inbound)
///     let deflater = try PerMessageDeflateDeflater(settings.outbound)
/// }
/// ```
public struct WebSocketClientHandshake: Hashable, Sendable {
    /// What a client puts in Sec-WebSocket-Extensions.
    public struct ExtensionOffer: Hashable, Sendable {
        fileprivate enum Storage: Hashable, Sendable {
            case none
            case perMessageDeflate([PerMessageDeflateClientConfiguration])
            case raw(String)
        }
        fileprivate let storage: Storage

        /// No Sec-WebSocket-Extensions header.
        public static let none = ExtensionOffer(storage: .none)

        /// permessage-deflate offers in order of preference (several offers let the server fall
        /// back, e.g. a first offer with `server_max_window_bits=10`, then one without).
        public static func perMessageDeflate(_ offers: PerMessageDeflateClientConfiguration...) -> ExtensionOffer {
            ExtensionOffer(storage: .perMessageDeflate(offers))
        }

        /// permessage-deflate offers in order of preference.
        public static func perMessageDeflate(offers: [PerMessageDeflateClientConfiguration]) -> ExtensionOffer {
            ExtensionOffer(storage: .perMessageDeflate(offers))
        }

        /// A Sec-WebSocket-Extensions value sent as written, e.g. Autobahn's
        /// `permessage-deflate; client_max_window_bits`. The response is then checked against
        /// the permessage-deflate offers this text contains.
        public static func raw(_ headerValue: String) -> ExtensionOffer {
            ExtensionOffer(storage: .raw(headerValue))
        }

        /// The header value, or `nil` for no header.
        var headerValue: String? {
            switch storage {
            case .none: nil
            case .perMessageDeflate(let offers):
                offers.isEmpty ? nil : offers.map(\.offer.description).joined(separator: ", ")
            case .raw(let text): text
            }
        }

        /// The extension elements offered (a raw offer that does not parse offers nothing this
        /// client can run).
        var elements: [WebSocketExtension] {
            switch storage {
            case .none: []
            case .perMessageDeflate(let offers): offers.map(\.offer.extensionElement)
            case .raw(let text): (try? WebSocketExtension.parse([text])) ?? []
            }
        }
    }

    /// What a server's accepted answer settled.
    public struct Accepted: Hashable, Sendable {
        /// The server's response.
        public var response: WebSocketHandshakeResponse
        /// The agreed permessage-deflate parameters (the response merged with this client's own
        /// promises from its offer), or `nil` when the server did not accept compression.
        /// ``PerMessageDeflateParameters/configuration(for:)`` with `.client` gives the settings.
        public var perMessageDeflate: PerMessageDeflateParameters?
        /// The subprotocol the server selected, or `nil`.
        public var subprotocol: String?
    }

    /// The Host header's host (a name, an IPv4 address, or an IPv6 address, with or without brackets).
    public let host: String
    /// The port, or `nil` for the scheme's default.
    public let port: Int?
    /// Whether the connection is `wss` (default port 443) rather than `ws` (80).
    public let isSecure: Bool
    /// The request target: path and query, e.g. `/` or `/runCase?case=3&agent=x`.
    public let target: String
    /// The Sec-WebSocket-Key sent (base64 of 16 random bytes).
    public let key: String
    /// The extension offer.
    public let extensionOffer: ExtensionOffer
    /// The subprotocols offered, in order of preference.
    public let subprotocols: [String]
    /// Further header fields sent as given (e.g. `Origin`, `User-Agent`).
    public let extraHeaders: WebSocketHTTPHeaders

    /// Creates a client handshake.
    /// - Parameters:
    ///   - host: the server's host name or address.
    ///   - port: the server's port; omitted from Host when it is `nil` or the scheme's default.
    ///   - isSecure: `wss` rather than `ws`; `false` by default.
    ///   - target: the request target; `/` by default.
    ///   - extensionOffer: what to offer in Sec-WebSocket-Extensions; `.none` by default.
    ///   - subprotocols: subprotocols to offer, in order; none by default.
    ///   - extraHeaders: more header fields; none by default.
    ///   - key: the Sec-WebSocket-Key; a fresh ``makeKey()`` by default (give one only in tests).
    public init(
        host: String,
        port: Int? = nil,
        isSecure: Bool = false,
        target: String = "/",
        extensionOffer: ExtensionOffer = .none,
        subprotocols: [String] = [],
        extraHeaders: WebSocketHTTPHeaders = WebSocketHTTPHeaders(),
        key: String = WebSocketClientHandshake.makeKey()
    ) {
        self.host = host
        self.port = port
        self.isSecure = isSecure
        self.target = target.isEmpty ? "/" : target
        self.extensionOffer = extensionOffer
        self.subprotocols = subprotocols
        self.extraHeaders = extraHeaders
        self.key = key
    }

    /// A Sec-WebSocket-Key: base64 of 16 bytes from `SystemRandomNumberGenerator`, which is
    /// cryptographically secure on every platform Swift supports (RFC 6455 §4.1 asks for a
    /// randomly selected nonce).
    public static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<2).flatMap { _ -> [UInt8] in
            let word: UInt64 = generator.next()
            return (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) }
        }
        return Base64.encode(bytes)
    }

    /// The Sec-WebSocket-Accept the server must answer with.
    public var expectedAccept: String { webSocketAcceptValue(forKey: key) }

    /// The Host header value: the host (bracketed if IPv6) plus `:port` unless it is the default.
    public var hostHeader: String {
        let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let port, port != (isSecure ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    /// The request head as sent: `GET target HTTP/1.1` and its header fields, CRLF-terminated.
    public var requestBytes: [UInt8] {
        var text = "GET \(target) HTTP/1.1\r\n"
        text += "Host: \(hostHeader)\r\n"
        text += "Upgrade: websocket\r\n"
        text += "Connection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\n"
        text += "Sec-WebSocket-Version: 13\r\n"
        if let extensions = extensionOffer.headerValue {
            text += "Sec-WebSocket-Extensions: \(extensions)\r\n"
        }
        if !subprotocols.isEmpty {
            text += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n"
        }
        for field in extraHeaders {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Checks a server's response (RFC 6455 §4.1, RFC 7692 §7.1).
    ///
    /// - Returns: what was agreed.
    /// - Throws: ``WebSocketHandshakeError``: ``WebSocketHandshakeError/Code/unexpectedStatus``
    ///   (naming the status line) for anything but 101; ``WebSocketHandshakeError/Code/missingUpgrade``,
    ///   ``WebSocketHandshakeError/Code/missingConnectionUpgrade``, ``WebSocketHandshakeError/Code/invalidAccept``;
    ///   ``WebSocketHandshakeError/Code/unofferedExtension`` for an extension not offered (or one
    ///   offered raw that this library cannot run), ``WebSocketHandshakeError/Code/unofferedExtensionParameter``,
    ///   ``WebSocketHandshakeError/Code/invalidExtensionHeader``;
    ///   ``WebSocketHandshakeError/Code/unofferedSubprotocol``.
    public func validate(_ response: WebSocketHandshakeResponse) throws(WebSocketHandshakeError) -> Accepted {
        guard response.status == 101 else {
            throw WebSocketHandshakeError(
                code: .unexpectedStatus, detail: "expected status 101, got \"\(response.statusLine)\"")
        }
        let headers = response.headers
        guard headers.listElements("Upgrade").contains(where: { $0.lowercased() == "websocket" }) else {
            throw WebSocketHandshakeError(code: .missingUpgrade, detail: "no \"Upgrade: websocket\" in the response")
        }
        guard headers.listElements("Connection").contains(where: { $0.lowercased() == "upgrade" }) else {
            throw WebSocketHandshakeError(
                code: .missingConnectionUpgrade, detail: "no \"Connection: Upgrade\" in the response")
        }
        let accepts = headers["Sec-WebSocket-Accept"]
        guard accepts.count == 1, accepts[0] == expectedAccept else {
            throw WebSocketHandshakeError(
                code: .invalidAccept,
                detail: "Sec-WebSocket-Accept \(accepts) does not match the expected \(expectedAccept)"
            )
        }
        let perMessageDeflate = try negotiatedDeflate(headers["Sec-WebSocket-Extensions"])
        let protocols = headers.listElements("Sec-WebSocket-Protocol")
        guard protocols.count <= 1, protocols.allSatisfy(subprotocols.contains) else {
            throw WebSocketHandshakeError(
                code: .unofferedSubprotocol,
                detail: "server selected \(protocols), offered \(subprotocols)"
            )
        }
        return Accepted(response: response, perMessageDeflate: perMessageDeflate, subprotocol: protocols.first)
    }

    private func negotiatedDeflate(
        _ headerValues: [String]
    ) throws(WebSocketHandshakeError) -> PerMessageDeflateParameters? {
        let accepted = try WebSocketExtension.parse(headerValues)
        let offeredElements = extensionOffer.elements
        let offeredNames = Set(offeredElements.map(\.name))
        var offers: [PerMessageDeflateParameters] = []
        for element in offeredElements where element.name == PerMessageDeflateParameters.extensionName {
            if let offer = try? PerMessageDeflateParameters(element) { offers.append(offer) }
        }
        var agreed: PerMessageDeflateParameters?
        for element in accepted {
            guard offeredNames.contains(element.name) else {
                throw WebSocketHandshakeError(
                    code: .unofferedExtension, detail: "server accepted \(element.name), which was not offered")
            }
            guard element.name == PerMessageDeflateParameters.extensionName, !offers.isEmpty else {
                throw WebSocketHandshakeError(
                    code: .unofferedExtension, detail: "server accepted \(element.name), which this client cannot run")
            }
            guard agreed == nil else {
                throw WebSocketHandshakeError(
                    code: .invalidExtensionHeader, detail: "permessage-deflate accepted twice")
            }
            let response = try PerMessageDeflateParameters(element)
            // The response answers one of the offers; the first it is a valid answer to wins.
            var firstError: WebSocketHandshakeError?
            for offer in offers {
                do {
                    agreed = try PerMessageDeflateParameters.agreement(response: response, offer: offer)
                    break
                } catch {
                    firstError = firstError ?? error
                }
            }
            if agreed == nil, let firstError { throw firstError }
        }
        return agreed
    }
}
