/// One element of a Sec-WebSocket-Extensions header (RFC 6455 §9.1): an extension name and its
/// parameters, in order.
///
/// Names (of the extension and of its parameters) are compared case-insensitively and kept in
/// lowercase; values are kept as received, with quotes and escapes removed (a quoted value must
/// still be a token, RFC 6455 §9.1).
public struct WebSocketExtension: Hashable, Sendable, CustomStringConvertible {
    /// One `name[=value]` parameter.
    public struct Parameter: Hashable, Sendable {
        /// The parameter name, lowercased.
        public var name: String
        /// The value, or `nil` for a value-less parameter.
        public var value: String?

        /// Creates a parameter; the name is lowercased.
        public init(name: String, value: String? = nil) {
            self.name = name.lowercased()
            self.value = value
        }
    }

    /// The extension name, lowercased (e.g. `permessage-deflate`).
    public var name: String
    /// The parameters in order, duplicates included (the extension decides whether they are allowed).
    public var parameters: [Parameter]

    /// Creates an extension element; the name is lowercased.
    public init(name: String, parameters: [Parameter] = []) {
        self.name = name.lowercased()
        self.parameters = parameters
    }

    /// The element as written in a header: `name; param; param=value`.
    public var description: String {
        ([name] + parameters.map { p in p.value.map { "\(p.name)=\($0)" } ?? p.name }).joined(separator: "; ")
    }

    /// Parses every element of the given Sec-WebSocket-Extensions header values, in order.
    ///
    /// - Parameter headerValues: the values of every Sec-WebSocket-Extensions field, in order
    ///   (several fields are the same as one comma-joined field).
    /// - Throws: ``WebSocketHandshakeError/Code/invalidExtensionHeader`` when a value does not
    ///   follow the RFC 6455 §9.1 grammar.
    public static func parse(_ headerValues: [String]) throws(WebSocketHandshakeError) -> [WebSocketExtension] {
        var result: [WebSocketExtension] = []
        for value in headerValues {
            var scanner = Scanner(bytes: Array(value.utf8))
            guard let elements = scanner.parseList() else {
                throw WebSocketHandshakeError(
                    code: .invalidExtensionHeader, detail: "malformed Sec-WebSocket-Extensions: \"\(value)\"")
            }
            result.append(contentsOf: elements)
        }
        return result
    }

    /// A recursive-descent reader of the §9.1 grammar over one header value.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                index += 1
            }
        }

        mutating func token() -> String? {
            let start = index
            while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        mutating func quotedString() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            var value: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    value.append(bytes[index])
                    index += 1
                default:
                    value.append(byte)
                }
            }
            return nil  // unterminated
        }

        /// `1#extension` with empty list elements allowed, or `nil` on a syntax error.
        mutating func parseList() -> [WebSocketExtension]? {
            var elements: [WebSocketExtension] = []
            while true {
                skipWhitespace()
                if index == bytes.count { return elements }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }  // empty element
                guard let name = token() else { return nil }
                var element = WebSocketExtension(name: name)
                skipWhitespace()
                while index < bytes.count, bytes[index] == UInt8(ascii: ";") {
                    index += 1
                    skipWhitespace()
                    guard let parameterName = token() else { return nil }
                    skipWhitespace()
                    var value: String?
                    if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                        index += 1
                        skipWhitespace()
                        if let quoted = quotedString() {
                            // RFC 6455 §9.1: a quoted value must still be a token.
                            guard isHTTPToken(quoted) else { return nil }
                            value = quoted
                        } else if let plain = token() {
                            value = plain
                        } else {
                            return nil
                        }
                        skipWhitespace()
                    }
                    element.parameters.append(Parameter(name: parameterName, value: value))
                }
                elements.append(element)
                if index == bytes.count { return elements }
                guard bytes[index] == UInt8(ascii: ",") else { return nil }
                index += 1
            }
        }
    }
}
