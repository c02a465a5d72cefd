// swift-ctrader: the pure session state machine, driven without sockets.

import CTraderMessaging
import CTraderSession
import Testing

typealias Machine = SessionStateMachine

extension Array where Element == SessionStateMachine.Action {
    var sent: [Envelope] {
        compactMap { if case .send(let envelope, _) = $0 { envelope } else { nil } }
    }
    var opened: [SessionStateMachine.ConnectionID] {
        compactMap { if case .openConnection(let id) = $0 { id } else { nil } }
    }
    var closed: [SessionStateMachine.ConnectionID] {
        compactMap { if case .closeConnection(let id) = $0 { id } else { nil } }
    }
    var completions: [(SessionStateMachine.RequestID, Result<Envelope, CTraderError>)] {
        compactMap { if case .complete(let id, let result) = $0 { (id, result) } else { nil } }
    }
    var statuses: [SessionStatus] {
        compactMap { if case .status(let status) = $0 { status } else { nil } }
    }
    func failure(of id: SessionStateMachine.RequestID) -> CTraderError? {
        for (completed, result) in completions where completed == id {
            if case .failure(let error) = result { return error }
        }
        return nil
    }
    func succeeded(_ id: SessionStateMachine.RequestID) -> Bool {
        completions.contains { completed, result in
            if completed == id, case .success = result { return true }
            return false
        }
    }
}

func id(_ n: UInt64) -> SessionStateMachine.RequestID { SessionStateMachine.RequestID(n) }

func reply(_ message: some CTraderMessage, to request: Envelope) -> Envelope {
    Envelope(message, clientMsgId: request.clientMsgId)
}

func errorReply(_ code: String, to request: Envelope, retryAfter: UInt64? = nil) -> Envelope {
    var error = ProtoOAErrorRes()
    error.errorCode = code
    error.description_p = "scripted \(code)"
    if let retryAfter { error.retryAfter = retryAfter }
    return Envelope(error, clientMsgId: request.clientMsgId)
}

/// A trading request: a market buy of volume 100 000 of symbol 1 for account 7.
func marketBuyOrder() -> ProtoOANewOrderReq {
    var order = ProtoOANewOrderReq()
    order.ctidTraderAccountID = 7
    order.symbolID = 1
    order.orderType = .market
    order.tradeSide = .buy
    order.volume = 100_000
    return order
}

/// A machine connected and ready, with its connection id.
func readyMachine(
    rateLimits: CTraderRateLimits = CTraderRateLimits(windowMargin: .zero),
    reconnect: CTraderReconnectPolicy = CTraderReconnectPolicy(maximumAttempts: 3, jitterSeed: 7)
) throws -> (Machine, Machine.ConnectionID) {
    var machine = Machine(
        configuration: Machine.Configuration(credentials: testCredentials, reconnect: reconnect, rateLimits: rateLimits)
    )
    let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
    let auth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
    let actions = machine.received(reply(ProtoOAApplicationAuthRes(), to: auth), on: connection, now: .zero)
    #expect(actions.succeeded(id(1)))
    #expect(machine.isReady)
    return (machine, connection)
}

@Suite(.timeLimit(.minutes(5))) struct SessionStateMachineTests {
    @Test func connectSendsApplicationAuthAndBecomesReady() throws {
        var machine = Machine(configuration: Machine.Configuration(credentials: testCredentials))
        let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
        let actions = machine.connectionOpened(connection, now: .zero)
        let auth = try #require(actions.sent.first?.message(as: ProtoOAApplicationAuthReq.self))
        #expect(auth.clientID == testCredentials.clientId)
        #expect(auth.clientSecret == testCredentials.clientSecret.value)
        #expect(actions.sent.first?.clientMsgId != nil)
        #expect(!machine.isReady)
        let done = machine.received(reply(ProtoOAApplicationAuthRes(), to: actions.sent[0]), on: connection, now: .zero)
        #expect(done.succeeded(id(1)))
        #expect(machine.isReady)
    }

    @Test func wrongClientCredentialsArePermanent() throws {
        var machine = Machine(configuration: Machine.Configuration(credentials: testCredentials))
        let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
        let auth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
        let actions = machine.received(errorReply("CH_CLIENT_AUTH_FAILURE", to: auth), on: connection, now: .zero)
        let error = try #require(actions.failure(of: id(1)))
        #expect(error.code == .authenticationFailed)
        #expect(error.errorCode == "CH_CLIENT_AUTH_FAILURE")
        #expect(actions.closed == [connection])
        #expect(actions.opened.isEmpty)
        #expect(machine.nextDeadline(now: .zero) == nil)
        #expect(machine.tick(now: .seconds(3600)).opened.isEmpty)
        let later = machine.request(id(2), message: ProtoOAVersionReq(), now: .seconds(3600))
        #expect(later.failure(of: id(2))?.code == .authenticationFailed)
    }

    @Test func answersAreMatchedByClientMsgIdAndServerErrorsAreTyped() throws {
        var (machine, connection) = try readyMachine()
        let first = machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent[0]
        let second = machine.request(id(11), message: ProtoOAVersionReq(), now: .zero).sent[0]
        #expect(first.clientMsgId != second.clientMsgId)
        var version = ProtoOAVersionRes()
        version.version = "99"
        let answered = machine.received(reply(version, to: second), on: connection, now: .zero)
        #expect(answered.succeeded(id(11)))
        #expect(!answered.succeeded(id(10)))
        var maintenance = ProtoOAErrorRes()
        maintenance.errorCode = "SERVER_IS_UNDER_MAINTENANCE"
        maintenance.description_p = "back soon"
        // A maintenance ending long after the request's timeout: it fails at once, not retried.
        maintenance.maintenanceEndTimestamp = 4_000_000_000_000
        let failed = machine.received(reply(maintenance, to: first), on: connection, now: .zero)
        let error = try #require(failed.failure(of: id(10)))
        #expect(error.code == .serverError)
        #expect(error.errorCode == "SERVER_IS_UNDER_MAINTENANCE")
        #expect(error.reason == "back soon")
        #expect(error.maintenanceEndTimestamp == 4_000_000_000_000)
        #expect(error.payloadType == .protoOaVersionReq)
    }

    @Test func eachRequestHasItsOwnTimeout() throws {
        var (machine, _) = try readyMachine()
        _ = machine.request(id(10), message: ProtoOAVersionReq(), timeout: .seconds(5), now: .zero)
        _ = machine.request(id(11), message: ProtoOAVersionReq(), timeout: .seconds(20), now: .zero)
        #expect(machine.nextDeadline(now: .zero) == .seconds(5))
        let actions = machine.tick(now: .seconds(5))
        #expect(actions.failure(of: id(10))?.code == .timeout)
        #expect(actions.failure(of: id(11)) == nil)
    }

    @Test func requestsAreSpacedByTheRateLimiter() throws {
        var (machine, _) = try readyMachine()
        var sent: [Envelope] = []
        // The application auth went out at 0 s; start in the next window.
        let start = Duration.seconds(5)
        for n in 0..<60 {
            sent += machine.request(id(100 + UInt64(n)), message: ProtoOAVersionReq(), now: start).sent
        }
        #expect(sent.count == 50)
        #expect(machine.queuedRequestCount == 10)
        #expect(machine.nextDeadline(now: start) == start + .seconds(1))
        #expect(machine.tick(now: start + .milliseconds(999)).sent.isEmpty)
        #expect(machine.tick(now: start + .seconds(1)).sent.count == 10)
    }

    @Test func historicalRequestsHaveTheirOwnLimit() throws {
        var (machine, _) = try readyMachine()
        var sent: [Envelope] = []
        for n in 0..<7 {
            var bars = ProtoOAGetTrendbarsReq()
            bars.ctidTraderAccountID = 1
            bars.symbolID = 1
            bars.period = .m1
            sent += machine.request(id(100 + UInt64(n)), message: bars, now: .zero).sent
        }
        #expect(sent.count == 5)
        // Other requests are not held back by the waiting historical ones.
        #expect(machine.request(id(200), message: ProtoOAVersionReq(), now: .zero).sent.count == 1)
        #expect(machine.tick(now: .seconds(1)).sent.count == 2)
    }

    @Test func theQueueIsBounded() throws {
        var (machine, _) = try readyMachine(
            rateLimits: CTraderRateLimits(requestsPerSecond: 1, maximumQueuedRequests: 2, windowMargin: .zero)
        )
        let now = Duration.seconds(5)
        #expect(machine.request(id(10), message: ProtoOAVersionReq(), now: now).sent.count == 1)
        #expect(machine.request(id(11), message: ProtoOAVersionReq(), now: now).completions.isEmpty)
        #expect(machine.request(id(12), message: ProtoOAVersionReq(), now: now).completions.isEmpty)
        let full = machine.request(id(13), message: ProtoOAVersionReq(), now: now)
        #expect(full.failure(of: id(13))?.code == .queueFull)
    }

    @Test func rateLimitErrorsSlowTheQueueDown() throws {
        var (machine, connection) = try readyMachine()
        // The timeout ends before the pause does: the request fails rather than being resent.
        let request = machine.request(id(10), message: ProtoOAVersionReq(), timeout: .seconds(2), now: .zero).sent[0]
        let failed = machine.received(
            errorReply("BLOCKED_PAYLOAD_TYPE", to: request, retryAfter: 3),
            on: connection,
            now: .zero
        )
        let error = try #require(failed.failure(of: id(10)))
        #expect(error.retryAfter == 3)
        #expect(machine.request(id(11), message: ProtoOAVersionReq(), now: .seconds(1)).sent.isEmpty)
        #expect(machine.tick(now: .seconds(2)).sent.filter { $0.payloadType == .protoOaVersionReq }.isEmpty)
        #expect(machine.tick(now: .seconds(3)).sent.filter { $0.payloadType == .protoOaVersionReq }.count == 1)
    }

    @Test func aNonTradingRequestRefusedByARateLimitIsSentAgainAfterThePause() throws {
        var (machine, connection) = try readyMachine()
        let request = machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent[0]
        let refused = machine.received(
            errorReply("REQUEST_FREQUENCY_EXCEEDED", to: request, retryAfter: 2),
            on: connection,
            now: .zero
        )
        #expect(refused.completions.isEmpty)
        #expect(machine.tick(now: .seconds(1)).sent.filter { $0.payloadType == .protoOaVersionReq }.isEmpty)
        let resent = machine.tick(now: .seconds(2)).sent.filter { $0.payloadType == .protoOaVersionReq }
        #expect(resent.count == 1)
        #expect(resent.first?.clientMsgId != request.clientMsgId)
        let answered = machine.received(
            reply(ProtoOAVersionRes(), to: try #require(resent.first)), on: connection, now: .seconds(2))
        #expect(answered.succeeded(id(10)))
    }

    @Test func aRefusalWithoutRetryAfterPausesForTheConfiguredDelay() throws {
        var limits = CTraderRateLimits(windowMargin: .zero)
        limits.rateLimitRetryDelay = .milliseconds(300)
        var (machine, connection) = try readyMachine(rateLimits: limits)
        let request = machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent[0]
        _ = machine.received(errorReply("REQUEST_FREQUENCY_EXCEEDED", to: request), on: connection, now: .zero)
        #expect(machine.nextDeadline(now: .zero) == .milliseconds(300))
        #expect(machine.tick(now: .milliseconds(300)).sent.map(\.payloadType) == [.protoOaVersionReq])
    }

    @Test func aTradingRequestRefusedByARateLimitFailsAndIsNeverResent() throws {
        var (machine, connection) = try readyMachine()
        let order = marketBuyOrder()
        let request = try #require(machine.request(id(10), message: order, now: .zero).sent.first)
        let refused = machine.received(
            errorReply("REQUEST_FREQUENCY_EXCEEDED", to: request, retryAfter: 1),
            on: connection,
            now: .zero
        )
        #expect(refused.failure(of: id(10))?.errorCode == "REQUEST_FREQUENCY_EXCEEDED")
        let later = machine.tick(now: .seconds(5)).sent
        #expect(later.filter { $0.payloadType == .protoOaNewOrderReq }.isEmpty)
    }

    @Test func heartbeatWhenIdleAndDeadConnectionDetected() throws {
        var (machine, connection) = try readyMachine()
        #expect(machine.nextDeadline(now: .zero) == .seconds(10))
        let beat = machine.tick(now: .seconds(10)).sent
        #expect(beat.map(\.payloadType) == [.heartbeatEvent])
        // Sending resets the heartbeat timer.
        _ = machine.request(id(10), message: ProtoOAVersionReq(), timeout: .seconds(100), now: .seconds(15))
        #expect(machine.tick(now: .seconds(20)).sent.isEmpty)
        // Receiving keeps the connection alive.
        _ = machine.received(Envelope(ProtoHeartbeatEvent()), on: connection, now: .seconds(30))
        #expect(machine.tick(now: .seconds(45)).closed.isEmpty)
        let dead = machine.tick(now: .seconds(70))
        #expect(dead.closed == [connection])
        #expect(dead.failure(of: id(10))?.code == .connectionLost)
        #expect(dead.statuses.contains { if case .reconnecting = $0 { true } else { false } })
    }

    @Test func aTradingRequestInFlightAtADropIsNeverResent() throws {
        var (machine, connection) = try readyMachine()
        let order = marketBuyOrder()
        #expect(machine.request(id(10), message: order, now: .zero).sent.count == 1)
        _ = machine.request(id(11), message: ProtoOAVersionReq(), now: .zero)
        let lost = machine.connectionClosed(
            connection,
            error: CTraderError(code: .connectionLost, reason: "reset"),
            now: .seconds(1)
        )
        let orderError = try #require(lost.failure(of: id(10)))
        #expect(orderError.code == .outcomeUnknown)
        #expect(orderError.reason.contains("ProtoOAReconcileReq"))
        #expect(orderError.ctidTraderAccountId == 7)
        #expect(lost.failure(of: id(11))?.code == .connectionLost)
        // Reconnect: nothing but the application auth goes out.
        let next = try #require(machine.tick(now: .seconds(60)).opened.first)
        var sent = machine.connectionOpened(next, now: .seconds(60)).sent
        sent += machine.received(reply(ProtoOAApplicationAuthRes(), to: sent[0]), on: next, now: .seconds(60)).sent
        #expect(!sent.contains { $0.payloadType == .protoOaNewOrderReq })
        #expect(machine.isReady)
    }

    @Test func reconnectGivesUpAfterTheConfiguredAttempts() throws {
        var (machine, connection) = try readyMachine(
            reconnect: CTraderReconnectPolicy(maximumAttempts: 2, jitterSeed: 1)
        )
        var actions = machine.connectionClosed(
            connection,
            error: CTraderError(code: .connectionLost, reason: "x"),
            now: .zero
        )
        var now = Duration.zero
        var attempts = 0
        while true {
            guard let deadline = machine.nextDeadline(now: now) else { break }
            now = deadline
            actions = machine.tick(now: now)
            for opened in actions.opened {
                attempts += 1
                actions = machine.connectionClosed(
                    opened,
                    error: CTraderError(code: .connectionFailed, reason: "refused"),
                    now: now
                )
            }
            if actions.statuses.contains(where: { if case .failed = $0 { true } else { false } }) { break }
        }
        #expect(attempts == 2)
        let failed = machine.request(id(50), message: ProtoOAVersionReq(), now: now)
        #expect(failed.failure(of: id(50))?.code == .reconnectGaveUp)
    }

    @Test func backoffGrowsWithJitterAndIsSeeded() throws {
        func delays(seed: UInt64) throws -> [Duration] {
            var (machine, connection) = try readyMachine(
                reconnect: CTraderReconnectPolicy(
                    initialDelay: .seconds(1),
                    maximumDelay: .seconds(8),
                    maximumAttempts: 6,
                    jitterSeed: seed
                )
            )
            var result: [Duration] = []
            var actions = machine.connectionClosed(
                connection,
                error: CTraderError(code: .connectionLost, reason: "x"),
                now: .zero
            )
            var now = Duration.zero
            for _ in 0..<5 {
                for status in actions.statuses { if case .reconnecting(_, let delay) = status { result.append(delay) } }
                now = try #require(machine.nextDeadline(now: now))
                let opened = try #require(machine.tick(now: now).opened.first)
                actions = machine.connectionClosed(
                    opened,
                    error: CTraderError(code: .connectionFailed, reason: "x"),
                    now: now
                )
            }
            return result
        }
        let a = try delays(seed: 3)
        #expect(a == (try delays(seed: 3)))
        #expect(a.count == 5)
        for (n, delay) in a.enumerated() {
            let base = Duration.seconds(min(8, 1 << n))
            #expect(delay <= base && delay >= base / 2)
        }
    }

    @Test func accountAuthAlreadyLoggedInIsSuccessAndIsRestored() throws {
        var (machine, connection) = try readyMachine()
        let auth = machine.authorize(
            id(10),
            account: 5,
            accessToken: "token-5-abcdefghijkl",
            refreshToken: nil,
            now: .zero
        ).sent[0]
        #expect(
            machine.received(errorReply("ALREADY_LOGGED_IN", to: auth), on: connection, now: .zero).succeeded(id(10))
        )
        var spots = ProtoOASubscribeSpotsReq()
        spots.ctidTraderAccountID = 5
        spots.symbolID = [1, 2]
        let subscribe = machine.request(id(11), message: spots, now: .zero).sent[0]
        _ = machine.received(reply(ProtoOASubscribeSpotsRes(), to: subscribe), on: connection, now: .zero)
        #expect(machine.spotSubscriptions == [5: [1, 2]])

        _ = machine.connectionClosed(
            connection,
            error: CTraderError(code: .connectionLost, reason: "x"),
            now: .seconds(1)
        )
        let next = try #require(machine.tick(now: .seconds(30)).opened.first)
        let appAuth = machine.connectionOpened(next, now: .seconds(30)).sent[0]
        let accountAuth = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: .seconds(30))
            .sent
        #expect(accountAuth.first?.message(as: ProtoOAAccountAuthReq.self)?.ctidTraderAccountID == 5)
        #expect(!machine.isReady)
        var res = ProtoOAAccountAuthRes()
        res.ctidTraderAccountID = 5
        let resubscribe = machine.received(reply(res, to: accountAuth[0]), on: next, now: .seconds(30)).sent
        #expect(resubscribe.first?.message(as: ProtoOASubscribeSpotsReq.self)?.symbolID == [1, 2])
        let done = machine.received(reply(ProtoOASubscribeSpotsRes(), to: resubscribe[0]), on: next, now: .seconds(31))
        #expect(machine.isReady)
        #expect(done.statuses.contains { if case .reconnected(let gap) = $0 { gap == .seconds(30) } else { false } })
    }
}
