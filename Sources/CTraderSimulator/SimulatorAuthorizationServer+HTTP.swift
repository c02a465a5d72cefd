// swift-ctrader: the local cTrader-compatible simulator.

import CTraderTransport
import Foundation
import Logging
import _CTraderLocking

extension SimulatorAuthorizationServer {
    /// An answer to write.
    struct Answer {
        var status: String
        var headers: [(String, String)] = []
        var contentType = "text/html; charset=utf-8"
        var body: String

        static func page(_ status: String, _ message: String) -> Answer {
            Answer(
                status: status,
                body:
                    "<!doctype html><html><head><title>cTrader simulator</title></head><body><p>\(message)</p></body></html>\n"
            )
        }

        static func json(_ status: String, _ object: [String: Any]) -> Answer {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return Answer(status: status, contentType: "application/json", body: String(decoding: data, as: UTF8.self))
        }

        static func error(_ errorCode: String, _ description: String) -> Answer {
            json("400 Bad Request", ["errorCode": errorCode, "description": description])
        }

        var bytes: [UInt8] {
            var head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            return Array((head + body).utf8)
        }
    }

    /// Reads one request, answers it, closes.
    func serve(_ connection: any Transport) async {
        let target = await readTarget(connection)
        let answer: Answer
        if let target {
            answer = await route(target)
        } else {
            answer = .page("400 Bad Request", "Bad request.")
        }
        try? await connection.write(answer.bytes)
        try? await connection.shutdownWrite()
        await connection.close()
    }

    /// The target of a `GET` request, `nil` for anything else, an oversized head or one too slow.
    private func readTarget(_ connection: any Transport) async -> String? {
        let limit = configuration.maximumRequestSize
        let timeout = configuration.requestTimeout
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                var buffer: [UInt8] = []
                while buffer.count < limit {
                    guard let read = try? await connection.read(into: &buffer, maxLength: limit - buffer.count),
                        read > 0
                    else { return nil }
                    guard buffer.count >= 4,
                        (0...(buffer.count - 4)).contains(where: {
                            buffer[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10])
                        })
                    else { continue }
                    // The request line: up to the first CR (bytes: "\r\n" is one Character).
                    let parts = String(decoding: buffer.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
                    guard parts.count == 3, parts[0] == "GET", parts[2].hasPrefix("HTTP/1.") else { return nil }
                    return String(parts[1])
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func route(_ target: String) async -> Answer {
        let question = target.firstIndex(of: "?") ?? target.endIndex
        let path = String(target[..<question])
        let query = question == target.endIndex ? "" : String(target[target.index(after: question)...])
        var items: [String: String] = [:]
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if items[name] == nil { items[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
        switch path {
        case Self.authorizationPath, String(Self.authorizationPath.dropLast()):
            return authorize(items)
        case Self.tokenPath:
            counts.withLock { $0.tokenRequests += 1 }
            return await token(items)
        default:
            return .page("404 Not Found", "Not found.")
        }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    // MARK: - The authorization page

    private func authorize(_ items: [String: String]) -> Answer {
        guard let clientId = items["client_id"],
            let application = applications.first(where: { $0.clientId == clientId })
        else { return .page("400 Bad Request", "Unknown client_id.") }
        guard let redirectURI = items["redirect_uri"],
            application.redirectURIs.contains(where: { registered(redirectURI, matches: $0) })
        else { return .page("400 Bad Request", "The redirect_uri is not registered with this application.") }
        let scope = items["scope"] ?? "trading"
        var back: [(String, String)]
        if !["accounts", "trading"].contains(scope) || !configuration.grantedScopes.contains(scope) {
            back = [("error", "access_denied"), ("error_description", "The scope \(scope) is not granted")]
        } else {
            let code = SimulatorEngine.randomTokenText()
            let grant = Grant(
                clientId: clientId, redirectURI: redirectURI, canTrade: scope == "trading",
                issuedAt: configuration.now())
            grants.withLock { $0[code] = grant }
            counts.withLock { $0.codesIssued += 1 }
            back = [("code", code)]
        }
        if let state = items["state"] { back.append(("state", state)) }
        let separator = redirectURI.contains("?") ? "&" : "?"
        let location =
            redirectURI + separator + back.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var answer = Answer.page("302 Found", "Redirecting.")
        answer.headers = [("Location", location)]
        return answer
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Whether `uri` matches the registered one: exactly, or for loopback `http://` URIs with any
    /// port (``Configuration/acceptsAnyLoopbackPort``).
    func registered(_ uri: String, matches registered: String) -> Bool {
        if uri == registered { return true }
        guard configuration.acceptsAnyLoopbackPort, let a = Self.loopbackParts(uri),
            let b = Self.loopbackParts(registered)
        else { return false }
        return a == b
    }

    /// Host and path of an `http://` loopback URI (port dropped); `nil` for any other.
    private static func loopbackParts(_ uri: String) -> [String]? {
        guard uri.hasPrefix("http://") else { return nil }
        let rest = uri.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var host = String(rest[..<slash])
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            host = String(host[..<close].dropFirst())
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        guard host == "localhost" || host == "::1" || host.hasPrefix("127.") else { return nil }
        let path = rest[slash...]
        return [host, path.isEmpty ? "/" : String(path)]
    }

    // MARK: - The token endpoint

    private func token(_ items: [String: String]) async -> Answer {
        guard let clientId = items["client_id"], let secret = items["client_secret"],
            applications.contains(where: { $0.clientId == clientId && $0.clientSecret == secret })
        else { return .error("INVALID_CLIENT", "Invalid client credentials") }
        let now = configuration.now()
        let lifetime = configuration.accessTokenLifetime
        switch items["grant_type"] {
        case "authorization_code":
            guard let code = items["code"], let redirectURI = items["redirect_uri"] else {
                return .error("INVALID_REQUEST", "code and redirect_uri are required")
            }
            let codeLifetime = configuration.codeLifetime.milliseconds
            let outcome: (grant: Grant?, refusal: Answer?) = grants.withLock { grants in
                guard let grant = grants[code], grant.clientId == clientId else {
                    return (nil, .error("INVALID_GRANT", "Authorization code is invalid or was already used"))
                }
                if now - grant.issuedAt >= codeLifetime {
                    grants[code] = nil
                    return (nil, .error("INVALID_GRANT", "Authorization code is expired"))
                }
                guard grant.redirectURI == redirectURI else {
                    return (
                        nil,
                        .error("INVALID_REDIRECT_URI", "redirect_uri does not match the one the code was issued for")
                    )
                }
                grants[code] = nil
                return (grant, nil)
            }
            if let refusal = outcome.refusal { return refusal }
            guard let grant = outcome.grant else { return .error("SERVER_ERROR", "No grant") }
            let issued = Locked<SimulatorIdentity.Token?>(nil)
            await core.perform { engine in
                issued.withLock { $0 = engine.issueOAuthToken(canTrade: grant.canTrade, lifetime: lifetime, now: now) }
                return []
            }
            guard let token = issued.withLock({ $0 }) else { return .error("SERVER_ERROR", "No token") }
            return tokenAnswer(token, lifetime: lifetime)
        case "refresh_token":
            guard let refreshToken = items["refresh_token"] else {
                return .error("INVALID_REQUEST", "refresh_token is required")
            }
            let refreshed = Locked<SimulatorIdentity.Token?>(nil)
            await core.perform { engine in
                refreshed.withLock { $0 = engine.refreshOAuthToken(refreshToken, lifetime: lifetime, now: now) }
                return []
            }
            guard let token = refreshed.withLock({ $0 }) else {
                return .error("INVALID_GRANT", "Refresh token is invalid or was already used")
            }
            return tokenAnswer(token, lifetime: lifetime)
        default:
            return .error("UNSUPPORTED_GRANT_TYPE", "grant_type must be authorization_code or refresh_token")
        }
    }

    private func tokenAnswer(_ token: SimulatorIdentity.Token, lifetime: Duration) -> Answer {
        .json(
            "200 OK",
            [
                "accessToken": token.accessToken, "tokenType": "bearer", "expiresIn": lifetime.milliseconds / 1_000,
                "refreshToken": token.refreshToken,
            ])
    }
}
