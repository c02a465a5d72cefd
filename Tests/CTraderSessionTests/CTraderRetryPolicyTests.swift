// swift-ctrader: transient server errors are retried with backoff (maintenance not before its
// end), permanent ones give up at once, and trading requests are never resent nor sent late;
// the pure machine in virtual time.

import CTraderMessaging
import CTraderSession
import Testing

/// The Unix time (ms) at the machine's time zero in these tests.
private let epoch: Int64 = 1_800_000_000_000

private func unixMilliseconds(_ now: Duration) -> Int64 {
    epoch + now.components.seconds * 1000 + now.components.attoseconds / 1_000_000_000_000_000
}

private func configuration(
    retry: CTraderRetryPolicy = CTraderRetryPolicy(jitterSeed: 3),
    requestTimeout: Duration = .seconds(300),
    resendsUnsentTradingRequests: Bool = false
) -> Machine.Configuration {
    var configuration = Machine.Configuration(
        credentials: testCredentials,
        requestTimeout: requestTimeout,
        reconnect: CTraderReconnectPolicy(maximumAttempts: 3, jitterSeed: 7),
        rateLimits: CTraderRateLimits(windowMargin: .zero)
    )
    configuration.transientRetry = retry
    configuration.unixMilliseconds = unixMilliseconds
    configuration.resendsUnsentTradingRequests = resendsUnsentTradingRequests
    return configuration
}

/// A machine connected and ready at time zero.
private func ready(_ configuration: Machine.Configuration) throws -> (Machine, Machine.ConnectionID) {
    var machine = Machine(configuration: configuration)
    let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
    let auth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
    #expect(machine.received(reply(ProtoOAApplicationAuthRes(), to: auth), on: connection, now: .zero).succeeded(id(1)))
    return (machine, connection)
}

private func maintenance(until end: Int64?, to request: Envelope) -> Envelope {
    var error = ProtoOAErrorRes()
    error.errorCode = ErrorCode.serverIsUnderMaintenance.rawValue
    error.description_p = "Server is under maintenance"
    if let end { error.maintenanceEndTimestamp = end }
    return Envelope(error, clientMsgId: request.clientMsgId)
}

/// Ticks at each deadline until `end`, collecting the actions; the server's heartbeats keep
/// `connection` alive meanwhile.
private func run(
    _ machine: inout Machine, on connection: Machine.ConnectionID, from start: Duration, until end: Duration
) -> [Machine.Action] {
    var now = start
    var actions: [Machine.Action] = []
    for _ in 0..<100_000 {
        guard let next = machine.nextDeadline(now: now), next <= end else { break }
        now = max(now, next)
        actions += machine.received(Envelope(ProtoHeartbeatEvent()), on: connection, now: now)
        actions += machine.tick(now: now)
    }
    return actions
}

@Suite(.timeLimit(.minutes(5))) struct CTraderRetryPolicyTests {
    @Test func aMaintenanceErrorIsRetriedAfterItsEndAndTheRequestSucceeds() throws {
        var (machine, connection) = try ready(configuration())
        let first = try #require(machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent.first)
        let end = epoch + 120_000
        let refused = machine.received(maintenance(until: end, to: first), on: connection, now: .seconds(1))
        #expect(refused.completions.isEmpty)
        #expect(machine.queuedRequestCount == 1)
        // Nothing goes out before the maintenance ends (heartbeats aside).
        let during = run(&machine, on: connection, from: .seconds(1), until: .milliseconds(119_999))
        #expect(during.sent.allSatisfy { $0.payloadType == .heartbeatEvent })
        #expect(during.completions.isEmpty)
        #expect(machine.nextDeadline(now: .milliseconds(119_999)) == .seconds(120))
        let retried = try #require(machine.tick(now: .seconds(120)).sent.first { $0.payloadType == .protoOaVersionReq })
        #expect(retried.clientMsgId != first.clientMsgId)
        let answered = machine.received(reply(versionRes(), to: retried), on: connection, now: .seconds(120))
        #expect(answered.succeeded(id(10)))
    }

    @Test func aMaintenanceEndingAfterTheRequestsTimeoutFailsAtOnce() throws {
        var (machine, connection) = try ready(configuration(requestTimeout: .seconds(30)))
        let first = try #require(machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent.first)
        let refused = machine.received(maintenance(until: epoch + 600_000, to: first), on: connection, now: .zero)
        let error = try #require(refused.failure(of: id(10)))
        #expect(error.errorCode == .serverIsUnderMaintenance)
        #expect(error.maintenanceEndTimestamp == epoch + 600_000)
        #expect(machine.queuedRequestCount == 0)
    }

    @Test func cantRouteRequestIsRetriedWithBackoffUntilItSucceeds() throws {
        let policy = CTraderRetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(8), jitterSeed: 3)
        var (machine, connection) = try ready(configuration(retry: policy))
        var request = try #require(machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent.first)
        var now = Duration.zero
        var delays: [Duration] = []
        for _ in 0..<3 {
            #expect(machine.received(errorReply("CANT_ROUTE_REQUEST", to: request), on: connection, now: now).isEmpty)
            let retryAt = try #require(machine.nextDeadline(now: now))
            delays.append(retryAt - now)
            now = retryAt
            request = try #require(machine.tick(now: now).sent.first { $0.payloadType == .protoOaVersionReq })
        }
        // Each delay lies within [d/2, d] for d = 1, 2, 4 s.
        for (delay, cap) in zip(delays, [1, 2, 4]) {
            #expect(delay <= .seconds(cap) && delay >= .seconds(cap) / 2, "\(delays)")
        }
        #expect(machine.received(reply(versionRes(), to: request), on: connection, now: now).succeeded(id(10)))
    }

    @Test func requestsRefusedTogetherAreRetriedApartWithJitter() throws {
        var (machine, connection) = try ready(configuration())
        var sent: [Envelope] = []
        for n in 0..<10 {
            sent += machine.request(id(UInt64(10 + n)), message: ProtoOAVersionReq(), now: .zero).sent
        }
        #expect(sent.count == 10)
        for request in sent {
            #expect(machine.received(errorReply("CANT_ROUTE_REQUEST", to: request), on: connection, now: .zero).isEmpty)
        }
        // No storm: the retries go out one by one over [0.5 s, 1 s], not all at once.
        var retryTimes: [Duration] = []
        var now = Duration.zero
        while retryTimes.count < 10, let next = machine.nextDeadline(now: now), next <= .seconds(1) {
            now = next
            let retried = machine.tick(now: now).sent.filter { $0.payloadType == .protoOaVersionReq }
            retryTimes += retried.map { _ in now }
        }
        #expect(retryTimes.count == 10)
        #expect(retryTimes.allSatisfy { $0 >= .milliseconds(500) && $0 <= .seconds(1) })
        #expect(Set(retryTimes).count > 5, "\(retryTimes)")
    }

    @Test func retriesAreBoundedAndTheLastErrorIsReported() throws {
        let policy = CTraderRetryPolicy(initialDelay: .milliseconds(10), maximumAttempts: 2, jitterSeed: 3)
        var (machine, connection) = try ready(configuration(retry: policy))
        var request = try #require(machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent.first)
        var now = Duration.zero
        var sends = 1
        while true {
            let answered = machine.received(
                errorReply("CH_SERVER_NOT_REACHABLE", to: request), on: connection, now: now)
            if let error = answered.failure(of: id(10)) {
                #expect(error.errorCode == .chServerNotReachable)
                break
            }
            now = try #require(machine.nextDeadline(now: now))
            request = try #require(machine.tick(now: now).sent.first { $0.payloadType == .protoOaVersionReq })
            sends += 1
        }
        #expect(sends == 3)
    }

    @Test func aTradingRequestRefusedWithATransientErrorFailsAndIsNotResent() throws {
        var (machine, connection) = try ready(configuration())
        let order = try #require(machine.request(id(10), message: marketBuyOrder(), now: .zero).sent.first)
        let answered = machine.received(errorReply("CANT_ROUTE_REQUEST", to: order), on: connection, now: .zero)
        #expect(answered.failure(of: id(10))?.errorCode == .cantRouteRequest)
        let later = run(&machine, on: connection, from: .zero, until: .seconds(120))
        #expect(!later.sent.contains { $0.payloadType == .protoOaNewOrderReq })
    }

    @Test func theApplicationAuthIsRetriedOnTheSameConnection() throws {
        var machine = Machine(configuration: configuration())
        let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
        let auth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
        let refused = machine.received(errorReply("TIMEOUT_ERROR", to: auth), on: connection, now: .zero)
        #expect(refused.closed.isEmpty && refused.completions.isEmpty)
        let retryAt = try #require(machine.nextDeadline(now: .zero))
        let again = try #require(machine.tick(now: retryAt).sent.first)
        #expect(again.payloadType == .protoOaApplicationAuthReq)
        #expect(
            machine.received(reply(ProtoOAApplicationAuthRes(), to: again), on: connection, now: retryAt)
                .succeeded(id(1)))
    }

    @Test func anAccountRestoreIsRetriedAfterAMaintenance() throws {
        var (machine, connection) = try ready(configuration())
        let auth = try #require(
            machine.authorize(id(10), account: 7, accessToken: "token-abcdefghijkl", refreshToken: nil, now: .zero)
                .sent.first)
        _ = machine.received(reply(ProtoOAAccountAuthRes(), to: auth), on: connection, now: .zero)
        // A drop; the reconnect meets a maintenance for the account's re-authorization.
        let lost = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "reset"),
            now: .seconds(1))
        #expect(lost.statuses.contains { if case .reconnecting = $0 { true } else { false } })
        var now = try #require(machine.nextDeadline(now: .seconds(1)))
        let next = try #require(machine.tick(now: now).opened.first)
        let appAuth = try #require(machine.connectionOpened(next, now: now).sent.first)
        let restore = try #require(
            machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: now).sent.first)
        #expect(restore.payloadType == .protoOaAccountAuthReq)
        let end = unixMilliseconds(now) + 90_000
        #expect(machine.received(maintenance(until: end, to: restore), on: next, now: now).sent.isEmpty)
        #expect(!machine.isReady)
        let during = run(&machine, on: next, from: now, until: now + .milliseconds(89_999))
        #expect(!during.sent.contains { $0.payloadType == .protoOaAccountAuthReq })
        now += .seconds(90)
        let retried = run(&machine, on: next, from: now - .milliseconds(1), until: now)
        let again = try #require(retried.sent.first { $0.payloadType == .protoOaAccountAuthReq })
        #expect(again.message(as: ProtoOAAccountAuthReq.self)?.ctidTraderAccountID == 7)
        let restored = machine.received(reply(ProtoOAAccountAuthRes(), to: again), on: next, now: now)
        #expect(restored.statuses.contains { if case .reconnected = $0 { true } else { false } })
        #expect(machine.authorizedAccounts == [7])
    }

    @Test func wrongCredentialsGiveUpAtOnceWithATypedError() throws {
        for code in ["CH_CLIENT_AUTH_FAILURE", "CH_OA_CLIENT_NOT_FOUND"] {
            var machine = Machine(configuration: configuration())
            let connection = try #require(machine.connect(id(1), now: .zero).opened.first)
            let auth = try #require(machine.connectionOpened(connection, now: .zero).sent.first)
            let actions = machine.received(errorReply(code, to: auth), on: connection, now: .zero)
            let error = try #require(actions.failure(of: id(1)))
            #expect(error.code == .authenticationFailed)
            #expect(error.errorCode == ErrorCode(rawValue: code))
            #expect(error.reason.contains("credentials"))
            #expect(actions.closed == [connection])
            #expect(machine.nextDeadline(now: .zero) == nil)
            #expect(machine.tick(now: .seconds(3600)).opened.isEmpty)
        }
    }

    @Test func anUnknownAccountOrAnInvalidTokenGivesUpAtOnce() throws {
        var (machine, connection) = try ready(configuration())
        let unknown = try #require(
            machine.authorize(id(10), account: 42, accessToken: "token-abcdefghijkl", refreshToken: nil, now: .zero)
                .sent.first)
        let refused = machine.received(
            errorReply("CH_CTID_TRADER_ACCOUNT_NOT_FOUND", to: unknown), on: connection, now: .zero)
        let error = try #require(refused.failure(of: id(10)))
        #expect(error.errorCode == .chCtidTraderAccountNotFound)
        #expect(error.ctidTraderAccountId == 42)
        #expect(error.reason.contains("account 42"))
        let invalid = try #require(
            machine.authorize(id(11), account: 43, accessToken: "token-abcdefghijkl", refreshToken: nil, now: .zero)
                .sent.first)
        let expired = machine.received(errorReply("CH_ACCESS_TOKEN_INVALID", to: invalid), on: connection, now: .zero)
        let tokenError = try #require(expired.failure(of: id(11)))
        #expect(tokenError.code == .authenticationFailed)
        #expect(tokenError.reason.contains("authorize again"))
        // Nothing is retried, the session stays up.
        #expect(
            run(&machine, on: connection, from: .zero, until: .seconds(60)).sent.allSatisfy {
                $0.payloadType == .heartbeatEvent
            })
        #expect(machine.isReady)
    }

    @Test func aTradingRequestMadeWhileReconnectingFailsAsNotSent() throws {
        var (machine, connection) = try ready(configuration())
        _ = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "reset"),
            now: .seconds(1))
        let made = machine.request(id(10), message: marketBuyOrder(), now: .seconds(1))
        let error = try #require(made.failure(of: id(10)))
        #expect(error.code == .notSent)
        #expect(error.payloadType == .protoOaNewOrderReq)
        #expect(error.ctidTraderAccountId == 7)
        // A non-trading request still waits for the reconnect.
        #expect(machine.request(id(11), message: ProtoOAVersionReq(), now: .seconds(1)).completions.isEmpty)
        #expect(machine.queuedRequestCount == 1)
    }

    @Test func withTheOptInATradingRequestMadeWhileReconnectingIsSentOnceAfterTheReconnect() throws {
        var (machine, connection) = try ready(configuration(resendsUnsentTradingRequests: true))
        _ = machine.connectionClosed(
            connection, error: CTraderError(code: .connectionLost, reason: "reset"),
            now: .seconds(1))
        #expect(machine.request(id(10), message: marketBuyOrder(), now: .seconds(1)).completions.isEmpty)
        let now = try #require(machine.nextDeadline(now: .seconds(1)))
        let next = try #require(machine.tick(now: now).opened.first)
        let appAuth = try #require(machine.connectionOpened(next, now: now).sent.first)
        let sent = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: now).sent
        #expect(sent.filter { $0.payloadType == .protoOaNewOrderReq }.count == 1)
        let later = run(&machine, on: next, from: now, until: now + .seconds(20))
        #expect(!later.sent.contains { $0.payloadType == .protoOaNewOrderReq })
    }
}
