// swift-ctrader: the cTrader Open API OAuth code flow.

public import CTraderTransport
import Foundation
public import Logging

/// A minimal HTTP/1.1 client for one thing: `GET` a URL and read a bounded answer, over the
/// package's own TLS transport (OpenSSL, with the verification `TLSConfiguration` sets up). No
/// `URLSession`: on Linux it would pull in FoundationNetworking and libcurl.
///
/// `https://` is required, except for a loopback host (`127.0.0.1`, `::1`, `localhost`), where
/// `http://` is allowed: the simulator's plain authorization server. Each request opens its own
/// connection (`Connection: close`).
public struct CTraderHTTPClient: Sendable {
    /// Limits and TLS.
    public struct Configuration: Sendable {
        /// How `https://` connections are verified; default `TLSConfiguration.client()` (the
        /// system's roots). Give a `trustedCAFile` to trust a test CA (the simulator's).
        public var tls: TLSConfiguration
        /// How long a whole request may take (connect, handshake, answer); default 30 s.
        public var timeout: Duration
        /// The longest answer accepted, head and body, in bytes; default 64 KiB.
        public var maximumResponseSize: Int
        /// Whether `http://` is allowed for loopback hosts; default `true`.
        public var allowsPlainHTTPOnLoopback: Bool

        /// Makes a configuration; every limit has a documented default.
        public init(
            tls: TLSConfiguration = .client(),
            timeout: Duration = .seconds(30),
            maximumResponseSize: Int = 64 * 1_024,
            allowsPlainHTTPOnLoopback: Bool = true
        ) {
            self.tls = tls
            self.timeout = timeout
            self.maximumResponseSize = max(1_024, maximumResponseSize)
            self.allowsPlainHTTPOnLoopback = allowsPlainHTTPOnLoopback
        }
    }

    /// An answer.
    public struct Response: Sendable {
        /// The status code, e.g. 200.
        public var status: Int
        /// The header fields, names lower-cased, in order.
        public var headers: [(name: String, value: String)]
        /// The body (de-chunked).
        public var body: [UInt8]

        /// The first header field named `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            let name = name.lowercased()
            return headers.first { $0.name == name }?.value
        }
    }

    /// The configuration.
    public var configuration: Configuration
    private let logger: Logger

    /// Makes a client. `logger` gets `trace` lines naming the URL without its query (which may
    /// hold a secret) and the status, never a body.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "ctrader.http")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// `GET url`: the answer, whatever its status.
    ///
    /// - Throws: ``CTraderOAuthError``: ``CTraderOAuthError/Code/invalidURL``,
    ///   ``CTraderOAuthError/Code/network`` (the transport's error in words),
    ///   ``CTraderOAuthError/Code/timedOut``, ``CTraderOAuthError/Code/invalidResponse``.
    public func get(_ url: String) async throws -> Response {
        let parsed = try CTraderHTTPURL(parsing: url)
        if parsed.scheme == "http" && !(configuration.allowsPlainHTTPOnLoopback && parsed.isLoopback) {
            throw CTraderOAuthError(
                .invalidURL, reason: "\(parsed.withoutQuery) must be https:// (http:// only on loopback)")
        }
        guard parsed.port > 0 else { throw CTraderOAuthError(.invalidURL, reason: "\(parsed.withoutQuery) has port 0") }
        logger.trace("HTTP GET", metadata: ["url": "\(parsed.withoutQuery)"])
        let configuration = self.configuration
        let logger = self.logger
        let response = try await withDeadline(configuration.timeout, what: "GET \(parsed.withoutQuery)") {
            try await Self.exchange(parsed, configuration: configuration, logger: logger)
        }
        logger.trace("HTTP answer", metadata: ["url": "\(parsed.withoutQuery)", "status": "\(response.status)"])
        return response
    }

    private static func exchange(
        _ url: CTraderHTTPURL, configuration: Configuration, logger: Logger
    ) async throws
        -> Response
    {
        let transport: any Transport
        do {
            if url.scheme == "https" {
                transport = try await TLSTransport.connect(
                    host: url.host, port: url.port, configuration: configuration.tls,
                    connectTimeout: configuration.timeout, logger: logger)
            } else {
                transport = try await TCPTransport.connect(
                    host: url.host, port: url.port, connectTimeout: configuration.timeout, logger: logger)
            }
        } catch let error as TransportError {
            throw CTraderOAuthError(.network, reason: "\(url.withoutQuery): \(error)")
        }
        do {
            let request =
                "GET \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\nAccept: application/json\r\n"
                + "User-Agent: swift-ctrader\r\nConnection: close\r\n\r\n"
            try await transport.write(Array(request.utf8))
            var buffer: [UInt8] = []
            let parser = HTTPResponseParser(maximumSize: configuration.maximumResponseSize)
            while true {
                let before = buffer.count
                let read = try await transport.read(into: &buffer, maxLength: 16 * 1_024)
                if let response = try parser.parse(buffer, ended: read == 0) {
                    await transport.close()
                    return response
                }
                if read == 0 || buffer.count == before {
                    throw CTraderOAuthError(.invalidResponse, reason: "\(url.withoutQuery): the answer ended early")
                }
            }
        } catch let error as TransportError {
            await transport.close()
            throw CTraderOAuthError(.network, reason: "\(url.withoutQuery): \(error)")
        } catch {
            await transport.close()
            throw error
        }
    }
}

/// Runs `body`, cancelling it after `duration` with ``CTraderOAuthError/Code/timedOut``.
func withDeadline<T: Sendable>(
    _ duration: Duration, what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw CTraderOAuthError(.timedOut, reason: "\(what): no answer within \(duration)")
        }
        return value
    }
}

/// Reads an HTTP/1.1 answer from the bytes received so far: `Content-Length`, chunked, or up
/// to the end of the stream.
struct HTTPResponseParser {
    let maximumSize: Int

    /// The answer once complete; `nil` while more bytes are needed.
    func parse(_ bytes: [UInt8], ended: Bool) throws -> CTraderHTTPClient.Response? {
        guard bytes.count <= maximumSize else {
            throw CTraderOAuthError(.invalidResponse, reason: "the answer is longer than \(maximumSize) bytes")
        }
        guard let headEnd = headEnd(bytes) else {
            if ended { throw CTraderOAuthError(.invalidResponse, reason: "the answer ended inside its head") }
            return nil
        }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw CTraderOAuthError(.invalidResponse, reason: "not an HTTP/1.x answer")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw CTraderOAuthError(.invalidResponse, reason: "a malformed header line")
            }
            headers.append(
                (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingSpaces))
        }
        let body = bytes[(headEnd + 4)...]
        var response = CTraderHTTPClient.Response(status: status, headers: headers, body: [])
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            guard let decoded = try dechunk(body) else {
                if ended { throw CTraderOAuthError(.invalidResponse, reason: "the chunked body ended early") }
                return nil
            }
            response.body = decoded
        } else if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else {
                throw CTraderOAuthError(.invalidResponse, reason: "a bad Content-Length")
            }
            guard body.count >= length else {
                if ended { throw CTraderOAuthError(.invalidResponse, reason: "the body ended early") }
                return nil
            }
            response.body = Array(body.prefix(length))
        } else {
            guard ended else { return nil }
            response.body = Array(body)
        }
        return response
    }

    private func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// The de-chunked body, `nil` while incomplete.
    private func dechunk(_ body: ArraySlice<UInt8>) throws -> [UInt8]? {
        var out: [UInt8] = []
        var rest = body
        while true {
            guard
                let lineEnd = rest.indices.first(where: {
                    $0 + 1 < rest.endIndex && rest[$0] == 13 && rest[$0 + 1] == 10
                })
            else { return nil }
            let sizeText =
                String(decoding: rest[rest.startIndex..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map(String.init)?.trimmingSpaces ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else {
                throw CTraderOAuthError(.invalidResponse, reason: "a bad chunk size")
            }
            rest = rest[(lineEnd + 2)...]
            if size == 0 { return out }
            guard rest.count >= size + 2 else { return nil }
            out.append(contentsOf: rest.prefix(size))
            rest = rest.dropFirst(size + 2)
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
