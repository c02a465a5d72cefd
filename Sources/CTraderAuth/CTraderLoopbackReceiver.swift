// swift-ctrader: the cTrader Open API OAuth code flow.

import CTraderTransport
public import Logging

/// A one-shot HTTP/1.1 server on a loopback redirect URI (RFC 8252 §7.3): it waits for the
/// browser's redirect, checks the `state` when the server echoes it, answers the browser with a
/// short page and hands back the code.
///
/// Connections are served one at a time, each with a bounded request and a deadline; a request
/// for another path (a browser's `/favicon.ico`) gets a 404 and the wait goes on.
public final class CTraderLoopbackReceiver: Sendable {
    /// Limits.
    public struct Limits: Sendable {
        /// The longest request head read, in bytes; default 8 KiB.
        public var maximumRequestSize: Int
        /// How long one connection may take to send its request; default 10 s.
        public var requestTimeout: Duration

        /// Makes limits; every one has a documented default.
        public init(maximumRequestSize: Int = 8 * 1_024, requestTimeout: Duration = .seconds(10)) {
            self.maximumRequestSize = max(256, maximumRequestSize)
            self.requestTimeout = requestTimeout
        }
    }

    /// The redirect URI as bound: port `0` in the given URI is replaced by the port chosen.
    public let redirectURI: String
    /// The limits.
    public let limits: Limits
    private let listener: TCPListener
    private let path: String
    private let logger: Logger

    private init(redirectURI: String, limits: Limits, listener: TCPListener, path: String, logger: Logger) {
        self.redirectURI = redirectURI
        self.limits = limits
        self.listener = listener
        self.path = path
        self.logger = logger
    }

    /// Listens on `redirectURI`'s host and port (`0`: any free port).
    ///
    /// - Throws: ``CTraderOAuthError/Code/invalidURL`` unless `redirectURI` is `http://` on a
    ///   loopback host; ``CTraderOAuthError/Code/network`` when the port cannot be bound.
    public static func bind(
        redirectURI: String, limits: Limits = Limits(), logger: Logger = Logger(label: "ctrader.oauth")
    ) async throws -> CTraderLoopbackReceiver {
        var url = try CTraderHTTPURL(parsing: redirectURI)
        guard url.scheme == "http", url.isLoopback, url.query.isEmpty else {
            throw CTraderOAuthError(
                .invalidURL,
                reason:
                    "the redirect URI \(redirectURI) must be http:// on a loopback address (127.0.0.1, ::1, localhost) without a query"
            )
        }
        let listener: TCPListener
        do {
            listener = try await TCPListener.bind(host: url.host, port: url.port, logger: logger)
        } catch {
            throw CTraderOAuthError(.network, reason: "cannot listen on \(url.authority) for the redirect: \(error)")
        }
        url.port = listener.port
        url.hasExplicitPort = true
        return CTraderLoopbackReceiver(
            redirectURI: url.description, limits: limits, listener: listener, path: url.path, logger: logger)
    }

    /// Waits for the redirect and returns its code.
    ///
    /// - Parameters:
    ///   - state: the `state` sent; an echoed one that differs is refused.
    ///   - timeout: how long to wait for the browser.
    /// - Throws: ``CTraderOAuthError``: ``CTraderOAuthError/Code/stateMismatch``,
    ///   ``CTraderOAuthError/Code/accessDenied`` (the redirect carried `error`),
    ///   ``CTraderOAuthError/Code/timedOut``, ``CTraderOAuthError/Code/invalidResponse`` (no code).
    public func waitForCode(state: String, timeout: Duration) async throws -> String {
        try await withDeadline(timeout, what: "waiting for the browser's redirect to \(redirectURI)") { [self] in
            while true {
                let connection: any Transport
                do {
                    connection = try await listener.accept()
                } catch let error as TransportError {
                    throw CTraderOAuthError(.network, reason: "the redirect listener failed: \(error)")
                }
                let outcome = await serve(connection, state: state)
                await connection.close()
                if let outcome { return try outcome.get() }
            }
        }
    }

    /// Stops listening.
    public func close() async {
        await listener.close()
    }

    /// Serves one connection: `nil` when it was not the redirect (the wait goes on).
    private func serve(_ connection: any Transport, state: String) async -> Result<String, CTraderOAuthError>? {
        let target: String
        do {
            let limits = self.limits
            target = try await withDeadline(limits.requestTimeout, what: "reading the redirect request") {
                try await Self.readTarget(connection, limit: limits.maximumRequestSize)
            }
        } catch {
            logger.debug("loopback: a bad request", metadata: ["error": "\(error)"])
            await answer(connection, status: "400 Bad Request", "The request was not understood.")
            return nil
        }
        let question = target.firstIndex(of: "?") ?? target.endIndex
        guard target[..<question] == path else {
            await answer(connection, status: "404 Not Found", "Not found.")
            return nil
        }
        let query = question == target.endIndex ? "" : String(target[target.index(after: question)...])
        let items = Dictionary(CTraderHTTPURL.decodeQuery(query), uniquingKeysWith: { first, _ in first })
        // The state is checked first: an answer that is not ours says nothing else that counts.
        if let echoed = items["state"], echoed != state {
            await answer(connection, status: "400 Bad Request", "Refused: the state does not match this login.")
            return .failure(CTraderOAuthError(.stateMismatch, reason: "the redirect's state is not the one sent"))
        }
        if let error = items["error"] {
            await answer(connection, status: "200 OK", "Access was not granted. You can close this window.")
            let description = items["error_description"] ?? error
            return .failure(CTraderOAuthError(.accessDenied, serverErrorCode: error, reason: description))
        }
        guard let code = items["code"], !code.isEmpty else {
            await answer(connection, status: "400 Bad Request", "The redirect carries no code.")
            return .failure(CTraderOAuthError(.invalidResponse, reason: "the redirect carried no code"))
        }
        await answer(connection, status: "200 OK", "Access granted: ctrader received it. You can close this window.")
        return .success(code)
    }

    /// The request target of a `GET` request head.
    private static func readTarget(_ connection: any Transport, limit: Int) async throws -> String {
        var buffer: [UInt8] = []
        while true {
            if let end = findHeadEnd(buffer) {
                // The request line: up to the first CR (bytes: "\r\n" is one Character).
                let line = String(decoding: buffer[..<end].prefix { $0 != 13 }, as: UTF8.self)
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "GET", parts[2].hasPrefix("HTTP/1.") else {
                    throw CTraderOAuthError(.invalidResponse, reason: "not an HTTP/1.x GET request")
                }
                return String(parts[1])
            }
            guard buffer.count < limit else {
                throw CTraderOAuthError(.invalidResponse, reason: "a request head longer than \(limit) bytes")
            }
            if try await connection.read(into: &buffer, maxLength: limit - buffer.count) == 0 {
                throw CTraderOAuthError(.invalidResponse, reason: "the request ended early")
            }
        }
    }

    private static func findHeadEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func answer(_ connection: any Transport, status: String, _ message: String) async {
        let body =
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>ctrader login</title></head>"
            + "<body><p>\(message)</p></body></html>\n"
        let head =
            "HTTP/1.1 \(status)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        try? await connection.write(Array((head + body).utf8))
        try? await connection.shutdownWrite()
    }
}
