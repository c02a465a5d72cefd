import Testing

@testable import CTraderFraming

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// Feeds `bytes` one at a time and returns the first complete result.
private func parseResponseByteByByte(
    _ bytes: [UInt8],
    parser: WebSocketHandshakeResponseParser = WebSocketHandshakeResponseParser()
) throws -> (response: WebSocketHandshakeResponse, remainder: [UInt8])? {
    var parser = parser
    for (index, byte) in bytes.enumerated() {
        if let parsed = try parser.parse([byte]) {
            // Bytes not fed yet also belong to the stream.
            return (parsed.response, parsed.remainder + bytes[(index + 1)...])
        }
    }
    return nil
}

private func parseRequestByteByByte(
    _ bytes: [UInt8]
) throws -> (request: WebSocketHandshakeRequest, remainder: [UInt8])? {
    var parser = WebSocketHandshakeRequestParser()
    for (index, byte) in bytes.enumerated() {
        if let parsed = try parser.parse([byte]) {
            return (parsed.request, parsed.remainder + bytes[(index + 1)...])
        }
    }
    return nil
}

private let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="
private let rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

private func response(_ lines: [String]) -> WebSocketHandshakeResponse {
    var parser = WebSocketHandshakeResponseParser()
    let text = lines.joined(separator: "\r\n") + "\r\n\r\n"
    return try! parser.parse(Array(text.utf8))!.response
}

private func okResponse(extraLines: [String] = [], accept: String = rfcAccept) -> WebSocketHandshakeResponse {
    response(
        [
            "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Accept: \(accept)",
        ] + extraLines)
}

private func request(_ lines: [String]) throws -> WebSocketHandshakeRequest {
    var parser = WebSocketHandshakeRequestParser()
    let text = lines.joined(separator: "\r\n") + "\r\n\r\n"
    return try #require(try parser.parse(Array(text.utf8))).request
}

private let validRequestLines = [
    "GET /chat HTTP/1.1", "Host: server.example.com", "Upgrade: websocket", "Connection: keep-alive, Upgrade",
    "Sec-WebSocket-Key: \(rfcKey)", "Sec-WebSocket-Version: 13",
]

@Suite(.timeLimit(.minutes(5))) struct SHA1AndBase64Tests {
    @Test func sha1KnownVectors() {
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(
            hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(
            hex(SHA1.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func rfc6455AcceptExample() {
        #expect(webSocketAcceptValue(forKey: rfcKey) == rfcAccept)
    }

    @Test func base64RoundTripAndRejects() {
        #expect(Base64.encode(Array("the sample nonce".utf8)) == rfcKey)
        #expect(Base64.decode(rfcKey) == Array("the sample nonce".utf8))
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("f".utf8)) == "Zg==")
        #expect(Base64.decode("Zg=") == nil)
        #expect(Base64.decode("Z===") == nil)
        #expect(Base64.decode("Zg=a") == nil)
        #expect(Base64.decode("Zm9v!A==") == nil)
    }

    @Test func generatedKeysAreSixteenRandomBytes() {
        let keys = (0..<8).map { _ in WebSocketClientHandshake.makeKey() }
        for key in keys { #expect(Base64.decode(key)?.count == 16) }
        #expect(Set(keys).count == keys.count)
    }
}

@Suite(.timeLimit(.minutes(5))) struct ClientHandshakeTests {
    @Test func requestBytes() {
        let handshake = WebSocketClientHandshake(
            host: "demo.ctraderapi.com", port: 5036, isSecure: true, target: "/feed?x=1",
            extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration()),
            subprotocols: ["json", "chat"], extraHeaders: ["Origin": "https://example.com"], key: rfcKey
        )
        let text = String(decoding: handshake.requestBytes, as: UTF8.self)
        #expect(
            text == """
                GET /feed?x=1 HTTP/1.1\r
                Host: demo.ctraderapi.com:5036\r
                Upgrade: websocket\r
                Connection: Upgrade\r
                Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
                Sec-WebSocket-Version: 13\r
                Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r
                Sec-WebSocket-Protocol: json, chat\r
                Origin: https://example.com\r
                \r

                """)
    }

    @Test func hostHeaderOmitsDefaultPorts() {
        #expect(WebSocketClientHandshake(host: "a.example", port: 80).hostHeader == "a.example")
        #expect(WebSocketClientHandshake(host: "a.example", port: 443, isSecure: true).hostHeader == "a.example")
        #expect(WebSocketClientHandshake(host: "a.example", port: 443).hostHeader == "a.example:443")
        #expect(WebSocketClientHandshake(host: "::1", port: 9001).hostHeader == "[::1]:9001")
    }

    @Test func roundTripByteByByte() throws {
        let client = WebSocketClientHandshake(
            host: "localhost", port: 9001, target: "/runCase?case=3&agent=swift%20ctrader",
            extensionOffer: .perMessageDeflate(
                PerMessageDeflateClientConfiguration(serverMaxWindowBits: 10),
                PerMessageDeflateClientConfiguration()
            ),
            subprotocols: ["v2", "v1"]
        )
        let earlyFrame: [UInt8] = [0x81, 0x02, 0x68, 0x69]
        let (request, requestRemainder) = try #require(try parseRequestByteByByte(client.requestBytes + earlyFrame))
        #expect(requestRemainder == earlyFrame)
        #expect(request.path == "/runCase")
        #expect(request.query == "case=3&agent=swift%20ctrader")
        #expect(request.queryItems.map(\.name) == ["case", "agent"])
        #expect(request.queryItems.map(\.value) == ["3", "swift ctrader"])
        #expect(request.headers.first("host") == "localhost:9001")

        let server = WebSocketServerHandshake(
            perMessageDeflate: PerMessageDeflateServerConfiguration(clientNoContextTakeover: true),
            subprotocols: ["v1", "v2"]
        )
        let accepted = try server.accept(request)
        #expect(accepted.subprotocol == "v1")
        let serverDeflate = try #require(accepted.perMessageDeflate)
        #expect(serverDeflate.serverMaxWindowBits == 10)
        #expect(serverDeflate.clientNoContextTakeover)

        let (response, remainder) = try #require(try parseResponseByteByByte(accepted.responseBytes + earlyFrame))
        #expect(remainder == earlyFrame)
        #expect(response.status == 101)
        let result = try client.validate(response)
        #expect(result.subprotocol == "v1")
        let clientDeflate = try #require(result.perMessageDeflate)
        let clientConfig = clientDeflate.configuration(for: .client)
        let serverConfig = serverDeflate.configuration(for: .server)
        #expect(clientConfig.outbound == serverConfig.inbound)
        #expect(clientConfig.inbound == serverConfig.outbound)
        #expect(clientConfig.outbound.noContextTakeover)
        #expect(clientConfig.inbound.maxWindowBits == 10)

        // The negotiated codecs talk to each other in both directions.
        let clientDeflater = try clientDeflate.makeDeflater(for: .client, minimumSizeToCompress: 0)
        let serverInflater = try serverDeflate.makeInflater(for: .server)
        let serverDeflater = try serverDeflate.makeDeflater(for: .server, minimumSizeToCompress: 0)
        let clientInflater = try clientDeflate.makeInflater(for: .client)
        for text in ["{\"payloadType\":2106}", "{\"payloadType\":2106}", "{\"payloadType\":2107}"] {
            let message = Array(text.utf8)
            var atServer: [UInt8] = []
            try serverInflater.inflate(
                try #require(try clientDeflater.deflate(message[...]))[...], isFinalFragment: true, into: &atServer,
                limit: 1 << 20)
            #expect(atServer == message)
            var atClient: [UInt8] = []
            try clientInflater.inflate(
                try #require(try serverDeflater.deflate(message[...]))[...], isFinalFragment: true, into: &atClient,
                limit: 1 << 20)
            #expect(atClient == message)
        }
    }

    @Test func noExtensionsWhenServerDeclines() throws {
        let client = WebSocketClientHandshake(
            host: "h", extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration()), key: rfcKey)
        let result = try client.validate(okResponse())
        #expect(result.perMessageDeflate == nil)
        #expect(result.subprotocol == nil)
    }

    @Test func statusOtherThan101NamesTheStatusLine() {
        let client = WebSocketClientHandshake(host: "h", key: rfcKey)
        let bad = response(["HTTP/1.1 200 OK", "Content-Length: 0"])
        do {
            _ = try client.validate(bad)
            Issue.record("accepted a 200")
        } catch {
            #expect(error.code == .unexpectedStatus)
            #expect(error.detail.contains("HTTP/1.1 200 OK"))
        }
    }

    @Test func validationFailures() {
        let client = WebSocketClientHandshake(
            host: "h",
            extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration(clientMaxWindowBits: nil)),
            subprotocols: ["a"], key: rfcKey
        )
        func expectFailure(_ code: WebSocketHandshakeError.Code, _ response: WebSocketHandshakeResponse) {
            #expect(throws: WebSocketHandshakeError(code: code, detail: "")) { try client.validate(response) }
        }
        expectFailure(.invalidAccept, okResponse(accept: "AAAAAAAAAAAAAAAAAAAAAAAAAAA="))
        expectFailure(
            .invalidAccept, response(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"]))
        expectFailure(
            .missingUpgrade,
            response(["HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Sec-WebSocket-Accept: \(rfcAccept)"]))
        expectFailure(
            .missingUpgrade,
            response([
                "HTTP/1.1 101 Switching Protocols", "Upgrade: h2c", "Connection: Upgrade",
                "Sec-WebSocket-Accept: \(rfcAccept)",
            ]))
        expectFailure(
            .missingConnectionUpgrade,
            response(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Sec-WebSocket-Accept: \(rfcAccept)"]))
        expectFailure(.unofferedExtension, okResponse(extraLines: ["Sec-WebSocket-Extensions: x-webkit-deflate-frame"]))
        expectFailure(
            .unofferedExtensionParameter,
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10"]))
        expectFailure(
            .unofferedExtensionParameter,
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; mystery"]))
        expectFailure(
            .invalidExtensionHeader,
            okResponse(extraLines: [
                "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_no_context_takeover"
            ]))
        expectFailure(
            .invalidExtensionHeader,
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16"]))
        expectFailure(
            .invalidExtensionHeader,
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate"]))
        expectFailure(
            .invalidExtensionHeader,
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=\"1"]))
        expectFailure(.unofferedSubprotocol, okResponse(extraLines: ["Sec-WebSocket-Protocol: b"]))
        expectFailure(.unofferedSubprotocol, okResponse(extraLines: ["Sec-WebSocket-Protocol: a, a"]))
    }

    @Test func upgradeTokensAreCaseInsensitive() throws {
        let client = WebSocketClientHandshake(host: "h", key: rfcKey)
        let result = try client.validate(
            response([
                "HTTP/1.1 101 Switching Protocols", "upgrade: WebSocket", "CONNECTION: keep-alive, UPGRADE",
                "sec-websocket-accept: \(rfcAccept)",
            ]))
        #expect(result.response.status == 101)
    }

    @Test func serverMayRestrictItsOwnWindowUnasked() throws {
        let client = WebSocketClientHandshake(
            host: "h", extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration()), key: rfcKey)
        let result = try client.validate(
            okResponse(extraLines: [
                "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11"
            ]))
        let agreed = try #require(result.perMessageDeflate)
        #expect(
            agreed
                == PerMessageDeflateParameters(
                    serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12,
                    clientMaxWindowBits: .bits(11)
                ))
        let config = agreed.configuration(for: .client)
        #expect(config.outbound == .init(noContextTakeover: true, maxWindowBits: 11))
        #expect(config.inbound == .init(noContextTakeover: true, maxWindowBits: 12))
    }

    @Test func clientWindowOfEightIsHonoured() throws {
        let client = WebSocketClientHandshake(
            host: "h", extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration()), key: rfcKey)
        let result = try client.validate(
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8"]))
        #expect(result.perMessageDeflate?.configuration(for: .client).outbound.maxWindowBits == 8)
        // The server's own window of 8 only affects inflating, which a 9-bit window handles.
        #expect(throws: Never.self) {
            try client.validate(
                okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8"]))
        }
    }

    @Test func serverWindowAboveTheOfferIsRefused() {
        let client = WebSocketClientHandshake(
            host: "h",
            extensionOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration(serverMaxWindowBits: 10)),
            key: rfcKey
        )
        #expect(throws: WebSocketHandshakeError(code: .unofferedExtensionParameter, detail: "")) {
            try client.validate(
                okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12"]))
        }
    }

    @Test func rawOfferForAutobahn() throws {
        let client = WebSocketClientHandshake(
            host: "127.0.0.1", port: 9001, extensionOffer: .raw("permessage-deflate; client_max_window_bits"),
            key: rfcKey)
        #expect(
            String(decoding: client.requestBytes, as: UTF8.self).contains(
                "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"))
        let result = try client.validate(
            okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9"]))
        #expect(result.perMessageDeflate?.clientMaxWindowBits == .bits(9))
        #expect(result.perMessageDeflate?.configuration(for: .client).outbound.maxWindowBits == 9)

        let plain = WebSocketClientHandshake(host: "h", extensionOffer: .raw("permessage-deflate"), key: rfcKey)
        #expect(throws: WebSocketHandshakeError(code: .unofferedExtensionParameter, detail: "")) {
            try plain.validate(
                okResponse(extraLines: ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9"]))
        }
    }

    @Test func headerTooLarge() {
        var parser = WebSocketHandshakeResponseParser(maximumHeaderSize: 64)
        let head = Array(
            "HTTP/1.1 101 Switching Protocols\r\nX-Padding: \(String(repeating: "p", count: 100))\r\n\r\n".utf8)
        #expect(throws: WebSocketHandshakeError(code: .headerTooLarge, detail: "")) {
            for byte in head { _ = try parser.parse([byte]) }
        }
        // Without the blank line, the limit also applies.
        var endless = WebSocketHandshakeResponseParser(maximumHeaderSize: 64)
        #expect(throws: WebSocketHandshakeError(code: .headerTooLarge, detail: "")) {
            _ = try endless.parse([UInt8](repeating: UInt8(ascii: "a"), count: 65))
        }
        // A head exactly at the limit is fine.
        let exact = Array("HTTP/1.1 101 OK\r\n\r\n".utf8)
        var fits = WebSocketHandshakeResponseParser(maximumHeaderSize: exact.count)
        #expect((try? fits.parse(exact)) != nil)
    }

    @Test func malformedHeads() {
        var parser = WebSocketHandshakeResponseParser()
        #expect(throws: WebSocketHandshakeError(code: .malformedHTTP, detail: "")) {
            try parser.parse(Array("SMTP ready\r\n\r\n".utf8))
        }
        var folded = WebSocketHandshakeResponseParser()
        #expect(throws: WebSocketHandshakeError(code: .malformedHTTP, detail: "")) {
            try folded.parse(Array("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n  continued\r\n\r\n".utf8))
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ServerHandshakeTests {
    @Test func acceptsAndAnswersRFCExample() throws {
        let accepted = try WebSocketServerHandshake().accept(try request(validRequestLines))
        let text = String(decoding: accepted.responseBytes, as: UTF8.self)
        #expect(
            text
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(rfcAccept)\r\n\r\n"
        )
        #expect(accepted.perMessageDeflate == nil)
        #expect(accepted.request.path == "/chat")
        #expect(accepted.request.query == nil)
    }

    @Test func version12GetsA426() throws {
        let lines = validRequestLines.map { $0.hasPrefix("Sec-WebSocket-Version") ? "Sec-WebSocket-Version: 12" : $0 }
        do {
            _ = try WebSocketServerHandshake().accept(try request(lines))
            Issue.record("accepted version 12")
        } catch let error as WebSocketHandshakeError {
            #expect(error.code == .unsupportedVersion)
            let answer = String(decoding: WebSocketServerHandshake.rejectionBytes(for: error), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
            #expect(answer.contains("\r\nSec-WebSocket-Version: 13\r\n"))
            #expect(answer.hasSuffix("unsupportedVersion: \(error.detail)\n"))
        }
    }

    @Test func validationFailures() throws {
        func expectFailure(_ code: WebSocketHandshakeError.Code, replacing prefix: String, with line: String?) throws {
            var lines = validRequestLines.filter { !$0.hasPrefix(prefix) }
            if let line { lines.insert(line, at: prefix == "GET" ? 0 : 1) }
            let parsed = try request(lines)
            #expect(throws: WebSocketHandshakeError(code: code, detail: ""), "\(code)") {
                try WebSocketServerHandshake().accept(parsed)
            }
        }
        try expectFailure(.invalidMethod, replacing: "GET", with: "POST /chat HTTP/1.1")
        try expectFailure(.invalidHTTPVersion, replacing: "GET", with: "GET /chat HTTP/1.0")
        try expectFailure(.missingHost, replacing: "Host", with: nil)
        try expectFailure(.missingUpgrade, replacing: "Upgrade", with: nil)
        try expectFailure(.missingConnectionUpgrade, replacing: "Connection", with: "Connection: keep-alive")
        try expectFailure(.invalidKey, replacing: "Sec-WebSocket-Key", with: nil)
        try expectFailure(.invalidKey, replacing: "Sec-WebSocket-Key", with: "Sec-WebSocket-Key: c2hvcnQ=")
        try expectFailure(.unsupportedVersion, replacing: "Sec-WebSocket-Version", with: nil)
        let rejection = String(
            decoding: WebSocketServerHandshake.rejectionBytes(
                for: WebSocketHandshakeError(code: .missingHost, detail: "no Host")), as: UTF8.self)
        #expect(rejection.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(rejection.hasSuffix("\r\n\r\nmissingHost: no Host\n"))
    }

    @Test func requestHeaderTooLarge() {
        var parser = WebSocketHandshakeRequestParser(maximumHeaderSize: 128)
        let head = Array(
            (validRequestLines + ["Cookie: \(String(repeating: "c", count: 200))"]).joined(separator: "\r\n").utf8)
        #expect(throws: WebSocketHandshakeError(code: .headerTooLarge, detail: "")) {
            for byte in head { _ = try parser.parse([byte]) }
        }
        let answer = String(
            decoding: WebSocketServerHandshake.rejectionBytes(
                for: WebSocketHandshakeError(code: .headerTooLarge, detail: "")), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 431 "))
    }

    @Test func negotiatesFirstAcceptableOfferAndSubprotocol() throws {
        let lines =
            validRequestLines + [
                "Sec-WebSocket-Extensions: x-unknown; a=1, permessage-deflate; server_max_window_bits=8",
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; client_max_window_bits, permessage-deflate; client_max_window_bits; server_no_context_takeover",
                "Sec-WebSocket-Protocol: chat, superchat",
            ]
        let server = WebSocketServerHandshake(
            perMessageDeflate: PerMessageDeflateServerConfiguration(clientMaxWindowBits: 12),
            subprotocols: ["superchat", "chat"]
        )
        let accepted = try server.accept(try request(lines))
        #expect(
            accepted.perMessageDeflate
                == PerMessageDeflateParameters(serverNoContextTakeover: true, clientMaxWindowBits: .bits(12)))
        #expect(accepted.subprotocol == "superchat")
        let text = String(decoding: accepted.responseBytes, as: UTF8.self)
        #expect(
            text.contains(
                "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=12\r\n"
            ))
        #expect(text.contains("\r\nSec-WebSocket-Protocol: superchat\r\n"))
    }

    @Test func malformedExtensionHeaderOnlyDisablesCompression() throws {
        let server = WebSocketServerHandshake(perMessageDeflate: PerMessageDeflateServerConfiguration())
        let accepted = try server.accept(
            try request(validRequestLines + ["Sec-WebSocket-Extensions: permessage-deflate; =x"]))
        #expect(accepted.perMessageDeflate == nil)
        #expect(!String(decoding: accepted.responseBytes, as: UTF8.self).contains("Extensions"))
    }
}
