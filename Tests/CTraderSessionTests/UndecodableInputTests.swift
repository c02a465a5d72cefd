// swift-ctrader: a server message that does not decode never ends the session; invalid UTF-8
// (a protocol violation) does, with close code 1007.

import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderTransport
import CTraderWebSocket
import Testing

@Suite(.timeLimit(.minutes(5))) struct UndecodableInputTests {
    /// An undecodable error naming `clientMsgId`, as the JSON codec reports it.
    private func undecodable(_ clientMsgId: String?) -> MessagingError {
        var error = MessagingError(code: .invalidPayload, reason: "ProtoOAVersionRes: scripted")
        error.payloadType = .protoOaVersionRes
        error.clientMsgId = clientMsgId
        return error
    }

    @Test func anUndecodableAnswerFailsItsRequestAtOnce() throws {
        var (machine, connection) = try readyMachine()
        let request = try #require(machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent.first)
        let actions = machine.receivedUndecodable(undecodable(request.clientMsgId), on: connection, now: .seconds(1))
        let error = try #require(actions.failure(of: id(10)))
        #expect(error.code == .unexpectedResponse)
        #expect(error.clientMsgId == request.clientMsgId)
        #expect(actions.closed.isEmpty)
        #expect(machine.isReady)
    }

    @Test func anUndecodableAnswerToATradingRequestLeavesItsOutcomeUnknown() throws {
        var (machine, connection) = try readyMachine()
        let order = marketBuyOrder()
        let request = try #require(machine.request(id(10), message: order, now: .zero).sent.first)
        let actions = machine.receivedUndecodable(undecodable(request.clientMsgId), on: connection, now: .seconds(1))
        #expect(actions.failure(of: id(10))?.code == .outcomeUnknown)
    }

    @Test func anUndecodableMessageOfNoRequestChangesNothingButCountsAsTraffic() throws {
        var (machine, connection) = try readyMachine()
        #expect(machine.receivedUndecodable(undecodable(nil), on: connection, now: .seconds(25)).isEmpty)
        #expect(machine.receivedUndecodable(undecodable("m999"), on: connection, now: .seconds(25)).isEmpty)
        // The dead-connection timer counts from the last message, undecodable or not.
        #expect(machine.tick(now: .seconds(40)).closed.isEmpty)
        #expect(machine.isReady)
    }

    @Test func anUndecodableAnswerFailsTheRequestAndIsLoggedWithoutItsBytes() async throws {
        let fake = FakeServer()
        let connector = inMemoryWebSocketConnector(to: fake, host: "fake.local")
        let log = LogCapture()
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .custom(connector),
                credentials: testCredentials,
                clock: ManualClock()
            ),
            logger: log.logger
        )
        let statuses = client.statusUpdates()
        var diagnostics = client.diagnostics().makeAsyncIterator()
        async let connected: Void = client.connect()
        let connection = try await fake.nextConnection()
        let (_, authRequest) = try await connection.expect(ProtoOAApplicationAuthReq.self)
        try await connection.reply(to: authRequest, with: ProtoOAApplicationAuthRes())
        try await connected
        let channel = try #require(connection.channel as? WebSocketChannel)

        // An answer that does not decode: its request fails at once, the connection stays.
        async let answer = client.send(ProtoOAVersionReq())
        let (_, request) = try await connection.expect(ProtoOAVersionReq.self)
        let clientMsgId = try #require(request.clientMsgId)
        let garbage =
            #"{"clientMsgId":"\#(clientMsgId)","payloadType":2105,"payload":{"version":{"secret-token-xyz":1}}}"#
        try await channel.sendRaw(Array(garbage.utf8))
        do {
            _ = try await answer
            Issue.record("the request should fail")
        } catch {
            expectCTraderError(error, .unexpectedResponse)
        }
        let diagnostic = try #require(await diagnostics.next())
        #expect(diagnostic.clientMsgId == clientMsgId)
        #expect(diagnostic.payloadType == .protoOaVersionRes)
        #expect(diagnostic.bytes == Array(garbage.utf8))
        #expect(client.undecodableCount == 1)
        #expect(log.text.contains("warning skipped a message that does not decode"))
        #expect(!log.text.contains("secret-token-xyz"))

        async let version = client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
        let (_, versionRequest) = try await connection.expect(ProtoOAVersionReq.self)
        try await connection.reply(to: versionRequest, with: versionRes())
        #expect(try await version.version == "1.0")
        await client.shutdown()
        var seen: [SessionStatus] = []
        for await status in statuses { seen.append(status) }
        #expect(!seen.contains { if case .connectionLost = $0 { true } else { false } })
    }

    @Test func invalidUTF8FromTheServerClosesWith1007() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0, logger: quietLogger)
        let fake = FakeServer()
        let connections = Locked<[WebSocketConnection]>([])
        let server = WebSocketServer(listener: listener, logger: quietLogger) { connection in
            connections.withLock { $0.append(connection) }
            fake.accept(ServerConnection(channel: WebSocketChannel(connection: connection)))
            _ = await connection.waitUntilClosed()
        }
        let serving = Task { await server.run() }
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url("ws://127.0.0.1:\(listener.port)/"),
                credentials: testCredentials,
                reconnect: CTraderReconnectPolicy(initialDelay: .milliseconds(10), maximumAttempts: 5, jitterSeed: 2)
            ),
            logger: quietLogger
        )
        async let connected: Void = client.connect()
        let first = try await fake.nextConnection()
        try await first.acceptAppAuth()
        try await connected

        let channel = try #require(first.channel as? WebSocketChannel)
        try await channel.sendRaw([UInt8(ascii: "{"), 0xFF, UInt8(ascii: "}")])
        let status = await channel.connection.waitUntilClosed()
        #expect(status.code == .invalidFramePayloadData)
        #expect(client.undecodableCount == 0)
        #expect(connections.withLock { $0.count } >= 1)

        await client.shutdown()
        await server.close()
        await serving.value
    }
}
