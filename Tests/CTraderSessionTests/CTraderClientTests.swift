// swift-ctrader: the client against a scripted fake server over in-memory transports, in virtual time.

import CTraderMessaging
import CTraderSession
import CTraderTransport
import Testing

@Suite(.timeLimit(.minutes(5))) struct CTraderClientTests {
    @Test func connectAuthorizeSymbolsOrderAndShutdown() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(configuration: makeConfiguration(server: server, clock: clock), logger: quietLogger)
        let connection = try await connectClient(client, server: server)
        try await authorize(client, account: 42, token: "access-token-42-abcdefghijklmnop", on: connection)
        #expect(await client.authorizedAccounts == [42])

        async let symbols = client.symbols(account: 42)
        let (_, symbolsRequest) = try await connection.expect(ProtoOASymbolsListReq.self)
        var list = ProtoOASymbolsListRes()
        list.ctidTraderAccountID = 42
        var eurusd = ProtoOALightSymbol()
        eurusd.symbolID = 1
        eurusd.symbolName = "EURUSD"
        list.symbol = [eurusd]
        try await connection.reply(to: symbolsRequest, with: list)
        #expect(try await symbols.symbol.map(\.symbolName) == ["EURUSD"])

        let executions = client.executions()
        async let order = client.placeMarketOrder(account: 42, symbol: 1, side: .buy, volume: 100_000)
        let (newOrder, orderRequest) = try await connection.expect(ProtoOANewOrderReq.self)
        #expect(newOrder.orderType == .market)
        var accepted = ProtoOAExecutionEvent()
        accepted.ctidTraderAccountID = 42
        accepted.executionType = .orderAccepted
        try await connection.reply(to: orderRequest, with: accepted)
        var filled = accepted
        filled.executionType = .orderFilled
        try await connection.reply(to: orderRequest, with: filled)
        #expect(try await order.executionType == .orderAccepted)
        var iterator = executions.makeAsyncIterator()
        #expect(try await iterator.next()?.message?.executionType == .orderAccepted)
        #expect(try await iterator.next()?.message?.executionType == .orderFilled)

        async let pending = client.send(ProtoOAVersionReq())
        _ = try await connection.expect(ProtoOAVersionReq.self)
        await client.shutdown()
        do {
            _ = try await pending
            Issue.record("expected CTraderError shutdown")
        } catch {
            expectCTraderError(error, .shutdown)
        }
        try await connection.waitForClose()
        #expect(try await iterator.next() == nil)
    }

    @Test func orderErrorsAndServerErrorsAreTyped() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let connection = try await connectClient(client, server: server)

        async let order = client.placeMarketOrder(account: 42, symbol: 1, side: .sell, volume: 100)
        let (_, request) = try await connection.expect(ProtoOANewOrderReq.self)
        var orderError = ProtoOAOrderErrorEvent()
        orderError.ctidTraderAccountID = 42
        orderError.errorCode = "NOT_ENOUGH_MONEY"
        orderError.description_p = "no money"
        try await connection.reply(to: request, with: orderError)
        do {
            _ = try await order
            Issue.record("the order should fail")
        } catch let error as CTraderError {
            #expect(error.code == .orderError)
            #expect(error.errorCode == "NOT_ENOUGH_MONEY")
            #expect(error.orderError?.description_p == "no money")
            #expect(error.payloadType == .protoOaNewOrderReq)
        }

        async let version = client.send(ProtoOAVersionReq())
        let (_, versionRequest) = try await connection.expect(ProtoOAVersionReq.self)
        var common = ProtoErrorRes()
        common.errorCode = "UNKNOWN_ERROR"
        common.description_p = "common error"
        try await connection.reply(to: versionRequest, with: common)
        do {
            _ = try await version
            Issue.record("expected CTraderError serverError")
        } catch {
            expectCTraderError(error, .serverError, errorCode: "UNKNOWN_ERROR")
        }
        await client.shutdown()
    }

    @Test func wrongClientCredentialsFailAtOnceWithoutReconnecting() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let status = client.statusUpdates()
        async let connected: Void = client.connect()
        let connection = try await server.nextConnection()
        let (_, auth) = try await connection.expect(ProtoOAApplicationAuthReq.self)
        try await connection.replyError(to: auth, code: "CH_CLIENT_AUTH_FAILURE", description: "bad secret")
        do {
            try await connected
            Issue.record("connect should fail")
        } catch let error as CTraderError {
            #expect(error.code == .authenticationFailed)
            #expect(error.errorCode == "CH_CLIENT_AUTH_FAILURE")
        }
        try await connection.waitForClose()
        var seen: [String] = []
        for await update in status { seen.append("\(update)") }
        #expect(seen.last?.hasPrefix("failed") == true)
        #expect(!seen.contains { $0.hasPrefix("reconnecting") })
        #expect(server.openCount == 1)
    }

    @Test func invalidTokenIsRefreshedOnceAndTheStoreGetsThePair() async throws {
        let server = FakeServer()
        let stored = Locked<[CTraderTokenPair]>([])
        let client = CTraderClient(
            configuration: makeConfiguration(
                server: server,
                clock: ManualClock(),
                tokenStore: { pair in stored.withLock { $0.append(pair) } }
            ),
            logger: quietLogger
        )
        let connection = try await connectClient(client, server: server)

        async let authorized = client.authorize(
            account: 9,
            accessToken: "old-access-token-999999",
            refreshToken: "old-refresh-token-888888"
        )
        let (_, refresh) = try await connection.refuseTokenThenRefresh(
            to: "new-access-token-777777", "new-refresh-token-666666")
        #expect(refresh.refreshToken == "old-refresh-token-888888")
        #expect(try await connection.acceptedAccountAuth().accessToken == "new-access-token-777777")
        _ = try await authorized
        await client.shutdown()
        let pairs = stored.withLock { $0 }
        #expect(pairs.map(\.refreshToken.value) == ["new-refresh-token-666666"])
        #expect(pairs.first?.ctidTraderAccountId == 9)
    }

    @Test func aTokenThatStaysInvalidIsAPermanentAuthenticationError() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let connection = try await connectClient(client, server: server)
        async let authorized = client.authorize(account: 9, accessToken: "expired-token-1234567890")
        let (_, request) = try await connection.expect(ProtoOAAccountAuthReq.self)
        try await connection.replyError(to: request, code: "CH_ACCESS_TOKEN_INVALID")
        do {
            _ = try await authorized
            Issue.record("expected CTraderError authenticationFailed")
        } catch {
            expectCTraderError(error, .authenticationFailed, errorCode: "CH_ACCESS_TOKEN_INVALID")
        }
        #expect(await client.authorizedAccounts.isEmpty)
        await client.shutdown()
    }

    @Test func listingAccountsAndLoggingOut() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let connection = try await connectClient(client, server: server)
        async let accounts = client.accounts(accessToken: "listing-token-abcdefgh")
        let (listing, request) = try await connection.expect(ProtoOAGetAccountListByAccessTokenReq.self)
        #expect(listing.accessToken == "listing-token-abcdefgh")
        var res = ProtoOAGetAccountListByAccessTokenRes()
        res.accessToken = listing.accessToken
        var account = ProtoOACtidTraderAccount()
        account.ctidTraderAccountID = 77
        account.isLive = false
        res.ctidTraderAccount = [account]
        try await connection.reply(to: request, with: res)
        #expect(try await accounts.map(\.ctidTraderAccountID) == [77])

        try await authorize(client, account: 77, token: "token-77-abcdefghijk", on: connection)
        async let loggedOut: Void = client.logout(account: 77)
        let (_, logout) = try await connection.expect(ProtoOAAccountLogoutReq.self)
        try await connection.reply(to: logout, with: accountRes(ProtoOAAccountLogoutRes.self, 77))
        try await loggedOut
        #expect(await client.authorizedAccounts.isEmpty)
        await client.shutdown()
    }

    @Test func reconnectRestoresAuthAndSubscriptionsAndNeverResendsAnOrder() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(configuration: makeConfiguration(server: server, clock: clock), logger: quietLogger)
        let spots = client.spots()
        var spotIterator = spots.makeAsyncIterator()
        let first = try await connectClient(client, server: server)
        try await authorize(client, account: 42, token: "access-token-42-abcdefghijklmnop", on: first)

        async let subscribed: Void = client.subscribeSpots(account: 42, symbols: [1, 2])
        let (_, spotRequest) = try await first.expect(ProtoOASubscribeSpotsReq.self)
        try await first.reply(to: spotRequest, with: accountRes(ProtoOASubscribeSpotsRes.self, 42))
        try await subscribed
        async let trendbar: Void = client.subscribeLiveTrendbar(account: 42, symbol: 1, period: .m1)
        let (_, barRequest) = try await first.expect(ProtoOASubscribeLiveTrendbarReq.self)
        try await first.reply(to: barRequest, with: accountRes(ProtoOASubscribeLiveTrendbarRes.self, 42))
        try await trendbar
        async let depth: Void = client.subscribeDepth(account: 42, symbols: [2])
        let (_, depthRequest) = try await first.expect(ProtoOASubscribeDepthQuotesReq.self)
        try await first.reply(to: depthRequest, with: accountRes(ProtoOASubscribeDepthQuotesRes.self, 42))
        try await depth

        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 42
        spot.symbolID = 1
        spot.bid = 110_000
        try await first.send(spot)
        #expect(try await spotIterator.next()?.message?.bid == 110_000)

        // An order in flight when the connection drops.
        async let order = client.placeMarketOrder(account: 42, symbol: 1, side: .buy, volume: 100_000)
        _ = try await first.expect(ProtoOANewOrderReq.self)
        await first.close()
        do {
            _ = try await order
            Issue.record("the order should fail")
        } catch let error as CTraderError {
            #expect(error.code == .outcomeUnknown)
            #expect(error.reason.contains("ProtoOAReconcileReq"))
        }

        // The reconnect waits for the backoff, in virtual time.
        try await waitForSleeper(clock)
        clock.advance(by: .seconds(5))
        let second = try await server.nextConnection()
        try await second.acceptAppAuth()
        #expect(try await second.acceptAccountAuth() == 42)
        let (spotsAgain, spotsAgainRequest) = try await second.expect(ProtoOASubscribeSpotsReq.self)
        #expect(spotsAgain.symbolID == [1, 2])
        try await second.reply(to: spotsAgainRequest, with: accountRes(ProtoOASubscribeSpotsRes.self, 42))
        let (depthAgain, depthAgainRequest) = try await second.expect(ProtoOASubscribeDepthQuotesReq.self)
        #expect(depthAgain.symbolID == [2])
        try await second.reply(to: depthAgainRequest, with: accountRes(ProtoOASubscribeDepthQuotesRes.self, 42))
        let (barAgain, barAgainRequest) = try await second.expect(ProtoOASubscribeLiveTrendbarReq.self)
        #expect(barAgain.symbolID == 1 && barAgain.period == .m1)
        try await second.reply(to: barAgainRequest, with: accountRes(ProtoOASubscribeLiveTrendbarRes.self, 42))

        guard case .reconnected(let gap) = try await spotIterator.next() else {
            Issue.record("expected the reconnect marker")
            return
        }
        #expect(gap == .seconds(5))
        spot.bid = 111_000
        try await second.send(spot)
        #expect(try await spotIterator.next()?.message?.bid == 111_000)

        // The order was not sent again: the next message is the reconcile the test asks for.
        async let reconciled = client.reconcile(account: 42)
        let (_, reconcileRequest) = try await second.expect(ProtoOAReconcileReq.self)
        try await second.reply(to: reconcileRequest, with: accountRes(ProtoOAReconcileRes.self, 42))
        _ = try await reconciled
        #expect(await client.isReady)
        await client.shutdown()
    }

    @Test func heartbeatIsSentWhileTheApplicationIsBusy() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(configuration: makeConfiguration(server: server, clock: clock), logger: quietLogger)
        // A stream nobody reads, flooded by the server: the client must not stall.
        let unread = client.spots(bufferSize: 4)
        let connection = try await connectClient(client, server: server)
        for n in 0..<100 {
            var spot = ProtoOASpotEvent()
            spot.ctidTraderAccountID = 1
            spot.symbolID = Int64(n % 3)
            spot.bid = UInt64(n)
            try await connection.send(spot)
        }
        try await waitForSleeper(clock, atMost: .seconds(10))
        clock.advance(by: .seconds(10))
        let beat = try await connection.nextEnvelope()
        #expect(beat.payloadType == .heartbeatEvent)
        // The unread stream stayed registered (and flooded) all along.
        withExtendedLifetime(unread) {}
        await client.shutdown()
    }

    @Test func aSilentConnectionIsDeclaredDeadAndReplaced() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(configuration: makeConfiguration(server: server, clock: clock), logger: quietLogger)
        let status = client.statusUpdates()
        let first = try await connectClient(client, server: server)
        for _ in 0..<3 {
            try await waitForSleeper(clock)
            clock.advance(by: .seconds(10))
            #expect(try await first.nextEnvelope().payloadType == .heartbeatEvent)
        }
        // 40 s without a byte from the server: the connection is dead.
        try await waitForSleeper(clock)
        clock.advance(by: .seconds(10))
        try await first.waitForClose()
        try await waitForSleeper(clock)
        clock.advance(by: .seconds(5))
        let second = try await server.nextConnection()
        try await second.acceptAppAuth()
        var sawLost = false
        for await update in status {
            if case .connectionLost(let error) = update {
                sawLost = true
                #expect(error.reason.contains("dead"))
            }
            if case .reconnected = update { break }
        }
        #expect(sawLost)
        await client.shutdown()
    }

    @Test func reconnectGivesUpWithATypedError() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(
            configuration: makeConfiguration(
                server: server,
                clock: clock,
                reconnect: CTraderReconnectPolicy(maximumAttempts: 2, jitterSeed: 5)
            ),
            logger: quietLogger
        )
        server.refuseNext(3)
        let executions = client.executions()
        async let connected: Void = client.connect()
        for _ in 0..<2 {
            try await waitForSleeper(clock)
            clock.advance(by: .seconds(60))
        }
        do {
            try await connected
            Issue.record("expected CTraderError reconnectGaveUp")
        } catch {
            expectCTraderError(error, .reconnectGaveUp)
        }
        #expect(server.openCount == 3)
        await #expect(throws: CTraderError(code: .reconnectGaveUp, reason: "")) {
            for try await _ in executions {}
        }
    }

    @Test func requestsAreSpacedByTheRateLimiterInVirtualTime() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(
            configuration: makeConfiguration(
                server: server,
                clock: clock,
                rateLimits: CTraderRateLimits(requestsPerSecond: 3, windowMargin: .zero)
            ),
            logger: quietLogger
        )
        let connection = try await connectClient(client, server: server)
        clock.advance(by: .seconds(1))  // the application auth's slot expires
        let results = Locked<[Int]>([])
        let tasks = (0..<5).map { n in
            Task {
                _ = try await client.send(ProtoOAVersionReq())
                results.withLock { $0.append(n) }
            }
        }
        var answered = 0
        for _ in 0..<3 {
            let (_, request) = try await connection.expect(ProtoOAVersionReq.self)
            try await connection.reply(to: request, with: versionRes())
            answered += 1
        }
        // The other two wait for the next window.
        try await waitForSleeper(clock, atMost: .seconds(2))
        #expect(clock.nextSleeperDeadline == .seconds(2))
        clock.advance(by: .seconds(1))
        for _ in 0..<2 {
            let (_, request) = try await connection.expect(ProtoOAVersionReq.self)
            try await connection.reply(to: request, with: versionRes())
        }
        for task in tasks { try await task.value }
        #expect(results.withLock { $0.count } == 5)
        await client.shutdown()
    }

    @Test func aRequestTimesOutOnItsOwn() async throws {
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(configuration: makeConfiguration(server: server, clock: clock), logger: quietLogger)
        let connection = try await connectClient(client, server: server)
        async let slow = client.send(ProtoOAVersionReq(), timeout: .seconds(3))
        _ = try await connection.expect(ProtoOAVersionReq.self)
        try await waitForSleeper(clock, atMost: .seconds(3))
        clock.advance(by: .seconds(3))
        do {
            _ = try await slow
            Issue.record("expected CTraderError timeout")
        } catch {
            expectCTraderError(error, .timeout)
        }
        await client.shutdown()
    }

    @Test func executionsAreNeverDroppedTheStreamFailsInstead() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let executions = client.executions(bufferSize: 2)
        let spots = client.spots(bufferSize: 2)
        let connection = try await connectClient(client, server: server)
        for n in 0..<3 {
            var event = ProtoOAExecutionEvent()
            event.ctidTraderAccountID = Int64(n)
            event.executionType = .orderFilled
            try await connection.send(event)
        }
        for bid in [1, 2, 3, 4] as [UInt64] {
            var spot = ProtoOASpotEvent()
            spot.ctidTraderAccountID = 1
            spot.symbolID = bid == 1 ? 10 : 20
            spot.bid = bid
            try await connection.send(spot)
        }
        // A marker message that arrives after everything above.
        var last = ProtoOASpotEvent()
        last.ctidTraderAccountID = 1
        last.symbolID = 30
        last.bid = 99
        let finalSpots = client.spots()
        try await connection.send(last)
        var finalIterator = finalSpots.makeAsyncIterator()
        while let element = try await finalIterator.next(), element.message?.bid != 99 {}

        var accounts: [Int64] = []
        do {
            for try await element in executions { accounts.append(element.message?.ctidTraderAccountID ?? -1) }
            Issue.record("the stream should fail")
        } catch let error as CTraderError {
            #expect(error.code == .streamOverflow)
        }
        #expect(accounts == [0, 1])
        // Quotes: the latest per symbol survives (symbol 10 bid 1; symbol 20 bid 4, then bid 99 of 30
        // pushed out the oldest).
        var bids: [UInt64] = []
        var iterator = spots.makeAsyncIterator()
        while bids.count < 2, let element = try await iterator.next() { bids.append(element.message?.bid ?? 0) }
        #expect(bids == [4, 99])
        await client.shutdown()
    }

    @Test func secretsNeverAppearInTheLogs() async throws {
        let capture = LogCapture()
        let server = FakeServer()
        let clock = ManualClock()
        let client = CTraderClient(
            configuration: makeConfiguration(server: server, clock: clock),
            logger: capture.logger
        )
        let connection = try await connectClient(client, server: server)
        async let authorized = client.authorize(
            account: 5,
            accessToken: "ACCESS-TOKEN-SECRET-5555555",
            refreshToken: "REFRESH-TOKEN-SECRET-444444"
        )
        try await connection.refuseTokenThenRefresh(to: "NEW-ACCESS-SECRET-3333333", "NEW-REFRESH-SECRET-2222222")
        _ = try await connection.acceptAccountAuth()
        _ = try await authorized
        await connection.close()
        try await waitForSleeper(clock)
        clock.advance(by: .seconds(5))
        let second = try await server.nextConnection()
        try await second.acceptAppAuth()
        _ = try await second.acceptAccountAuth()
        await client.shutdown()

        let log = capture.text
        #expect(!log.isEmpty)
        #expect(log.contains("clie…("))
        for secret in [
            testCredentials.clientSecret.value, "ACCESS-TOKEN-SECRET-5555555", "REFRESH-TOKEN-SECRET-444444",
            "NEW-ACCESS-SECRET-3333333", "NEW-REFRESH-SECRET-2222222",
        ] {
            #expect(!log.contains(secret), "the log shows \(secret)")
        }
        #expect("\(testCredentials)".contains(testCredentials.clientSecret.value) == false)
    }
}
