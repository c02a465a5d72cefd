/// A parsed `ws://` or `wss://` URL: what ``WebSocketConnection/connect(to:configuration:tls:extraHeaders:logger:)`` needs.
struct WebSocketURL: Hashable, Sendable {
    /// Whether the scheme is `wss`.
    var isSecure: Bool
    /// The host, without IPv6 brackets.
    var host: String
    /// The port: explicit, or 80/443.
    var port: Int
    /// Whether the URL named the port.
    var hasExplicitPort: Bool
    /// Path and query, `/` when empty; the fragment is dropped.
    var target: String

    /// Parses `url`. The scheme is case-insensitive; user info is rejected.
    init(parsing url: String) throws(WebSocketError) {
        let lowered = url.lowercased()
        let rest: Substring
        if lowered.hasPrefix("wss://") {
            isSecure = true
            rest = url.dropFirst(6)
        } else if lowered.hasPrefix("ws://") {
            isSecure = false
            rest = url.dropFirst(5)
        } else {
            throw WebSocketError(code: .invalidURL, detail: "\"\(url)\" is not a ws:// or wss:// URL")
        }
        var withoutFragment = rest
        if let hash = rest.firstIndex(of: "#") { withoutFragment = rest[..<hash] }
        let authorityEnd = withoutFragment.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? withoutFragment.endIndex
        let authority = withoutFragment[..<authorityEnd]
        var target = String(withoutFragment[authorityEnd...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        self.target = target
        guard !authority.contains("@") else {
            throw WebSocketError(code: .invalidURL, detail: "user info in \"\(url)\" is not supported")
        }
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw WebSocketError(code: .invalidURL, detail: "unterminated IPv6 address in \"\(url)\"")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else if !after.isEmpty {
                throw WebSocketError(code: .invalidURL, detail: "unexpected \"\(after)\" after the host in \"\(url)\"")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else {
            throw WebSocketError(code: .invalidURL, detail: "no host in \"\(url)\"")
        }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else {
                throw WebSocketError(code: .invalidURL, detail: "invalid port \"\(portPart)\" in \"\(url)\"")
            }
            self.port = port
            hasExplicitPort = true
        } else {
            port = isSecure ? 443 : 80
            hasExplicitPort = false
        }
    }
}
