/// The header fields of a handshake request or response, in order, with case-insensitive lookup.
///
/// Names keep the spelling they were given or received with; lookups compare them
/// case-insensitively (RFC 9110 §5.1). Repeated fields are kept as separate entries.
public struct WebSocketHTTPHeaders: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    /// One header field.
    public struct Field: Hashable, Sendable {
        /// The field name, as given or received.
        public var name: String
        /// The field value, with leading and trailing whitespace removed.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates headers from fields in order.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Creates headers from `name: value` pairs in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// Appends a field.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// The values of every field named `name` (case-insensitive), in order.
    public subscript(name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// The value of the first field named `name` (case-insensitive), or `nil`.
    public func first(_ name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// Whether any field is named `name` (case-insensitive).
    public func contains(_ name: String) -> Bool { first(name) != nil }

    /// The comma-separated elements of every field named `name`, trimmed, empty ones dropped
    /// (RFC 9110 §5.6.1 list syntax; for token lists such as Connection).
    public func listElements(_ name: String) -> [String] {
        self[name].flatMap { $0.split(separator: ",") }.map { trimmed($0) }.filter { !$0.isEmpty }
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

/// `text` without leading and trailing spaces and tabs.
func trimmed(_ text: some StringProtocol) -> String {
    var scalars = Substring(text).unicodeScalars[...]
    while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
    while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
    return String(String.UnicodeScalarView(scalars))
}

/// Whether `text` is a non-empty HTTP token (RFC 9110 §5.6.2).
func isHTTPToken(_ text: some StringProtocol) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
}

/// Whether `byte` is a `tchar` (RFC 9110 §5.6.2).
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default:
        Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
}

/// Collects the bytes of an HTTP/1.1 head (start line and header fields, up to the blank line)
/// as they arrive, and splits it into lines.
struct HTTPHeadAccumulator {
    /// The most bytes the head may take, blank line included.
    let maximumHeaderSize: Int
    private var buffer: [UInt8] = []
    private var searchFrom = 0

    init(maximumHeaderSize: Int) {
        self.maximumHeaderSize = maximumHeaderSize
    }

    /// Appends `bytes`; returns the head's lines and the bytes after the blank line once the
    /// head is complete, `nil` while it is not.
    mutating func append(
        _ bytes: some Sequence<UInt8>
    ) throws(WebSocketHandshakeError) -> (lines: [String], remainder: [UInt8])? {
        buffer.append(contentsOf: bytes)
        var i = max(0, searchFrom - 3)
        while i + 4 <= buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                let headEnd = i + 4
                guard headEnd <= maximumHeaderSize else { throw Self.tooLarge(maximumHeaderSize) }
                let head = buffer[..<i]
                let remainder = Array(buffer[headEnd...])
                buffer = []
                searchFrom = 0
                let lines = head.split(separator: 10, omittingEmptySubsequences: false).map { line in
                    // Each line but the last ends in CR before the LF we split on.
                    String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
                }
                return (lines, remainder)
            }
            i += 1
        }
        searchFrom = buffer.count
        guard buffer.count <= maximumHeaderSize else { throw Self.tooLarge(maximumHeaderSize) }
        return nil
    }

    private static func tooLarge(_ limit: Int) -> WebSocketHandshakeError {
        WebSocketHandshakeError(code: .headerTooLarge, detail: "HTTP head exceeds the \(limit)-byte limit")
    }

    /// Parses header lines (everything after the start line) into fields.
    static func parseFields(_ lines: ArraySlice<String>) throws(WebSocketHandshakeError) -> WebSocketHTTPHeaders {
        var headers = WebSocketHTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw WebSocketHandshakeError(code: .malformedHTTP, detail: "header line without a colon: \"\(line)\"")
            }
            let name = line[..<colon]
            // A name must be a token: this also rejects obsolete line folding (a leading space).
            guard isHTTPToken(name) else {
                throw WebSocketHandshakeError(code: .malformedHTTP, detail: "invalid header name in \"\(line)\"")
            }
            headers.add(name: String(name), value: trimmed(line[line.index(after: colon)...]))
        }
        return headers
    }
}
