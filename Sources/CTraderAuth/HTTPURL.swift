// swift-ctrader: the cTrader Open API OAuth code flow.

import CTraderFraming
import Foundation

/// An `http://` or `https://` URL split into what a request needs, and the query encoding the
/// flow uses (RFC 3986 percent-encoding of everything but the unreserved characters).
public struct CTraderHTTPURL: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// The host (without brackets for IPv6).
    public var host: String
    /// The port, explicit or the scheme's default (80, 443).
    public var port: Int
    /// Whether the URL named its port.
    public var hasExplicitPort: Bool
    /// The path, `/` at least.
    public var path: String
    /// The query without the `?`, percent-encoded as given; empty for none.
    public var query: String

    /// Parses `text`.
    ///
    /// - Throws: ``CTraderOAuthError/Code/invalidURL`` for another scheme, a missing host, a bad
    ///   port, a fragment or userinfo.
    public init(parsing text: String) throws {
        func invalid(_ why: String) -> CTraderOAuthError {
            CTraderOAuthError(.invalidURL, reason: "'\(text)' \(why)")
        }
        guard let schemeEnd = text.range(of: "://") else { throw invalid("is not an http:// or https:// URL") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw invalid("is not an http:// or https:// URL") }
        guard !text.contains("#") else { throw invalid("has a fragment") }
        var rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        guard !authority.contains("@") else { throw invalid("has userinfo") }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw invalid("has a bad host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw invalid("has no host") }
        let defaultPort = scheme == "https" ? 443 : 80
        if let portText {
            guard let port = Int(portText), (0...65_535).contains(port) else { throw invalid("has a bad port") }
            self.port = port
            hasExplicitPort = true
        } else {
            port = defaultPort
            hasExplicitPort = false
        }
        self.scheme = scheme
        self.host = String(host)
        if let question = rest.firstIndex(of: "?") {
            path = String(rest[..<question])
            query = String(rest[rest.index(after: question)...])
        } else {
            path = String(rest)
            query = ""
        }
        if path.isEmpty { path = "/" }
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1` or `localhost`).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The request target: path and query.
    public var target: String { query.isEmpty ? path : path + "?" + query }

    /// `host` or `[v6]`, with `:port` when explicit (a `Host` header's value).
    public var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return hasExplicitPort ? "\(name):\(port)" : name
    }

    /// The URL without its query (what logs may show).
    public var withoutQuery: String { "\(scheme)://\(authority)\(path)" }

    /// The whole URL.
    public var description: String { "\(scheme)://\(authority)\(target)" }

    /// This URL with `items` appended to its query, each percent-encoded.
    public func adding(_ items: [(String, String)]) -> CTraderHTTPURL {
        var copy = self
        let encoded = Self.encodeQuery(items)
        copy.query = query.isEmpty ? encoded : query + "&" + encoded
        return copy
    }

    /// `a=1&b=x%20y`: every character but RFC 3986's unreserved ones percent-encoded.
    public static func encodeQuery(_ items: [(String, String)]) -> String {
        items.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes every byte but `A-Z a-z 0-9 - . _ ~`.
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }

    /// The query's items, percent-decoded (`+` is a space); a malformed escape is kept as it is
    /// (the handshake parser's rules: `WebSocketHandshakeRequest.queryItems(of:)`).
    public static func decodeQuery(_ query: String) -> [(String, String)] {
        WebSocketHandshakeRequest.queryItems(of: query[...]).map { ($0.name, $0.value) }
    }
}
