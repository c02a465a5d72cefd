// swift-ctrader: simulator tests.

import CTraderFraming
import CTraderMessaging
import CTraderSimulator
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Logging
import Testing

/// A raw JSON client over a real WebSocket.
struct JSONClient: Sendable {
    let connection: WebSocketConnection
    let codec = JSONEnvelopeCodec()

    static func connect(_ simulator: Simulator) async throws -> JSONClient {
        // A generous handshake bound: many of these connect at once in a parallel test run.
        var configuration = WebSocketConfiguration()
        configuration.handshakeTimeout = .seconds(120)
        return JSONClient(
            connection: try await WebSocketConnection.connect(to: simulator.url, configuration: configuration))
    }

    func send(_ message: some CTraderMessage, clientMsgId: String? = nil) async throws {
        try await connection.send(text: codec.encodeString(Envelope(message, clientMsgId: clientMsgId)))
    }

    /// The next envelope that is not a heartbeat; `nil` once the connection ended.
    func next() async throws -> Envelope? {
        for await message in connection.messages {
            let envelope = try codec.decode(message.data)
            if envelope.payloadType != .heartbeatEvent { return envelope }
        }
        return nil
    }

    func authorize(account: Int64 = SimulatorIdentity.demoHedgedAccountId) async throws {
        var app = ProtoOAApplicationAuthReq()
        app.clientID = SimulatorIdentity.demoClientId
        app.clientSecret = SimulatorIdentity.demoClientSecret
        try await send(app, clientMsgId: "app")
        let appReply = try await next()
        guard appReply?.payloadType == .protoOaApplicationAuthRes else { throw Unexpected(envelope: appReply) }
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = account
        auth.accessToken = SimulatorIdentity.demoAccessToken
        try await send(auth, clientMsgId: "acc")
        let authReply = try await next()
        guard authReply?.payloadType == .protoOaAccountAuthRes else { throw Unexpected(envelope: authReply) }
    }
}

struct Unexpected: Error {
    var envelope: Envelope?
}

@Suite("Simulator over sockets", .timeLimit(.minutes(5)))
struct SimulatorServerTests {
    @Test func malformedJSONIsAnsweredAndClosed() async throws {
        let simulator = try await Simulator.start()
        defer { Task { await simulator.stop() } }
        try await withTimeout {
            let connection = try await WebSocketConnection.connect(to: simulator.url)
            try await connection.send(text: #"{"payloadType":2100,}"#)
            var texts: [String] = []
            for await message in connection.messages {
                texts.append(message.text ?? "")
            }
            #expect(
                texts == [
                    #"{"payloadType":2142,"payload":{"errorCode":"INVALID_REQUEST","description":"Malformed JSON message at 1:21"}}"#
                ])
            let status = await connection.waitUntilClosed()
            #expect(status.code == .normalClosure)
        }
        await simulator.stop()
    }

    @Test func oversizedMessageIsFrameTooLong() async throws {
        let simulator = try await Simulator.start(.init(maximumMessageSize: 1_024))
        try await withTimeout {
            let client = try await JSONClient.connect(simulator)
            try await client.connection.send(
                text: #"{"payloadType":2100,"payload":{"clientId":""# + String(repeating: "x", count: 2_000) + #""}}"#)
            let reply = try await client.next()
            #expect(reply?.message(as: ProtoOAErrorRes.self)?.errorCode == "FRAME_TOO_LONG")
            #expect(try await client.next() == nil)
        }
        await simulator.stop()
    }

    @Test func clientMsgIdIsEchoedAndSpotsStream() async throws {
        let simulator = try await Simulator.start(.init(engine: .init(seed: 5), tickInterval: .milliseconds(20)))
        try await withTimeout {
            let client = try await JSONClient.connect(simulator)
            try await client.authorize()
            var sub = ProtoOASubscribeSpotsReq()
            sub.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
            sub.symbolID = [1]
            try await client.send(sub, clientMsgId: "sub-1")
            let res = try await client.next()
            #expect(res?.payloadType == .protoOaSubscribeSpotsRes)
            #expect(res?.clientMsgId == "sub-1")
            var spots = 0
            while spots < 5, let envelope = try await client.next() {
                if envelope.payloadType == .protoOaSpotEvent { spots += 1 }
            }
            #expect(spots == 5)
            await client.connection.close()
        }
        await simulator.stop()
    }

    @Test func twoHundredConcurrentClients() async throws {
        var configuration = Simulator.Configuration(engine: .init(seed: 7), tickInterval: .milliseconds(50))
        // 200 handshakes and authorizations at once, in a parallel run: the server's bounds on
        // both (handshake 10 s, application authorization 30 s) are widened, since they are not
        // this test's subject (in CI one client was closed unauthorized at 30 s).
        configuration.handshakeTimeout = .seconds(120)
        configuration.engine.unauthenticatedTimeout = .seconds(150)
        let simulator = try await Simulator.start(configuration)
        try await withTimeout(.seconds(180)) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let client = try await JSONClient.connect(simulator)
                        try await client.authorize(
                            account: index % 2 == 0
                                ? SimulatorIdentity.demoHedgedAccountId : SimulatorIdentity.demoNettedAccountId)
                        var sub = ProtoOASubscribeSpotsReq()
                        sub.ctidTraderAccountID =
                            index % 2 == 0
                            ? SimulatorIdentity.demoHedgedAccountId : SimulatorIdentity.demoNettedAccountId
                        sub.symbolID = [Int64(index % 20 + 1)]
                        try await client.send(sub, clientMsgId: "s\(index)")
                        var spots = 0
                        while spots < 3, let envelope = try await client.next() {
                            if envelope.payloadType == .protoOaErrorRes { throw Unexpected(envelope: envelope) }
                            if envelope.payloadType == .protoOaSpotEvent { spots += 1 }
                        }
                        await client.connection.close()
                        return spots
                    }
                }
                var total = 0
                for try await spots in group { total += spots }
                #expect(total == 600)
            }
        }
        await simulator.stop()
    }

    @Test func protobufOverTCP() async throws {
        let simulator = try await Simulator.start()
        let port = try #require(simulator.protobufPort)
        try await withTimeout {
            let transport = try await TCPTransport.connect(host: "127.0.0.1", port: port, logger: Logger(label: "test"))
            let codec = BinaryEnvelopeCodec()
            var app = ProtoOAApplicationAuthReq()
            app.clientID = SimulatorIdentity.demoClientId
            app.clientSecret = "wrong"
            try await transport.write(codec.encodeFrame(app, clientMsgId: "p1"))
            var decoder = BinaryFrameDecoder()
            var reply: Envelope?
            while reply == nil {
                let bytes = try await transport.read(maxLength: 4_096)
                if bytes.isEmpty { break }
                decoder.append(bytes)
                if let body = try decoder.nextFrame() { reply = try codec.decode(body) }
            }
            #expect(reply?.clientMsgId == "p1")
            #expect(reply?.message(as: ProtoOAErrorRes.self)?.errorCode == "CH_CLIENT_AUTH_FAILURE")
            await transport.close()
        }
        await simulator.stop()
    }

    @Test func faultsDropDelayAndReject() async throws {
        let simulator = try await Simulator.start()
        try await withTimeout {
            let client = try await JSONClient.connect(simulator)
            try await client.authorize()
            await simulator.faults.rejectOrders(withErrorCode: "MARKET_CLOSED")
            var order = ProtoOANewOrderReq()
            order.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
            order.symbolID = 1
            order.orderType = .market
            order.tradeSide = .buy
            order.volume = 100_000
            try await client.send(order, clientMsgId: "o1")
            #expect(try await client.next()?.message(as: ProtoOAOrderErrorEvent.self)?.errorCode == "MARKET_CLOSED")
            await simulator.faults.rejectOrders(withErrorCode: nil)

            await simulator.faults.withholdResponses(to: [.protoOaTraderReq])
            var trader = ProtoOATraderReq()
            trader.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
            try await client.send(trader, clientMsgId: "t1")
            // Requests are handled in order: once the asset list is answered, t1 was withheld.
            var assets = ProtoOAAssetListReq()
            assets.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
            try await client.send(assets, clientMsgId: "a1")
            #expect(try await client.next()?.clientMsgId == "a1")
            await simulator.faults.withholdResponses(to: [])
            await simulator.faults.delayResponses(by: .milliseconds(300))
            try await client.send(trader, clientMsgId: "t2")
            let start = ContinuousClock.now
            let reply = try await client.next()
            #expect(reply?.clientMsgId == "t2")
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            await simulator.faults.delayResponses(by: nil)

            await simulator.faults.dropAllConnections()
            while try await client.next() != nil {}
            let status = await client.connection.waitUntilClosed()
            #expect(status.wasClean == false)
        }
        await simulator.stop()
    }
}

@Suite("Simulator over sockets: options", .timeLimit(.minutes(5)))
struct SimulatorOptionTests {
    @Test func int64AsStringsAndEnumsAsNamesOnTheWire() async throws {
        let simulator = try await Simulator.start(.init(jsonStyle: .init(int64AsStrings: true, enumsAsNames: true)))
        try await withTimeout {
            let client = try await JSONClient.connect(simulator)
            try await client.authorize()
            var trader = ProtoOATraderReq()
            trader.ctidTraderAccountID = SimulatorIdentity.demoHedgedAccountId
            try await client.send(trader, clientMsgId: "t")
            var text: String?
            for await message in client.connection.messages {
                if message.text?.contains("2122") == true {
                    text = message.text
                    break
                }
            }
            #expect(text?.contains(#""ctidTraderAccountId":"1000001""#) == true)
            #expect(text?.contains(#""accountType":"HEDGED""#) == true)
            await client.connection.close()
        }
        await simulator.stop()
    }

    @Test func waitUntilStoppedReturnsAfterStop() async throws {
        let simulator = try await Simulator.start()
        try await withTimeout {
            let client = try await JSONClient.connect(simulator)
            try await client.authorize()
            #expect(await simulator.connectionCount == 1)
            let waiter = Task { await simulator.waitUntilStopped() }
            await simulator.stop()
            await waiter.value
            while try await client.next() != nil {}
            #expect(await simulator.connectionCount == 0)
        }
    }

    @Test func servesOnAnInMemoryListener() async throws {
        let listener = InMemoryListener()
        let simulator = Simulator.start(.init(), webSocketListener: listener, protobufListener: nil)
        try await withTimeout {
            let transport = try listener.connect()
            let connection = try await WebSocketConnection.connect(over: transport, host: "simulator")
            let client = JSONClient(connection: connection)
            try await client.authorize()
            await connection.close()
        }
        await simulator.stop()
    }
}

@Suite("Simulator over TLS", .timeLimit(.minutes(5)))
struct SimulatorTLSTests {
    @Test func secureWebSocketAndProtobuf() async throws {
        let certificates = try await TestCertificates.shared.value
        let simulator = try await Simulator.start(
            .init(
                tls: .init(certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey)
            ))
        #expect(simulator.url.hasPrefix("wss://127.0.0.1:"))
        let tls = TLSConfiguration.client(trustedCAFile: certificates.caFile)
        let port = try #require(simulator.protobufPort)
        try await withTimeout {
            let connection = try await WebSocketConnection.connect(
                to: "wss://localhost:\(simulator.webSocketPort)", tls: tls)
            let client = JSONClient(connection: connection)
            try await client.authorize()
            await connection.close()

            let transport = try await TLSTransport.connect(
                host: "localhost", port: port, configuration: tls, logger: Logger(label: "test"))
            let codec = BinaryEnvelopeCodec()
            var version = ProtoOAVersionReq()
            version.payloadType = .protoOaVersionReq
            try await transport.write(codec.encodeFrame(version, clientMsgId: "v"))
            var decoder = BinaryFrameDecoder()
            var reply: Envelope?
            while reply == nil {
                let bytes = try await transport.read(maxLength: 4_096)
                if bytes.isEmpty { break }
                decoder.append(bytes)
                if let body = try decoder.nextFrame() { reply = try codec.decode(body) }
            }
            #expect(reply?.payloadType == .protoOaVersionRes)
            await transport.close()
        }
        await simulator.stop()
    }
}
