// swift-ctrader: orders never lie — the machine's answers to cancellation and drops for trading
// requests, with virtual time.

import CTraderMessaging
import CTraderSession
import Testing

private let reset = CTraderError(code: .connectionLost, reason: "reset")

/// Reconnects a machine waiting to reconnect, at its reconnect time (before the queued requests'
/// deadlines); returns that time and every action the reconnect produced.
private func reconnect(_ machine: inout Machine, after drop: Duration) throws -> (Duration, [Machine.Action]) {
    var now = try #require(machine.nextDeadline(now: drop))
    var actions = machine.tick(now: now)
    let next = try #require(actions.opened.first)
    var opened = machine.connectionOpened(next, now: now)
    if opened.sent.isEmpty {
        // The application auth waits for the rate limiter's next slot.
        now = try #require(machine.nextDeadline(now: now))
        opened += machine.tick(now: now)
    }
    actions += opened
    let auth = try #require(opened.sent.first)
    actions += machine.received(reply(ProtoOAApplicationAuthRes(), to: auth), on: next, now: now)
    #expect(machine.isReady)
    return (now, actions)
}

@Suite(.timeLimit(.minutes(5))) struct OrderSafetyTests {
    @Test func cancellingATradingRequestAfterItWasWrittenMakesItsOutcomeUnknown() throws {
        var (machine, _) = try readyMachine()
        let sent = try #require(machine.request(id(10), message: marketBuyOrder(), now: .zero).sent.first)
        let cancelled = machine.cancel(id(10), now: .seconds(1))
        let error = try #require(cancelled.failure(of: id(10)))
        #expect(error.code == .outcomeUnknown)
        #expect(error.clientMsgId == sent.clientMsgId)
        #expect(error.ctidTraderAccountId == 7)
        #expect(error.reason.contains("ProtoOAReconcileReq"))
        #expect(machine.inFlightCount == 0)
    }

    @Test func cancellingATradingRequestStillQueuedIsAPlainCancellation() throws {
        var (machine, _) = try readyMachine(rateLimits: CTraderRateLimits(requestsPerSecond: 1, windowMargin: .zero))
        // The application auth took the first second's slot: the order waits for the next one.
        #expect(machine.request(id(11), message: marketBuyOrder(), now: .zero).sent.isEmpty)
        let cancelled = machine.cancel(id(11), now: .zero)
        #expect(cancelled.failure(of: id(11))?.code == .cancelled)
        #expect(machine.queuedRequestCount == 0)
        // The slot comes; the cancelled order is not written.
        #expect(machine.tick(now: .seconds(2)).sent.filter { $0.payloadType == .protoOaNewOrderReq }.isEmpty)
    }

    @Test func cancellingANonTradingRequestAfterItWasWrittenIsAPlainCancellation() throws {
        var (machine, _) = try readyMachine()
        #expect(machine.request(id(10), message: ProtoOAVersionReq(), now: .zero).sent.count == 1)
        #expect(machine.cancel(id(10), now: .zero).failure(of: id(10))?.code == .cancelled)
    }

    @Test func aTradingRequestQueuedAtADropFailsAtOnceAsNotSentAndIsNeverWritten() throws {
        var (machine, connection) = try readyMachine(
            rateLimits: CTraderRateLimits(requestsPerSecond: 1, windowMargin: .zero)
        )
        let start = Duration.seconds(2)
        #expect(machine.request(id(10), message: marketBuyOrder(), now: start).sent.count == 1)
        #expect(machine.request(id(11), message: marketBuyOrder(), now: start).sent.isEmpty)
        #expect(machine.request(id(12), message: ProtoOAVersionReq(), now: start).sent.isEmpty)
        let lost = machine.connectionClosed(connection, error: reset, now: start)
        // Written, then the drop: its outcome is unknown.
        #expect(lost.failure(of: id(10))?.code == .outcomeUnknown)
        // Queued, never written: certainly not executed, and said so at once.
        let unsent = try #require(lost.failure(of: id(11)))
        #expect(unsent.code == .notSent)
        #expect(unsent.payloadType == .protoOaNewOrderReq)
        #expect(unsent.ctidTraderAccountId == 7)
        // A non-trading request waits for the reconnect.
        #expect(lost.failure(of: id(12)) == nil)
        #expect(machine.queuedRequestCount == 1)
        var (now, actions) = try reconnect(&machine, after: start)
        for _ in 0..<10 {
            guard let deadline = machine.nextDeadline(now: now) else { break }
            now = max(deadline, now)
            actions += machine.tick(now: now)
        }
        #expect(!actions.sent.contains { $0.payloadType == .protoOaNewOrderReq })
        #expect(actions.sent.contains { $0.payloadType == .protoOaVersionReq })
    }

    @Test func withTheOptInAQueuedTradingRequestIsSentAfterTheReconnectExactlyOnce() throws {
        var configuration = Machine.Configuration(
            credentials: testCredentials,
            reconnect: CTraderReconnectPolicy(maximumAttempts: 3, jitterSeed: 7),
            rateLimits: CTraderRateLimits(requestsPerSecond: 1, windowMargin: .zero)
        )
        configuration.resendsUnsentTradingRequests = true
        var machine = Machine(configuration: configuration)
        let first = try #require(machine.connect(id(1), now: .zero).opened.first)
        let auth = try #require(machine.connectionOpened(first, now: .zero).sent.first)
        #expect(machine.received(reply(ProtoOAApplicationAuthRes(), to: auth), on: first, now: .zero).succeeded(id(1)))
        var orders: [Envelope] = []
        orders += machine.request(id(10), message: marketBuyOrder(), now: .seconds(2)).sent
        orders += machine.request(id(11), message: marketBuyOrder(), now: .seconds(2)).sent
        #expect(orders.count == 1)
        let lost = machine.connectionClosed(first, error: reset, now: .seconds(2))
        #expect(lost.failure(of: id(10))?.code == .outcomeUnknown)
        #expect(lost.failure(of: id(11)) == nil)
        let (reconnectedAt, actions) = try reconnect(&machine, after: .seconds(2))
        var now = reconnectedAt
        orders += actions.sent.filter { $0.payloadType == .protoOaNewOrderReq }
        // Let every slot, timeout and heartbeat pass: the order goes out once, no more.
        for _ in 0..<10 {
            guard let deadline = machine.nextDeadline(now: now) else { break }
            now = max(deadline, now)
            orders += machine.tick(now: now).sent.filter { $0.payloadType == .protoOaNewOrderReq }
        }
        #expect(orders.count == 2)
        #expect(Set(orders.compactMap(\.clientMsgId)).count == 2)
    }
}
