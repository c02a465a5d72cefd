// swift-ctrader: the client recovers from what the server ends (a connection, an account's session,
// an access token) and reports every step on its session events.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import Testing

/// A client of `simulator` with fast reconnects and fast account re-authorizations, and
/// optionally a token store and a short request timeout.
func makeRecoveryClient(
    _ simulator: Simulator,
    requestTimeout: Duration = .seconds(60),
    tokenStore: (@Sendable (CTraderTokenPair) async -> Void)? = nil
) -> CTraderClient {
    makeClient(simulator, requestTimeout: requestTimeout, tokenStore: tokenStore) {
        $0.accountReauthorization = CTraderReconnectPolicy(
            initialDelay: .milliseconds(20),
            maximumDelay: .milliseconds(200),
            maximumAttempts: 5,
            jitterSeed: 2
        )
    }
}

/// A session event in a form tests compare: its kind and what matters of it.
enum Seen: Hashable {
    case connecting(Int)
    case ready
    case authorized(Int64)
    case sessionEnded(Int64)
    case reconnecting(Int, CTraderError.Code)
    case restored
    case restoreFailed(CTraderRestoreTarget, CTraderError.Code)
    case tokenRefreshed(Int64)
    case tokenRefreshFailed(Int64)
    case gaveUp
    case undecodable

    init(_ event: CTraderSessionEvent) {
        switch event {
        case .connecting(let attempt): self = .connecting(attempt)
        case .ready: self = .ready
        case .accountAuthorized(let account): self = .authorized(account)
        case .accountSessionEnded(let account, _): self = .sessionEnded(account)
        case .reconnecting(let attempt, _, let cause): self = .reconnecting(attempt, cause.code)
        case .restored: self = .restored
        case .restoreFailed(let target, let error): self = .restoreFailed(target, error.code)
        case .tokenRefreshed(let account): self = .tokenRefreshed(account)
        case .tokenRefreshFailed(let account, _): self = .tokenRefreshFailed(account)
        case .gaveUp: self = .gaveUp
        case .messageUndecodable: self = .undecodable
        }
    }
}

/// The session events up to and including the first one `last` accepts.
func collectEvents(
    _ iterator: inout CTraderSessionEvents.AsyncIterator,
    until last: (CTraderSessionEvent) -> Bool
) async throws -> [CTraderSessionEvent] {
    var seen: [CTraderSessionEvent] = []
    while let event = try await iterator.next() {
        seen.append(event)
        if last(event) { return seen }
    }
    throw EndOfStream()
}

/// The session events up to and including the next ``CTraderSessionEvent/ready``.
func eventsUntilReady(_ iterator: inout CTraderSessionEvents.AsyncIterator) async throws -> [Seen] {
    try await collectEvents(&iterator) { if case .ready = $0 { true } else { false } }.map(Seen.init)
}

/// The session events up to and including the account's next authorization.
func eventsUntilAuthorized(
    _ iterator: inout CTraderSessionEvents.AsyncIterator,
    _ account: Int64
) async throws -> [Seen] {
    try await collectEvents(&iterator) {
        if case .accountAuthorized(account) = $0 { true } else { false }
    }.map(Seen.init)
}

@Suite("Client end to end: recovery", .timeLimit(.minutes(5)))
struct ClientRecoveryTests {
    @Test func theSessionEventsOfAConnectAndAReconnect() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            var events = client.sessionEvents().makeAsyncIterator()
            try await connectAndAuthorize(client)
            try await client.subscribeSpots(account: hedged, symbols: [eurusd])
            #expect(try await eventsUntilAuthorized(&events, hedged) == [.connecting(1), .ready, .authorized(hedged)])

            await simulator.faults.dropAllConnections()

            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .authorized(hedged), .restored, .ready,
                ]
            )
            #expect(await client.authorizedAccounts == [hedged])
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaSubscribeSpotsReq) == 2)
        }
    }

    @Test func aClientDisconnectEventEndsTheConnectionWithTheServersReason() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            try await connectAndAuthorize(client)
            let statuses = client.statusUpdates()
            var events = client.sessionEvents().makeAsyncIterator()

            await simulator.faults.disconnectClients(reason: "maintenance in 5 minutes")

            let seen = try await collectEvents(&events) { if case .reconnecting = $0 { true } else { false } }
            guard case .reconnecting(let attempt, _, let cause) = seen.last else {
                Issue.record("no reconnecting event: \(seen)")
                return
            }
            #expect(attempt == 1)
            #expect(cause.code == .disconnectedByServer)
            #expect((cause.underlying as? CTraderServerDisconnect)?.reason == "maintenance in 5 minutes")
            #expect(cause.description.contains("maintenance in 5 minutes"))
            // Then the usual reconnect: the account is restored.
            #expect(try await eventsUntilReady(&events) == [.connecting(2), .authorized(hedged), .restored, .ready])
            for await status in statuses {
                if case .connectionLost(let error) = status {
                    #expect(error.code == .disconnectedByServer)
                    break
                }
            }
            #expect(try await client.reconcile(account: hedged).ctidTraderAccountID == hedged)
        }
    }

    @Test func anAccountDisconnectEventAuthorizesTheAccountAgainOnTheSameConnection() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            try await connectAndAuthorize(client)
            try await client.subscribeSpots(account: hedged, symbols: [eurusd])
            var events = client.sessionEvents().makeAsyncIterator()

            await simulator.faults.disconnectAccount(hedged)

            #expect(try await eventsUntilAuthorized(&events, hedged) == [.sessionEnded(hedged), .authorized(hedged)])
            // The restored subscription goes out before any later request of the owner.
            #expect(try await client.reconcile(account: hedged).ctidTraderAccountID == hedged)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaAccountAuthReq) == 2)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaSubscribeSpotsReq) == 2)
            #expect(await simulator.connectionCount == 1)
            // Quotes flow again.
            var spots = client.spots().makeAsyncIterator()
            #expect(try await nextMessage(&spots).symbolID == eurusd)
            #expect(await client.authorizedAccounts == [hedged])
        }
    }

    @Test func anInvalidatedTokenIsRefreshedAndNeverSentAgain() async throws {
        let stored = StoredPairs()
        try await withSimulatorClient(
            configure: { makeRecoveryClient($0, tokenStore: { pair in stored.append(pair) }) }
        ) { simulator, client in
            try await client.connect()
            try await client.authorize(
                account: hedged,
                accessToken: SimulatorIdentity.demoAccessToken,
                refreshToken: SimulatorIdentity.demoRefreshToken
            )
            var events = client.sessionEvents().makeAsyncIterator()

            await simulator.faults.invalidateTokens(of: [hedged])

            #expect(
                try await eventsUntilAuthorized(&events, hedged) == [
                    .sessionEnded(hedged), .tokenRefreshed(hedged), .authorized(hedged),
                ]
            )
            #expect(stored.pairs.map(\.ctidTraderAccountId) == [hedged])
            #expect(await client.authorizedAccounts == [hedged])

            // A reconnect restores the account with the new token, never the invalidated one.
            await simulator.faults.dropAllConnections()
            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .authorized(hedged), .restored, .ready,
                ]
            )
            #expect(await simulator.faults.invalidatedTokenUses == 0)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaRefreshTokenReq) == 1)
            #expect(try await client.reconcile(account: hedged).ctidTraderAccountID == hedged)
        }
    }

    @Test func anInvalidatedTokenWithoutARefreshTokenIsReportedAndNotRestored() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            try await connectAndAuthorize(client)
            var events = client.sessionEvents().makeAsyncIterator()

            await simulator.faults.invalidateTokens(of: [hedged], reason: "the user revoked access")

            let seen = try await collectEvents(&events) { if case .restoreFailed = $0 { true } else { false } }
            #expect(
                seen.map(Seen.init) == [.sessionEnded(hedged), .restoreFailed(.account(hedged), .authenticationFailed)])
            if case .restoreFailed(_, let error) = seen.last {
                #expect(error.reason.contains("ProtoOAAccountsTokenInvalidatedEvent (2147)"))
                #expect(error.reason.contains("the user revoked access"))
                #expect(error.reason.contains("no refresh token"))
                #expect(error.ctidTraderAccountId == hedged)
            }
            #expect(await client.authorizedAccounts.isEmpty)

            // The account is not restored after a reconnect: its token is never sent again.
            await simulator.faults.dropAllConnections()
            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .restored, .ready,
                ]
            )
            #expect(await client.authorizedAccounts.isEmpty)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaAccountAuthReq) == 1)
            #expect(await simulator.faults.invalidatedTokenUses == 0)
        }
    }

    @Test func aRefusedResubscriptionIsReportedAndRestoredAtTheNextReconnect() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            try await connectAndAuthorize(client)
            try await client.subscribeSpots(account: hedged, symbols: [eurusd])
            var events = client.sessionEvents().makeAsyncIterator()
            await simulator.faults.refuseNextRequests(1, of: .protoOaSubscribeSpotsReq, errorCode: .invalidRequest)

            await simulator.faults.dropAllConnections()

            // No "restored": the spots were not.
            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .authorized(hedged),
                    .restoreFailed(.spots(account: hedged, symbols: [eurusd]), .serverError), .ready,
                ]
            )

            await simulator.faults.dropAllConnections()

            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .authorized(hedged), .restored, .ready,
                ]
            )
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaSubscribeSpotsReq) == 3)
            var spots = client.spots().makeAsyncIterator()
            #expect(try await nextMessage(&spots).symbolID == eurusd)
        }
    }

    @Test func aRateLimitedReauthorizationKeepsTheAccount() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            try await connectAndAuthorize(client)
            var events = client.sessionEvents().makeAsyncIterator()
            await simulator.faults.refuseNextRequests(1, of: .protoOaAccountAuthReq, retryAfter: 0)

            await simulator.faults.dropAllConnections()

            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2),
                    .restoreFailed(.account(hedged), .serverError), .ready,
                ]
            )
            // Authorized again on the same connection, after the backoff.
            #expect(try await eventsUntilAuthorized(&events, hedged) == [.authorized(hedged)])
            #expect(await client.authorizedAccounts == [hedged])

            // And still restored at the next reconnect.
            await simulator.faults.dropAllConnections()
            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .authorized(hedged), .restored, .ready,
                ]
            )
        }
    }

    @Test func aWithheldRestorationAnswerGivesTheConnectionUpAndTheNextOneRestores() async throws {
        // The withheld answer is given up at the request timeout: long enough that the answered
        // requests of a loaded machine (a full parallel run) never reach it.
        try await withSimulatorClient(configure: { makeRecoveryClient($0, requestTimeout: .seconds(20)) }) {
            simulator, client in
            try await connectAndAuthorize(client)
            try await client.subscribeSpots(account: hedged, symbols: [eurusd])
            var events = client.sessionEvents().makeAsyncIterator()
            await simulator.faults.withholdNextResponse(to: .protoOaSubscribeSpotsReq)

            await simulator.faults.dropAllConnections()

            #expect(
                try await eventsUntilReady(&events) == [
                    .reconnecting(1, .connectionLost), .connecting(2), .authorized(hedged),
                    .reconnecting(2, .timeout), .connecting(3), .authorized(hedged), .restored, .ready,
                ]
            )
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaSubscribeSpotsReq) == 3)
        }
    }

    @Test func aSessionEventStreamCountsWhatItDropped() async throws {
        try await withSimulatorClient(configure: { makeRecoveryClient($0) }) { simulator, client in
            let events = client.sessionEvents(bufferSize: 1)
            try await connectAndAuthorize(client)
            // connecting, ready, accountAuthorized: the buffer keeps the newest.
            var iterator = events.makeAsyncIterator()
            #expect(try await iterator.next().map(Seen.init) == .authorized(hedged))
            #expect(events.statistics.dropped == 2)
            #expect(events.statistics.delivered == 1)
            await client.shutdown()
            #expect(try await iterator.next() == nil)
        }
    }
}

/// The token pairs a store received.
final class StoredPairs: Sendable {
    private let stored = LockedBox<[CTraderTokenPair]>([])
    func append(_ pair: CTraderTokenPair) { stored.mutate { $0.append(pair) } }
    var pairs: [CTraderTokenPair] { stored.value }
}
