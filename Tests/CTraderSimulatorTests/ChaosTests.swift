// swift-ctrader: a seeded chaos run over one hour of virtual time — the session's state machine
// against the simulator's engine, both pure, joined by a scripted network with latency: random
// drops, refused connections, garbage messages, token expiries and refusals, rate-limit and
// transient refusals, maintenance windows. Deterministic (one seed, no wall clock) and fast.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import Testing
import _CTraderLocking

/// The chaos schedule's draws, from the package's SplitMix64.
extension SplitMix64 {
    fileprivate mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    fileprivate mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    /// A duration in `[low, high)` milliseconds.
    fileprivate mutating func milliseconds(_ low: Int, _ high: Int) -> Duration {
        .milliseconds(low + below(high - low))
    }
}

/// The chaos run: the session, the server and the network between them.
private struct ChaosRun {
    typealias Machine = SessionStateMachine

    enum Delivery {
        case toServer(Envelope)
        case toClient(Envelope)
        case garbage(MessagingError)
        case opened
        case refused
        case serverClosed(String)
    }

    struct Pending {
        var at: Duration
        var sequence: Int
        var connection: Machine.ConnectionID
        var delivery: Delivery
    }

    struct Request {
        var madeAt: Duration
        var timeout: Duration
        var completedAt: Duration?
        var result: Result<Envelope, CTraderError>?
        var payloadType: PayloadType
    }

    static let epoch: Int64 = 1_800_000_000_000
    static let accountA = SimulatorIdentity.demoHedgedAccountId
    static let accountB = SimulatorIdentity.demoNettedAccountId
    static let latency = Duration.milliseconds(15)

    var machine: Machine
    var engine: SimulatorEngine
    var random: SplitMix64
    var now: Duration = .zero
    var pending: [Pending] = []
    var sequence = 0
    var open: Machine.ConnectionID?
    var requests: [Machine.RequestID: Request] = [:]
    var nextRequest: UInt64 = 100
    /// Trading requests as the server received them, by clientMsgId.
    var tradingWrites: [String: Int] = [:]
    /// Token refreshes written and not yet answered (a drop then could spend the refresh token).
    var refreshesInFlight: Set<String> = []
    var spotEvents: [Int64: Int] = [:]
    var failedFor: CTraderError?
    var counts: [String: Int] = [:]
    /// What could not be restored, when and why (for the failure messages).
    var accountFailures: [String] = []

    static func unixMilliseconds(_ now: Duration) -> Int64 {
        epoch + now.components.seconds * 1000 + now.components.attoseconds / 1_000_000_000_000_000
    }

    init(seed: UInt64) {
        var identity = SimulatorIdentity.standard
        // One token per account, each expiring unannounced (20 and 35 minutes in): the server
        // refuses it at the next restore and the session refreshes it; a refreshed pair lives 15
        // minutes and is refreshed ahead of its expiry, or refused and refreshed when the session
        // was not ready in time.
        identity.tokens = [
            SimulatorIdentity.Token(
                accessToken: "chaos-access-a", refreshToken: "chaos-refresh-a", accountIds: [Self.accountA],
                expiresAt: Self.epoch + 20 * 60_000),
            SimulatorIdentity.Token(
                accessToken: "chaos-access-b", refreshToken: "chaos-refresh-b", accountIds: [Self.accountB],
                expiresAt: Self.epoch + 35 * 60_000),
        ]
        engine = SimulatorEngine(
            configuration: SimulatorEngine.Configuration(
                seed: seed, identity: identity, refreshedTokenLifetime: .seconds(15 * 60)))
        var configuration = Machine.Configuration(
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
            reconnect: CTraderReconnectPolicy(
                initialDelay: .milliseconds(200), maximumDelay: .seconds(10), maximumAttempts: 10_000, jitterSeed: seed),
            tokenRefreshMargin: .seconds(180)
        )
        configuration.transientRetry = CTraderRetryPolicy(
            initialDelay: .milliseconds(500), maximumDelay: .seconds(8), maximumAttempts: 8, jitterSeed: seed)
        configuration.unixMilliseconds = Self.unixMilliseconds
        machine = Machine(configuration: configuration)
        random = SplitMix64(seed: seed)
    }

    var unixNow: Int64 { Self.unixMilliseconds(now) }

    mutating func schedule(_ delivery: Delivery, on connection: Machine.ConnectionID, after delay: Duration) {
        sequence += 1
        pending.append(Pending(at: now + delay, sequence: sequence, connection: connection, delivery: delivery))
    }

    /// Forgets everything in transit on `connection`, both ways.
    mutating func purge(_ connection: Machine.ConnectionID) {
        pending.removeAll { $0.connection == connection }
        if open == connection {
            open = nil
            refreshesInFlight.removeAll()
        }
    }

    static func serverId(_ connection: Machine.ConnectionID) -> SimulatorConnectionID { Int(connection.rawValue) }

    // MARK: - The session's actions

    mutating func perform(_ actions: [Machine.Action]) {
        var saves: [CTraderTokenPair] = []
        for action in actions {
            switch action {
            case .openConnection(let connection):
                if random.chance(10) {
                    schedule(.refused, on: connection, after: Self.latency)
                } else {
                    open = connection
                    engine.connect(Self.serverId(connection), now: unixNow)
                    schedule(.opened, on: connection, after: Self.latency)
                }
            case .closeConnection(let connection):
                engine.disconnect(Self.serverId(connection))
                purge(connection)
            case .send(let envelope, let connection):
                if envelope.payloadType == .protoOaRefreshTokenReq, let id = envelope.clientMsgId {
                    refreshesInFlight.insert(id)
                }
                schedule(.toServer(envelope), on: connection, after: Self.latency)
            case .complete(let id, let result):
                guard var request = requests[id] else { continue }
                #expect(request.completedAt == nil, "request \(id) completed twice")
                request.completedAt = now
                request.result = result
                requests[id] = request
            case .emit(let envelope):
                if let spot = envelope.message(as: ProtoOASpotEvent.self) {
                    spotEvents[spot.ctidTraderAccountID, default: 0] += 1
                }
            case .status(let status):
                if case .accountAuthorizationFailed = status { accountFailures.append("\(now): \(status)") }
            case .storeTokens(let pair):
                saves.append(pair)
            case .finishStreams(let error):
                failedFor = error
            case .sessionEvent(let event):
                if case .restoreFailed = event { accountFailures.append("\(now): \(event)") }
            }
        }
        // The token store saves at once.
        for pair in saves { perform(machine.tokensSaved(pair, now: now)) }
    }

    mutating func request(_ message: any CTraderMessage, timeout: Duration) {
        let id = Machine.RequestID(nextRequest)
        nextRequest += 1
        requests[id] = Request(
            madeAt: now, timeout: timeout, payloadType: type(of: message).messagePayloadType)
        perform(machine.request(id, message: message, timeout: timeout, now: now))
    }

    // MARK: - The server's outputs

    mutating func serve(_ outputs: [SimulatorEngine.Output]) {
        for output in outputs {
            switch output {
            case .send(let server, let envelope):
                schedule(.toClient(envelope), on: Machine.ConnectionID(UInt64(server)), after: Self.latency)
            case .close(let server, let reason):
                engine.disconnect(server)
                let connection = Machine.ConnectionID(UInt64(server))
                pending.removeAll { $0.connection == connection }
                schedule(.serverClosed(reason), on: connection, after: Self.latency)
            }
        }
    }

    mutating func deliver(_ item: Pending) {
        let connection = item.connection
        switch item.delivery {
        case .toServer(let envelope):
            if PayloadType.tradingRequests.contains(envelope.payloadType), let id = envelope.clientMsgId {
                tradingWrites[id, default: 0] += 1
            }
            if envelope.payloadType == .protoOaRefreshTokenReq { counts["token refresh", default: 0] += 1 }
            serve(engine.receive(.envelope(envelope), from: Self.serverId(connection), now: unixNow))
        case .toClient(let envelope):
            if let id = envelope.clientMsgId { refreshesInFlight.remove(id) }
            perform(machine.received(envelope, on: connection, now: now))
        case .garbage(let error):
            perform(machine.receivedUndecodable(error, on: connection, now: now))
        case .opened:
            perform(machine.connectionOpened(connection, now: now))
        case .refused:
            perform(
                machine.connectionClosed(
                    connection, error: CTraderError(code: .connectionFailed, reason: "refused"), now: now))
        case .serverClosed(let reason):
            purge(connection)
            perform(
                machine.connectionClosed(
                    connection, error: CTraderError(code: .connectionLost, reason: reason), now: now))
        }
    }

    // MARK: - Chaos

    mutating func chaos() {
        let dice = random.below(100)
        switch dice {
        case 0..<20:
            // A drop, unless a token refresh is in flight: its answer lost, the single-use refresh
            // token may be spent, which no client survives (that is "outcome unknown", tested apart).
            guard let connection = open, refreshesInFlight.isEmpty else { return }
            counts["drop", default: 0] += 1
            engine.disconnect(Self.serverId(connection))
            purge(connection)
            perform(
                machine.connectionClosed(
                    connection, error: CTraderError(code: .connectionLost, reason: "chaos drop"), now: now))
        case 20..<35:
            guard let connection = open else { return }
            counts["garbage", default: 0] += 1
            let codes: [MessagingError.Code] = [.malformedJSON, .unknownPayloadType, .missingRequiredField]
            let error = MessagingError(code: codes[random.below(codes.count)], reason: "chaos garbage")
            schedule(.garbage(error), on: connection, after: Self.latency)
        case 35..<50:
            counts["rate limit", default: 0] += 1
            let types: [PayloadType] = [
                .protoOaTraderReq, .protoOaVersionReq, .protoOaNewOrderReq, .protoOaAccountAuthReq,
            ]
            engine.faults.refusedRequests[types[random.below(types.count)]] = 1 + random.below(2)
        case 50..<65:
            counts["transient", default: 0] += 1
            let codes: [ErrorCode] = [.cantRouteRequest, .timeoutError, .chServerNotReachable]
            let types: [PayloadType?] = [nil, .protoOaTraderReq, .protoOaAccountAuthReq, .protoOaApplicationAuthReq]
            engine.faults.scriptedErrors.append(
                SimulatorEngine.ScriptedError(
                    codes[random.below(codes.count)], count: 1 + random.below(2), of: types[random.below(types.count)]))
        case 65..<72:
            guard !engine.faults.scriptedErrors.contains(where: { $0.errorCode == .serverIsUnderMaintenance }) else {
                return
            }
            counts["maintenance", default: 0] += 1
            let length = random.milliseconds(5_000, 90_000)
            maintenanceEnd = now + length
            engine.faults.scriptedErrors.append(
                SimulatorEngine.ScriptedError(
                    .serverIsUnderMaintenance, count: Int.max, of: nil,
                    maintenanceEndTimestamp: Self.unixMilliseconds(now + length)))
        default:
            break
        }
    }

    var maintenanceEnd: Duration?

    mutating func endMaintenance() {
        engine.faults.scriptedErrors.removeAll { $0.errorCode == .serverIsUnderMaintenance }
        maintenanceEnd = nil
    }

    mutating func workload() {
        let timeout: Duration = random.chance(50) ? .seconds(10) : .seconds(30)
        let account = random.chance(50) ? Self.accountA : Self.accountB
        switch random.below(3) {
        case 0:
            request(ProtoOAVersionReq(), timeout: timeout)
        case 1:
            var trader = ProtoOATraderReq()
            trader.ctidTraderAccountID = account
            request(trader, timeout: timeout)
        default:
            var order = ProtoOANewOrderReq()
            order.ctidTraderAccountID = account
            order.symbolID = 1
            order.orderType = .market
            order.tradeSide = random.chance(50) ? .buy : .sell
            order.volume = 100_000
            request(order, timeout: timeout)
        }
    }

    // MARK: - The loop

    /// Runs until `end`: deliveries, the server's ticks (every second), the session's deadlines,
    /// and, when `chaotic`, chaos and a workload.
    mutating func run(until end: Duration, chaotic: Bool) {
        var nextServerTick = now + .seconds(1)
        var nextChaos = now + random.milliseconds(2_000, 20_000)
        var nextWork = now + random.milliseconds(500, 4_000)
        while now < end, failedFor == nil {
            var candidates = [end, nextServerTick]
            if let first = pending.map(\.at).min() { candidates.append(first) }
            if let deadline = machine.nextDeadline(now: now) { candidates.append(deadline) }
            if let maintenanceEnd { candidates.append(maintenanceEnd) }
            if chaotic { candidates += [nextChaos, nextWork] }
            now = max(now, candidates.min()!)
            // In order: what arrives, the server, the chaos, the owner, the session's timers.
            while let index = pending.indices.filter({ pending[$0].at <= now })
                .min(by: { (pending[$0].at, pending[$0].sequence) < (pending[$1].at, pending[$1].sequence) })
            {
                deliver(pending.remove(at: index))
            }
            if let maintenanceEnd, maintenanceEnd <= now { endMaintenance() }
            if nextServerTick <= now {
                serve(engine.tick(now: unixNow))
                nextServerTick = now + .seconds(1)
            }
            if chaotic, nextChaos <= now {
                chaos()
                nextChaos = now + random.milliseconds(2_000, 20_000)
            }
            if chaotic, nextWork <= now {
                workload()
                nextWork = now + random.milliseconds(500, 4_000)
            }
            if let deadline = machine.nextDeadline(now: now), deadline <= now {
                perform(machine.tick(now: now))
            }
        }
    }

    /// Connects, authorizes both accounts and subscribes to spots, before the chaos.
    mutating func start() {
        let connect = Machine.RequestID(1)
        requests[connect] = Request(madeAt: now, timeout: .seconds(3600), payloadType: .protoOaApplicationAuthReq)
        perform(machine.connect(connect, now: now))
        run(until: now + .seconds(5), chaotic: false)
        for (n, (account, token)) in [(Self.accountA, "chaos-access-a"), (Self.accountB, "chaos-access-b")].enumerated()
        {
            let id = Machine.RequestID(UInt64(2 + n))
            requests[id] = Request(madeAt: now, timeout: .seconds(30), payloadType: .protoOaAccountAuthReq)
            let refresh: CTraderSecret = account == Self.accountA ? "chaos-refresh-a" : "chaos-refresh-b"
            perform(
                machine.authorize(
                    id, account: account, accessToken: CTraderSecret(token), refreshToken: refresh, now: now))
            run(until: now + .seconds(1), chaotic: false)
            var spots = ProtoOASubscribeSpotsReq()
            spots.ctidTraderAccountID = account
            spots.symbolID = account == Self.accountA ? [1] : [1, 2]
            request(spots, timeout: .seconds(30))
            run(until: now + .seconds(1), chaotic: false)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ChaosTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func anHourOfChaosLosesNoAccountWritesNoOrderTwiceAndLeavesNoRequestHanging(seed: UInt64) throws {
        var run = ChaosRun(seed: seed)
        run.start()
        #expect(run.machine.isReady)
        #expect(run.machine.authorizedAccounts == [ChaosRun.accountA, ChaosRun.accountB])
        let setup = run.requests.values.filter { $0.completedAt != nil }
        #expect(setup.count == 5 && setup.allSatisfy { (try? $0.result?.get()) != nil })

        run.run(until: run.now + .seconds(3600), chaotic: true)
        #expect(run.failedFor == nil, "the session failed: \(String(describing: run.failedFor))")
        // The chaos happened.
        for kind in ["drop", "garbage", "rate limit", "transient", "maintenance", "token refresh"] {
            #expect(run.counts[kind, default: 0] > 0, "no \(kind) in \(run.counts)")
        }
        // Calm: the faults end, the session recovers.
        run.engine.faults = SimulatorEngine.Faults()
        run.maintenanceEnd = nil
        run.run(until: run.now + .seconds(120), chaotic: false)

        // No account lost: both authorized again, their subscriptions restored, spots flowing.
        #expect(run.machine.isReady)
        #expect(
            run.machine.authorizedAccounts == [ChaosRun.accountA, ChaosRun.accountB],
            "restore failures: \(run.accountFailures)")
        #expect(run.machine.spotSubscriptions == [ChaosRun.accountA: [1], ChaosRun.accountB: [1, 2]])
        run.spotEvents = [:]
        for account in [ChaosRun.accountA, ChaosRun.accountB] {
            var trader = ProtoOATraderReq()
            trader.ctidTraderAccountID = account
            run.request(trader, timeout: .seconds(30))
        }
        run.run(until: run.now + .seconds(30), chaotic: false)
        #expect(run.spotEvents[ChaosRun.accountA, default: 0] > 0 && run.spotEvents[ChaosRun.accountB, default: 0] > 0)
        let finals = run.requests.values.filter { $0.payloadType == .protoOaTraderReq }.sorted { $0.madeAt < $1.madeAt }
            .suffix(2)
        #expect(finals.allSatisfy { (try? $0.result?.get()) != nil }, "\(finals.map { $0.result })")

        // No trading request written twice.
        #expect(!run.tradingWrites.isEmpty)
        #expect(run.tradingWrites.values.allSatisfy { $0 == 1 }, "\(run.tradingWrites.filter { $0.value > 1 })")

        // No request left hanging: each completed, by its deadline, with an answer or a typed error.
        var outcomes: [String: Int] = [:]
        for (id, request) in run.requests {
            let completedAt = try #require(
                request.completedAt, "request \(id) (\(request.payloadType)) never completed")
            #expect(completedAt <= request.madeAt + request.timeout, "request \(id) completed late")
            switch request.result {
            case .success: outcomes["success", default: 0] += 1
            case .failure(let error): outcomes["\(error.code)", default: 0] += 1
            case nil: Issue.record("request \(id) has no result")
            }
        }
        #expect(outcomes["success", default: 0] > 0, "\(outcomes)")
    }
}
