// swift-ctrader: the same flows over real loopback TCP with the protobuf wire format (port 5035 framing).

import CTraderMessaging
import CTraderSession
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Testing

@Suite(.timeLimit(.minutes(5))) struct LoopbackTCPTests {
    @Test func protobufOverTCPConnectAuthorizeTradeReconnectAndShutdown() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0, logger: quietLogger)
        let configuration = CTraderClientConfiguration(
            endpoint: .custom(.protobufTCP(host: "127.0.0.1", port: listener.port)),
            wireFormat: .protobuf,
            credentials: testCredentials,
            reconnect: CTraderReconnectPolicy(initialDelay: .milliseconds(10), maximumAttempts: 5, jitterSeed: 1)
        )
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        let spots = client.spots()
        var spotIterator = spots.makeAsyncIterator()

        func accept() async throws -> ServerConnection {
            try await withTimeout(.seconds(180), "accept") {
                ServerConnection(channel: ProtobufChannel(transport: try await listener.accept()))
            }
        }

        async let connected: Void = client.connect()
        let first = try await accept()
        try await first.acceptAppAuth()
        try await connected

        try await authorize(client, account: 42, token: "tcp-access-token-abcdefghijk", on: first)

        async let symbols = client.symbols(account: 42)
        let (_, symbolsRequest) = try await first.expect(ProtoOASymbolsListReq.self)
        var list = ProtoOASymbolsListRes()
        list.ctidTraderAccountID = 42
        var symbol = ProtoOALightSymbol()
        symbol.symbolID = 1
        symbol.symbolName = "EURUSD"
        list.symbol = [symbol]
        try await first.reply(to: symbolsRequest, with: list)
        #expect(try await symbols.symbol.first?.symbolName == "EURUSD")

        async let subscribed: Void = client.subscribeSpots(account: 42, symbols: [1])
        let (_, spotRequest) = try await first.expect(ProtoOASubscribeSpotsReq.self)
        try await first.reply(to: spotRequest, with: accountRes(ProtoOASubscribeSpotsRes.self, 42))
        try await subscribed
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 42
        spot.symbolID = 1
        spot.bid = 108_000
        spot.ask = 108_002
        try await first.send(spot)
        #expect(try await spotIterator.next()?.message?.ask == 108_002)

        async let filled = client.placeMarketOrder(account: 42, symbol: 1, side: .buy, volume: 100_000)
        let (_, orderRequest) = try await first.expect(ProtoOANewOrderReq.self)
        var execution = ProtoOAExecutionEvent()
        execution.ctidTraderAccountID = 42
        execution.executionType = .orderFilled
        try await first.reply(to: orderRequest, with: execution)
        #expect(try await filled.executionType == .orderFilled)

        // Close a position, and drop the connection while it is in flight.
        async let closing = client.closePosition(account: 42, positionId: 5, volume: 100_000)
        _ = try await first.expect(ProtoOAClosePositionReq.self)
        await first.close()
        do {
            _ = try await closing
            Issue.record("closing should fail")
        } catch {
            expectCTraderError(error, .outcomeUnknown)
        }

        let second = try await accept()
        try await second.acceptAppAuth()
        #expect(try await second.acceptAccountAuth() == 42)
        let (again, againRequest) = try await second.expect(ProtoOASubscribeSpotsReq.self)
        #expect(again.symbolID == [1])
        try await second.reply(to: againRequest, with: accountRes(ProtoOASubscribeSpotsRes.self, 42))
        guard case .reconnected = try await spotIterator.next() else {
            Issue.record("expected the reconnect marker")
            return
        }
        async let reconciled = client.reconcile(account: 42)
        let (_, reconcileRequest) = try await second.expect(ProtoOAReconcileReq.self)
        try await second.reply(to: reconcileRequest, with: accountRes(ProtoOAReconcileRes.self, 42))
        _ = try await reconciled

        await client.shutdown()
        try await second.waitForClose()
        #expect(try await spotIterator.next() == nil)
        await listener.close()
    }

    /// The configuration's WebSocket settings reach a `.url` endpoint: a server that accepts and
    /// never answers the opening handshake fails the connect with the configured handshake timeout.
    @Test func theWebSocketConfigurationReachesAURLEndpoint() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0, logger: quietLogger)
        let silent = Task { try await listener.accept() }  // accepts, then says nothing
        var webSocket = WebSocketConfiguration()
        webSocket.handshakeTimeout = .milliseconds(300)
        let configuration = CTraderClientConfiguration(
            endpoint: .url("ws://127.0.0.1:\(listener.port)/"),
            credentials: testCredentials,
            webSocket: webSocket,
            reconnect: CTraderReconnectPolicy(initialDelay: .milliseconds(10), maximumAttempts: 1, jitterSeed: 1)
        )
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        let error = try await withTimeout(.seconds(180), "a connect against a silent server") {
            do {
                try await client.connect()
                return nil as CTraderError?
            } catch let error as CTraderError {
                return error
            }
        }
        #expect(error != nil)
        // The message names the configured 0.3 s, not the default 10 s.
        #expect("\(String(reflecting: error))".contains("within 0.3 seconds"), "\(String(reflecting: error))")
        await client.shutdown()
        _ = try? await silent.value
        await listener.close()
    }
}
