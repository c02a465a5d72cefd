// swift-ctrader: the JSON wire format over a real WebSocket, against our WebSocket server role.

import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderTransport
import CTraderWebSocket
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketTests {
    @Test func jsonOverWebSocketConnectAuthorizeTradeReconnectAndCloseWith1000() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0, logger: quietLogger)
        let fake = FakeServer()
        let closeCodes = Locked<[WebSocketCloseCode]>([])
        let server = WebSocketServer(listener: listener, logger: quietLogger) { connection in
            fake.accept(ServerConnection(channel: WebSocketChannel(connection: connection)))
            let status = await connection.waitUntilClosed()
            closeCodes.withLock { $0.append(status.code) }
        }
        let serving = Task { await server.run() }

        let configuration = CTraderClientConfiguration(
            endpoint: .url("ws://127.0.0.1:\(listener.port)/"),
            credentials: testCredentials,
            reconnect: CTraderReconnectPolicy(
                initialDelay: .milliseconds(10),
                maximumAttempts: 5,
                jitterSeed: 2
            )
        )
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        let spots = client.spots()
        var spotIterator = spots.makeAsyncIterator()

        async let connected: Void = client.connect()
        let first = try await fake.nextConnection()
        try await first.acceptAppAuth()
        try await connected

        async let accounts = client.accounts(accessToken: "ws-access-token-abcdefghijk")
        let (_, listRequest) = try await first.expect(ProtoOAGetAccountListByAccessTokenReq.self)
        var list = ProtoOAGetAccountListByAccessTokenRes()
        list.accessToken = "ws-access-token-abcdefghijk"
        var account = ProtoOACtidTraderAccount()
        account.ctidTraderAccountID = 42
        list.ctidTraderAccount = [account]
        try await first.reply(to: listRequest, with: list)
        #expect(try await accounts.map(\.ctidTraderAccountID) == [42])

        try await authorize(client, account: 42, token: "ws-access-token-abcdefghijk", on: first)

        async let subscribed: Void = client.subscribeSpots(account: 42, symbols: [1, 2])
        let (_, spotRequest) = try await first.expect(ProtoOASubscribeSpotsReq.self)
        try await first.reply(to: spotRequest, with: accountRes(ProtoOASubscribeSpotsRes.self, 42))
        try await subscribed
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 42
        spot.symbolID = 2
        spot.bid = 150_000
        try await first.send(spot)
        #expect(try await spotIterator.next()?.message?.bid == 150_000)

        async let order = client.placeMarketOrder(account: 42, symbol: 2, side: .sell, volume: 1_000)
        let (_, orderRequest) = try await first.expect(ProtoOANewOrderReq.self)
        var orderError = ProtoOAOrderErrorEvent()
        orderError.ctidTraderAccountID = 42
        orderError.errorCode = "MARKET_CLOSED"
        try await first.reply(to: orderRequest, with: orderError)
        do {
            _ = try await order
            Issue.record("the order should fail")
        } catch {
            expectCTraderError(error, .orderError, errorCode: "MARKET_CLOSED")
        }

        // The server closes; the client reconnects and restores.
        await first.close()
        let second = try await fake.nextConnection()
        try await second.acceptAppAuth()
        #expect(try await second.acceptAccountAuth() == 42)
        let (again, againRequest) = try await second.expect(ProtoOASubscribeSpotsReq.self)
        #expect(again.symbolID == [1, 2])
        try await second.reply(to: againRequest, with: accountRes(ProtoOASubscribeSpotsRes.self, 42))
        guard case .reconnected = try await spotIterator.next() else {
            Issue.record("expected the reconnect marker")
            return
        }

        await client.shutdown()
        try await second.waitForClose()
        await server.close()
        await serving.value
        #expect(closeCodes.withLock { $0 } == [.normalClosure, .normalClosure])
    }

    @Test func jsonOverAWebSocketOnAnInMemoryTransport() async throws {
        let fake = FakeServer()
        let connector = inMemoryWebSocketConnector(to: fake, host: "simulator.local")
        let configuration = CTraderClientConfiguration(
            endpoint: .custom(connector),
            credentials: testCredentials,
            clock: ManualClock()
        )
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        async let connected: Void = client.connect()
        let connection = try await fake.nextConnection()
        let (auth, authRequest) = try await connection.expect(ProtoOAApplicationAuthReq.self)
        #expect(auth.clientID == testCredentials.clientId)
        try await connection.reply(to: authRequest, with: ProtoOAApplicationAuthRes())
        try await connected
        async let version = client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
        let (_, versionRequest) = try await connection.expect(ProtoOAVersionReq.self)
        try await connection.reply(to: versionRequest, with: versionRes())
        #expect(try await version.version == "1.0")
        await client.shutdown()
        try await connection.waitForClose()
    }
}
