/// The GUID RFC 6455 §1.3 appends to the key before hashing.
let webSocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §1.3, §4.2.2):
/// base64(SHA-1(key + GUID)).
///
/// For RFC 6455's example key `dGhlIHNhbXBsZSBub25jZQ==` it is `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
public func webSocketAcceptValue(forKey key: String) -> String {
    Base64.encode(SHA1.hash(Array((key + webSocketGUID).utf8)))
}

/// A parsed HTTP response head: what a server answered to a handshake request.
public struct WebSocketHandshakeResponse: Hashable, Sendable {
    /// The status line as received, e.g. `HTTP/1.1 101 Switching Protocols`.
    public var statusLine: String
    /// The HTTP version, e.g. `HTTP/1.1`.
    public var version: String
    /// The status code, e.g. 101.
    public var status: Int
    /// The reason phrase (possibly empty).
    public var reason: String
    /// The header fields.
    public var headers: WebSocketHTTPHeaders
}

/// A parsed HTTP request head: a client's handshake request.
public struct WebSocketHandshakeRequest: Hashable, Sendable {
    /// The request method, e.g. `GET`.
    public var method: String
    /// The request target as received, e.g. `/runCase?case=3&agent=x`.
    public var target: String
    /// The HTTP version, e.g. `HTTP/1.1`.
    public var version: String
    /// The header fields.
    public var headers: WebSocketHTTPHeaders

    /// The target's path: everything before `?` (e.g. `/runCase`).
    public var path: String {
        target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
    }

    /// The target's query: everything after the first `?`, or `nil` (e.g. `case=3&agent=x`).
    public var query: String? {
        target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) }
    }

    /// The query's `name=value` pairs, split on `&` and `=`, percent-decoding `%XX` and `+`.
    public var queryItems: [(name: String, value: String)] {
        query.map { Self.queryItems(of: $0[...]) } ?? []
    }

    /// The `name=value` pairs of any query string (`a=1&b=x+y`), split on `&` and the first `=`,
    /// percent-decoding `%XX` and `+`; a malformed escape is kept as it is.
    public static func queryItems(of query: Substring) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (percentDecoded(pair[..<equals]), percentDecoded(pair[pair.index(after: equals)...]))
            }
            return (percentDecoded(pair), "")
        }
    }
}

/// `text` with `+` as space and `%XX` decoded; invalid escapes are kept as they are.
private func percentDecoded(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
        } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
            let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
        {
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Reads a handshake response head from bytes as they arrive.
///
/// Lines must end in CRLF (RFC 9112 §2.2); obsolete line folding is rejected.
///
/// Feed it every byte received after sending the request; once the blank line ending the head
/// has arrived it returns the response and the bytes after the head, which already belong to
/// the WebSocket stream (a server may send frames right after its 101).
public struct WebSocketHandshakeResponseParser {
    private var accumulator: HTTPHeadAccumulator

    /// Creates a parser.
    /// - Parameter maximumHeaderSize: the most bytes the head may take, blank line included;
    ///   16 KiB by default, far above any real handshake response (a few hundred bytes) and small
    ///   enough that a misbehaving peer cannot make the client buffer without bound.
    public init(maximumHeaderSize: Int = 16 * 1024) {
        self.accumulator = HTTPHeadAccumulator(maximumHeaderSize: maximumHeaderSize)
    }

    /// Appends received bytes.
    /// - Returns: the response and the bytes that followed its head, or `nil` while the head is
    ///   incomplete.
    /// - Throws: ``WebSocketHandshakeError`` (``WebSocketHandshakeError/Code/headerTooLarge``,
    ///   ``WebSocketHandshakeError/Code/malformedHTTP``).
    public mutating func parse(
        _ bytes: some Sequence<UInt8>
    ) throws(WebSocketHandshakeError) -> (response: WebSocketHandshakeResponse, remainder: [UInt8])? {
        guard let (lines, remainder) = try accumulator.append(bytes) else { return nil }
        let statusLine = lines[0]
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1]) else {
            throw WebSocketHandshakeError(code: .malformedHTTP, detail: "invalid status line \"\(statusLine)\"")
        }
        let headers = try HTTPHeadAccumulator.parseFields(lines.dropFirst())
        let response = WebSocketHandshakeResponse(
            statusLine: statusLine,
            version: String(parts[0]),
            status: status,
            reason: parts.count > 2 ? String(parts[2]) : "",
            headers: headers
        )
        return (response, remainder)
    }
}

/// Reads a handshake request head from bytes as they arrive (the server side).
///
/// Lines must end in CRLF (RFC 9112 §2.2); obsolete line folding is rejected.
///
/// Once the blank line ending the head has arrived it returns the request and the bytes after
/// the head, which belong to the WebSocket stream.
public struct WebSocketHandshakeRequestParser {
    private var accumulator: HTTPHeadAccumulator

    /// Creates a parser.
    /// - Parameter maximumHeaderSize: the most bytes the head may take, blank line included;
    ///   16 KiB by default, well above browser requests (cookies included, typically under
    ///   8 KiB) while bounding what an idle or hostile client can make the server buffer.
    public init(maximumHeaderSize: Int = 16 * 1024) {
        self.accumulator = HTTPHeadAccumulator(maximumHeaderSize: maximumHeaderSize)
    }

    /// Appends received bytes.
    /// - Returns: the request and the bytes that followed its head, or `nil` while the head is
    ///   incomplete.
    /// - Throws: ``WebSocketHandshakeError`` (``WebSocketHandshakeError/Code/headerTooLarge``,
    ///   ``WebSocketHandshakeError/Code/malformedHTTP``).
    public mutating func parse(
        _ bytes: some Sequence<UInt8>
    ) throws(WebSocketHandshakeError) -> (request: WebSocketHandshakeRequest, remainder: [UInt8])? {
        guard let (lines, remainder) = try accumulator.append(bytes) else { return nil }
        let requestLine = lines[0]
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, isHTTPToken(parts[0]), !parts[1].isEmpty, parts[2].hasPrefix("HTTP/") else {
            throw WebSocketHandshakeError(code: .malformedHTTP, detail: "invalid request line \"\(requestLine)\"")
        }
        let headers = try HTTPHeadAccumulator.parseFields(lines.dropFirst())
        let request = WebSocketHandshakeRequest(
            method: String(parts[0]),
            target: String(parts[1]),
            version: String(parts[2]),
            headers: headers
        )
        return (request, remainder)
    }
}
