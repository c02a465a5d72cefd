// swift-ctrader: through the client, a trading request made while the session reconnects fails
// as "not sent" (it would go out late), unless the opt-in resends it once after the reconnect.

import CTraderMessaging
import CTraderSession
import Testing

@Suite(.timeLimit(.minutes(5))) struct CTraderClientReconnectingTests {
    /// A connected client whose connection the server then closed: it is waiting to reconnect.
    private func droppedClient(
        resendsUnsentTradingRequests: Bool,
        rateLimits: CTraderRateLimits = CTraderRateLimits(windowMargin: .zero)
    ) async throws -> (CTraderClient, FakeServer, ManualClock) {
        let server = FakeServer()
        let clock = ManualClock()
        var configuration = makeConfiguration(server: server, clock: clock, rateLimits: rateLimits)
        configuration.resendsUnsentTradingRequests = resendsUnsentTradingRequests
        let client = CTraderClient(configuration: configuration, logger: quietLogger)
        let status = client.statusUpdates()
        let connection = try await connectClient(client, server: server)
        await connection.close()
        for await update in status {
            if case .reconnecting = update { break }
        }
        return (client, server, clock)
    }

    /// Lets the client reconnect and answers its application auth.
    private func reconnect(_ server: FakeServer, _ clock: ManualClock) async throws -> ServerConnection {
        try await waitForSleeper(clock)
        clock.advance(by: .seconds(5))
        let connection = try await server.nextConnection()
        try await connection.acceptAppAuth()
        return connection
    }

    @Test func anOrderMadeWhileReconnectingFailsAtOnceAsNotSent() async throws {
        let (client, server, clock) = try await droppedClient(resendsUnsentTradingRequests: false)
        do {
            _ = try await client.send(marketBuyOrder())
            Issue.record("the order was accepted while reconnecting")
        } catch {
            expectCTraderError(error, .notSent)
            #expect((error as? CTraderError)?.ctidTraderAccountId == 7)
        }
        // After the reconnect, the first request the server sees is the next one, not the order.
        let connection = try await reconnect(server, clock)
        async let version = client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
        let (_, request) = try await connection.expect(ProtoOAVersionReq.self)
        try await connection.reply(to: request, with: versionRes())
        _ = try await version
        await client.shutdown()
    }

    @Test func withTheOptInAnOrderMadeWhileReconnectingIsSentOnceAfterTheReconnect() async throws {
        // A queue of one: of two orders made while reconnecting, one waits and the other is
        // refused at once, which tells the test that the first is queued before the reconnect.
        let (client, server, clock) = try await droppedClient(
            resendsUnsentTradingRequests: true,
            rateLimits: CTraderRateLimits(maximumQueuedRequests: 1, windowMargin: .zero)
        )
        let connection = try await withThrowingTaskGroup(of: CTraderError?.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    do {
                        _ = try await client.send(marketBuyOrder())
                        return nil
                    } catch let error as CTraderError {
                        return error
                    }
                }
            }
            let refused = try #require(try await group.next())
            #expect(refused?.code == .queueFull)
            let connection = try await reconnect(server, clock)
            let (_, sent) = try await connection.expect(ProtoOANewOrderReq.self)
            var orderError = ProtoOAOrderErrorEvent()
            orderError.ctidTraderAccountID = 7
            orderError.errorCode = "MARKET_CLOSED"
            try await connection.reply(to: sent, with: orderError)
            let answered = try #require(try await group.next())
            #expect(answered?.code == .orderError)
            #expect(answered?.errorCode == .marketClosed)
            return connection
        }
        // Sent once: the next request the server sees is not the order again.
        async let version = client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
        let (_, request) = try await connection.expect(ProtoOAVersionReq.self)
        try await connection.reply(to: request, with: versionRes())
        _ = try await version
        await client.shutdown()
    }
}
