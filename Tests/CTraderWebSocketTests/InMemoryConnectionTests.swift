import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import Testing

@testable import CTraderWebSocket

@Suite(.timeLimit(.minutes(5))) struct InMemoryConnectionTests {
    @Test(arguments: [false, true])
    func fullExchangeOverOneByteChunks(compressed: Bool) async throws {
        try await withTimeout {
            var clientConfiguration = WebSocketConfiguration()
            if compressed {
                clientConfiguration.perMessageDeflateOffer = .perMessageDeflate(PerMessageDeflateClientConfiguration())
            }
            let (client, server) = try await makeConnectedPair(chunking: .oneByte, client: clientConfiguration)
            #expect(server.requestTarget == "/test?x=1")
            #expect(client.requestTarget == nil)
            #expect((client.negotiatedExtensions != nil) == compressed)
            #expect(client.negotiatedExtensions == server.negotiatedExtensions)
            let echo = Task {
                for await message in server.messages {
                    try await server.send(message.data, opcode: message.opcode, fragmentSize: 100)
                }
            }
            let sent: [WebSocketMessage] = [
                WebSocketMessage(text: "hello, wörld"),
                WebSocketMessage(binary: []),
                WebSocketMessage(binary: pattern(1000)),
                WebSocketMessage(text: String(repeating: "cTrader ", count: 200)),
            ]
            var iterator = client.messages.makeAsyncIterator()
            for (index, message) in sent.enumerated() {
                try await client.send(message.data, opcode: message.opcode, fragmentSize: index % 2 == 0 ? nil : 7)
                let received = await iterator.next()
                #expect(received == message)
            }
            await client.close(code: .normalClosure, reason: "done")
            #expect(await iterator.next() == nil)
            try await echo.value
            let clientStatus = await client.waitUntilClosed()
            let serverStatus = await server.waitUntilClosed()
            #expect(clientStatus == WebSocketCloseStatus(code: .normalClosure, reason: "", wasClean: true))
            #expect(serverStatus == WebSocketCloseStatus(code: .normalClosure, reason: "done", wasClean: true))
        }
    }

    @Test func pingInTheMiddleOfAFragmentedMessageIsAnsweredAtOnce() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            var peer = try await RawPeer.connectingClient(clientTransport)
            let server = try await accepted
            try await peer.send(.text, Array("first half, ".utf8), fin: false)
            try await peer.send(.ping, [42, 43])
            // The pong arrives while the message is still incomplete.
            let pong = try #require(try await peer.nextFrame())
            #expect(pong.opcode == .pong)
            #expect(Array(pong.payload) == [42, 43])
            try await peer.send(.continuation, Array("second half".utf8), fin: true)
            var iterator = server.messages.makeAsyncIterator()
            #expect(await iterator.next() == WebSocketMessage(text: "first half, second half"))
            try await peer.send(.close, [0x03, 0xE8])
            #expect(try await peer.closeCode() == .normalClosure)
            #expect(await server.waitUntilClosed() == WebSocketCloseStatus(code: .normalClosure, wasClean: true))
        }
    }

    @Test(arguments: [WebSocketRole.client, .server])
    func closingHandshakeStartedByEitherSideIsClean(initiator: WebSocketRole) async throws {
        try await withTimeout {
            let (client, server) = try await makeConnectedPair()
            let (closer, other) = initiator == .client ? (client, server) : (server, client)
            let code = WebSocketCloseCode(rawValue: 4000 + (initiator == .client ? 1 : 2))
            let drain = Task { for await _ in other.messages {} }
            await closer.close(code: code, reason: "bye")
            await drain.value
            let closerStatus = await closer.waitUntilClosed()
            let otherStatus = await other.waitUntilClosed()
            // The closer's status comes from the first close frame it received: the peer's echo,
            // which repeats the code without the reason (RFC 6455 §7.1.5).
            #expect(closerStatus == WebSocketCloseStatus(code: code, reason: "", wasClean: true))
            #expect(otherStatus == WebSocketCloseStatus(code: code, reason: "bye", wasClean: true))
            #expect(await closer.closeStatus == closerStatus)
        }
    }

    @Test func closeTimesOutWhenThePeerNeverAnswers() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let peer = RawPeer.acceptingServer(serverTransport)
            var configuration = WebSocketConfiguration()
            configuration.closeTimeout = .milliseconds(200)
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", configuration: configuration, logger: testLogger)
            let silent = try await peer  // reads nothing, answers nothing
            await client.close()
            let status = await client.waitUntilClosed()
            #expect(status.code == .abnormalClosure)
            #expect(!status.wasClean)
            _ = silent
        }
    }

    /// Bytes a misbehaving server sends, and the close code our client must answer with.
    static let violations: [(name: String, bytes: [UInt8], code: UInt16)] = [
        ("reserved opcode 0x3", [0x83, 0x00], 1002),
        ("RSV1 without an extension", [0xC1, 0x01, 0x61], 1002),
        ("fragmented ping", [0x09, 0x00], 1002),
        ("continuation without a message", [0x80, 0x01, 0x61], 1002),
        ("masked frame to a client", [0x81, 0x81, 1, 2, 3, 4, 0x60], 1002),
        ("invalid UTF-8 in text", [0x81, 0x02, 0xC3, 0x28], 1007),
        ("invalid UTF-8 in a close reason", [0x88, 0x04, 0x03, 0xE8, 0xFF, 0xFE], 1007),
        ("close code 1005 on the wire", [0x88, 0x02, 0x03, 0xED], 1002),
    ]

    @Test(arguments: violations)
    func protocolErrorPutsTheRightCloseCodeOnTheWire(
        violation: (name: String, bytes: [UInt8], code: UInt16)
    ) async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = RawPeer.acceptingServer(serverTransport)
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", logger: testLogger)
            var peer = try await accepted
            try await serverTransport.write(violation.bytes)
            let code = try await peer.closeCode()
            #expect(code?.rawValue == violation.code, "\(violation.name)")
            let status = await client.waitUntilClosed()
            #expect(status.code.rawValue == violation.code)
            #expect(!status.wasClean)
        }
    }

    @Test func serverFailsAnUnmaskedClientFrameWith1002() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            var peer = try await RawPeer.connectingClient(clientTransport)
            let server = try await accepted
            try await clientTransport.write([0x81, 0x01, 0x61])  // unmasked text "a"
            #expect(try await peer.closeCode() == .protocolError)
            #expect(await server.waitUntilClosed().code == .protocolError)
        }
    }

    @Test func sendingAfterCloseThrowsConnectionClosed() async throws {
        try await withTimeout {
            let (client, server) = try await makeConnectedPair()
            await client.close()
            _ = await server.waitUntilClosed()
            await #expect(throws: WebSocketError(code: .connectionClosed, detail: "")) {
                try await client.send(text: "too late")
            }
            await #expect(throws: WebSocketError(code: .connectionClosed, detail: "")) {
                try await server.send([1, 2, 3])
            }
            await #expect(throws: WebSocketError(code: .connectionClosed, detail: "")) {
                try await client.ping()
            }
        }
    }

    @Test func badHandshakeRequestIsAnsweredWith4xxAndThrows() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            let request =
                "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"
            try await clientTransport.write(Array(request.utf8))
            var response: [UInt8] = []
            while try await clientTransport.read(into: &response, maxLength: 4096) > 0 {}
            #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 426"))
            do {
                _ = try await accepted
                Issue.record("accept succeeded")
            } catch let error as WebSocketError {
                #expect(error.code == .handshakeFailed)
                #expect(error.handshakeError?.code == .unsupportedVersion)
            }
        }
    }

    @Test func handshakeTimesOutWhenTheServerNeverAnswers() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            var configuration = WebSocketConfiguration()
            configuration.handshakeTimeout = .milliseconds(200)
            await #expect(throws: WebSocketError(code: .handshakeTimeout, detail: "")) {
                _ = try await WebSocketConnection.connect(
                    over: clientTransport, host: "memory", configuration: configuration, logger: testLogger)
            }
            _ = serverTransport
        }
    }

    @Test func autoPingDeclaresASilentPeerDead() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let peer = RawPeer.acceptingServer(serverTransport)
            var configuration = WebSocketConfiguration()
            configuration.autoPing = .enabled(interval: .milliseconds(100), timeout: .milliseconds(100))
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", configuration: configuration, logger: testLogger)
            var silent = try await peer
            let ping = try #require(try await silent.nextFrame())
            #expect(ping.opcode == .ping)
            let status = await client.waitUntilClosed()
            #expect(status.code == .abnormalClosure)
        }
    }

    @Test func autoPingKeepsAnAnsweringPeerAlive() async throws {
        try await withTimeout {
            var configuration = WebSocketConfiguration()
            // Pings every 200 ms, each with 10 s to be answered; staying open for 11 s (longer than
            // the timeout) shows that the pongs count. The timeout is generous because a loaded
            // machine can delay a pong by seconds, and that must not fail the test.
            configuration.autoPing = .enabled(interval: .milliseconds(200), timeout: .seconds(10))
            configuration.closeTimeout = .seconds(30)
            var serverConfiguration = WebSocketConfiguration()
            serverConfiguration.closeTimeout = .seconds(30)
            let (client, server) = try await makeConnectedPair(client: configuration, server: serverConfiguration)
            try await Task.sleep(for: .seconds(11))
            #expect(await client.closeStatus == nil)
            try await client.send(text: "still here")
            var iterator = server.messages.makeAsyncIterator()
            #expect(await iterator.next()?.text == "still here")
            // How the connection then ends is not this test's concern (the closing handshake has
            // tests of its own). Known issue, under investigation: in about one full parallel run
            // in three (872 tests, 2 cores) both ends of this pair ended 1006 with no reason after
            // the close, i.e. the in-memory transport ended without close frames; never alone.
            await client.close()
        }
    }

    @Test func cancellingTheConsumerEndsIterationAndReleasingTheConnectionClosesTheTransport() async throws {
        try await withTimeout {
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let peer = RawPeer.acceptingServer(serverTransport)
            var client: WebSocketConnection? = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", logger: testLogger)
            var raw = try await peer
            let consumer = Task { [stream = client!.messages] () -> Int in
                var count = 0
                for await _ in stream { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))
            consumer.cancel()
            #expect(await consumer.value == 0)
            #expect(await client!.closeStatus == nil)
            client = nil
            // The last reference is gone (the stream went with the task): the transport closes.
            while let frame = try await raw.nextFrame() {
                Issue.record("unexpected frame \(frame.opcode)")
            }
        }
    }

    @Test func fullInboundQueueStopsReadingUntilTheApplicationTakesMessages() async throws {
        try await withTimeout {
            var serverConfiguration = WebSocketConfiguration()
            serverConfiguration.inboundQueueDepth = 2
            let (clientTransport, serverTransport) = InMemoryTransport.makePair(bufferCapacity: 4096)
            async let accepted = WebSocketConnection.accept(
                serverTransport, configuration: serverConfiguration, logger: testLogger)
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", logger: testLogger)
            let server = try await accepted
            // 2 queued + 1 held by the reader + the 4 KiB transport buffer: the rest must wait.
            let sentCount = SentCounter()
            let writer = Task {
                for index in 0..<20 {
                    try await client.send(pattern(1024, seed: index))
                    await sentCount.increment()
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let sentBeforeReading = await sentCount.value
            #expect(sentBeforeReading < 20, "the writer was never held back")
            var iterator = server.messages.makeAsyncIterator()
            for index in 0..<20 {
                #expect(await iterator.next()?.data == pattern(1024, seed: index))
            }
            try await writer.value
            await client.close()
        }
    }
}

actor SentCounter {
    var value = 0
    func increment() { value += 1 }
}

extension InMemoryConnectionTests {
    @Test func releasingAConnectionWhoseQueueIsFullEndsItsReadTask() async throws {
        try await withTimeout {
            var clientConfiguration = WebSocketConfiguration()
            clientConfiguration.inboundQueueDepth = 1
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            var client: WebSocketConnection? = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", configuration: clientConfiguration, logger: testLogger)
            let server = try await accepted
            for index in 0..<4 { try await server.send(pattern(100, seed: index)) }
            try await Task.sleep(for: .milliseconds(50))  // the client's queue fills, its reader waits
            weak let core = client?.core
            client = nil
            // The server sees the transport end, and the client's engine is freed (its read task ended).
            #expect(await server.waitUntilClosed().code == .abnormalClosure)
            for _ in 0..<1000 where core != nil { try await Task.sleep(for: .milliseconds(10)) }
            #expect(core == nil)
        }
    }
}

extension InMemoryConnectionTests {
    @Test func pongGoesOutBetweenTheFragmentsOfOurOwnMessage() async throws {
        try await withTimeout {
            // A small buffer holds the sender back, so the ping arrives mid-message.
            let (clientTransport, serverTransport) = InMemoryTransport.makePair(bufferCapacity: 1024)
            async let accepted = RawPeer.acceptingServer(serverTransport)
            var configuration = WebSocketConfiguration()
            configuration.closeTimeout = .milliseconds(100)  // the raw peer never answers the close
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", configuration: configuration, logger: testLogger)
            var peer = try await accepted
            // 2048 fragments, each written only once the peer has read the one before last: the
            // client's reader (on the shared I/O thread, which other suites keep busy) has that
            // long to take the ping. With 128 fragments it once took longer, in a full parallel run.
            let message = pattern(1 << 20)
            let sending = Task { try await client.send(message, fragmentSize: 512) }
            try await peer.send(.ping, [7])
            var frames: [WebSocketFrame] = []
            while frames.last?.fin != true || frames.last?.opcode == .pong {
                frames.append(try #require(try await peer.nextFrame()))
            }
            try await sending.value
            let pongIndex = try #require(frames.firstIndex { $0.opcode == .pong })
            #expect(pongIndex < frames.count - 1, "the pong waited for the whole message")
            #expect(Array(frames[pongIndex].payload) == [7])
            let data = frames.filter { $0.opcode != .pong }
            #expect(data.first?.opcode == .binary)
            #expect(data.dropFirst().allSatisfy { $0.opcode == .continuation })
            #expect(data.flatMap { Array($0.payload) } == message)
            await client.close(code: .normalClosure)
            _ = peer
        }
    }
}

extension InMemoryConnectionTests {
    @Test func theConfiguredUserAgentReachesTheServer() async throws {
        try await withTimeout {
            var configuration = WebSocketConfiguration()
            configuration.userAgent = "tester/1.2"
            let (client, server) = try await makeConnectedPair(client: configuration)
            #expect(server.requestHeaders?["User-Agent"] == ["tester/1.2"])
            #expect(client.requestHeaders == nil)
            await client.close()
        }
    }

    @Test func noUserAgentByDefaultAndAnExtraHeaderTakesPrecedence() async throws {
        try await withTimeout {
            let (plainClient, plainServer) = try await makeConnectedPair()
            #expect(plainServer.requestHeaders?["User-Agent"] == [])
            await plainClient.close()

            var configuration = WebSocketConfiguration()
            configuration.userAgent = "configured/1"
            let (clientTransport, serverTransport) = InMemoryTransport.makePair()
            async let accepted = WebSocketConnection.accept(serverTransport, logger: testLogger)
            let client = try await WebSocketConnection.connect(
                over: clientTransport, host: "memory", configuration: configuration,
                extraHeaders: [("User-Agent", "explicit/2")], logger: testLogger)
            #expect(try await accepted.requestHeaders?["User-Agent"] == ["explicit/2"])
            await client.close()
        }
    }
}
