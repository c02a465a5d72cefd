// swift-ctrader: the request scheduler as a plain value, with virtual time.

import CTraderMessaging
import Testing

@testable import CTraderSession

private func scheduler(
    requestsPerSecond: Int = 50,
    historicalRequestsPerSecond: Int = 5,
    maximumQueuedRequests: Int = 1000,
    requestTimeout: Duration = .seconds(30)
) -> RequestScheduler {
    RequestScheduler(
        requestTimeout: requestTimeout,
        rateLimits: CTraderRateLimits(
            requestsPerSecond: requestsPerSecond,
            historicalRequestsPerSecond: historicalRequestsPerSecond,
            maximumQueuedRequests: maximumQueuedRequests,
            windowMargin: .zero
        )
    )
}

private func trendbars() -> ProtoOAGetTrendbarsReq {
    var request = ProtoOAGetTrendbarsReq()
    request.ctidTraderAccountID = 7
    return request
}

@Suite(.timeLimit(.minutes(5))) struct RequestSchedulerTests {
    @Test func sendsNoMoreThanThePerSecondLimitWithinAWindow() {
        var scheduler = scheduler(requestsPerSecond: 3)
        for n in 1...5 {
            let queued = scheduler.enqueueUser(
                ProtoOAVersionReq(),
                purpose: .user(id(UInt64(n))),
                timeout: nil,
                now: .zero
            )
            #expect(queued)
        }
        let first = scheduler.drain(now: .zero, userRequestsAllowed: true)
        #expect(first.map(\.purpose.user) == [id(1), id(2), id(3)])
        #expect(scheduler.userQueue.count == 2)
        #expect(scheduler.inFlight.count == 3)
        let early = scheduler.drain(now: .milliseconds(999), userRequestsAllowed: true)
        #expect(early.isEmpty)
        #expect(scheduler.connectedDeadlines(now: .milliseconds(999), userRequestsAllowed: true).contains(.seconds(1)))
        let second = scheduler.drain(now: .seconds(1), userRequestsAllowed: true)
        #expect(second.map(\.purpose.user) == [id(4), id(5)])
        #expect(scheduler.userQueue.isEmpty)
    }

    @Test func historicalRequestsWaitForTheirOwnLimitWithoutHoldingBackOthers() {
        var scheduler = scheduler(historicalRequestsPerSecond: 1)
        _ = scheduler.enqueueUser(trendbars(), purpose: .user(id(1)), timeout: nil, now: .zero)
        _ = scheduler.enqueueUser(trendbars(), purpose: .user(id(2)), timeout: nil, now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(3)), timeout: nil, now: .zero)
        let sent = scheduler.drain(now: .zero, userRequestsAllowed: true)
        #expect(sent.map(\.purpose.user) == [id(1), id(3)])
        #expect(sent.map(\.isHistorical) == [true, false])
        #expect(scheduler.userQueue.map(\.purpose.user) == [id(2)])
        #expect(scheduler.slot(for: scheduler.userQueue[0], now: .zero) == .seconds(1))
        let later = scheduler.drain(now: .seconds(1), userRequestsAllowed: true)
        #expect(later.map(\.purpose.user) == [id(2)])
    }

    @Test func internalRequestsGoFirstAndHoldBackTheOwnersUntilDone() {
        var scheduler = scheduler(requestsPerSecond: 1)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: nil, now: .zero)
        scheduler.startInternal(ProtoOAApplicationAuthReq(), purpose: .appAuth, now: .zero)
        scheduler.enqueueInternal(ProtoOAAccountAuthReq(), purpose: .restoreSubscription, now: .zero)
        #expect(scheduler.hasInternalPending)
        let first = scheduler.drain(now: .zero, userRequestsAllowed: true)
        #expect(first.map(\.payloadType) == [.protoOaApplicationAuthReq])
        let second = scheduler.drain(now: .seconds(1), userRequestsAllowed: true)
        #expect(second.map(\.payloadType) == [.protoOaAccountAuthReq])
        #expect(scheduler.userQueue.count == 1)
        let notReady = scheduler.drain(now: .seconds(2), userRequestsAllowed: false)
        #expect(notReady.isEmpty)
        let ready = scheduler.drain(now: .seconds(2), userRequestsAllowed: true)
        #expect(ready.map(\.purpose.user) == [id(1)])
    }

    @Test func messagesAreNumberedAndAnswersRemoveThemFromFlight() throws {
        var scheduler = scheduler()
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: nil, now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: nil, now: .zero)
        let sent = scheduler.drain(now: .zero, userRequestsAllowed: true)
        #expect(sent.map(\.clientMsgId) == ["m1", "m2"])
        #expect(sent[0].envelope.clientMsgId == "m1")
        let answered = try #require(scheduler.inFlight["m2"])
        scheduler.removeInFlight("m2")
        #expect(answered.purpose.user == id(2))
        let again = scheduler.removeInFlight("m2")
        #expect(again == nil)
        #expect(Array(scheduler.inFlight.keys) == ["m1"])
    }

    @Test func aTimedOutQueuedRequestIsExpired() {
        var scheduler = scheduler(requestTimeout: .seconds(30))
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: .seconds(5), now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: nil, now: .zero)
        let early = scheduler.expireQueued(now: .seconds(4))
        #expect(early.isEmpty)
        let expired = scheduler.expireQueued(now: .seconds(5))
        #expect(expired.map(\.purpose.user) == [id(1)])
        #expect(scheduler.userQueue.map(\.purpose.user) == [id(2)])
        #expect(scheduler.userQueue[0].deadline == .seconds(30))
    }

    @Test func aTimedOutRequestInFlightIsListedEarliestFirst() {
        var scheduler = scheduler()
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: .seconds(9), now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: .seconds(3), now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(3)), timeout: .seconds(60), now: .zero)
        _ = scheduler.drain(now: .zero, userRequestsAllowed: true)
        #expect(scheduler.expiredInFlight(now: .seconds(2)).isEmpty)
        #expect(scheduler.expiredInFlight(now: .seconds(10)).map(\.purpose.user) == [id(2), id(1)])
        #expect(scheduler.inFlight.count == 3)
    }

    @Test func theQueueIsBounded() {
        var scheduler = scheduler(maximumQueuedRequests: 2)
        let first = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: nil, now: .zero)
        let second = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: nil, now: .zero)
        #expect(first && second)
        let refused = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(3)), timeout: nil, now: .zero)
        #expect(!refused)
        #expect(scheduler.userQueue.count == 2)
    }

    @Test func aRateLimitErrorPausesEverySend() {
        var scheduler = scheduler()
        var error = CTraderError(code: .serverError, reason: "slow down")
        error.errorCode = "REQUEST_FREQUENCY_EXCEEDED"
        error.retryAfter = 3
        scheduler.pauseIfRateLimited(by: error, now: .seconds(1))
        #expect(scheduler.pausedUntil == .seconds(4))
        var other = CTraderError(code: .serverError, reason: "other")
        other.errorCode = "SERVER_IS_UNDER_MAINTENANCE"
        scheduler.pauseIfRateLimited(by: other, now: .seconds(1))
        #expect(scheduler.pausedUntil == .seconds(4))
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: nil, now: .seconds(1))
        let paused = scheduler.drain(now: .seconds(3), userRequestsAllowed: true)
        #expect(paused.isEmpty)
        #expect(scheduler.connectedDeadlines(now: .seconds(3), userRequestsAllowed: true).contains(.seconds(4)))
        let resumed = scheduler.drain(now: .seconds(4), userRequestsAllowed: true)
        #expect(resumed.count == 1)
    }

    @Test func aRefusedNonTradingRequestIsQueuedAgainUnderANewID() throws {
        var scheduler = scheduler()
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: .seconds(5), now: .zero)
        let sent = try #require(scheduler.drain(now: .zero, userRequestsAllowed: true).first)
        scheduler.removeInFlight(sent.clientMsgId)
        var error = CTraderError(code: .serverError, reason: "slow down")
        error.errorCode = "REQUEST_FREQUENCY_EXCEEDED"
        error.retryAfter = 2
        let requeued = scheduler.retry(sent, after: error, now: .zero, unixNow: 0)
        #expect(requeued)
        #expect(scheduler.drain(now: .seconds(1), userRequestsAllowed: true).isEmpty)
        let retried = try #require(scheduler.drain(now: .seconds(2), userRequestsAllowed: true).first)
        #expect(retried.clientMsgId != sent.clientMsgId)
        #expect(retried.deadline == sent.deadline)
        // A second refusal whose pause outlasts the deadline is not queued again.
        scheduler.removeInFlight(retried.clientMsgId)
        error.retryAfter = 10
        let requeuedAgain = scheduler.retry(retried, after: error, now: .seconds(2), unixNow: 0)
        #expect(!requeuedAgain)
    }

    @Test func cancelForgetsAQueuedOrInFlightRequest() {
        var scheduler = scheduler(requestsPerSecond: 1)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(1)), timeout: nil, now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: nil, now: .zero)
        _ = scheduler.drain(now: .zero, userRequestsAllowed: true)
        let queuedCancelled = scheduler.cancel(id(2))
        guard case .queued(let queued) = queuedCancelled else {
            Issue.record("not cancelled as queued: \(String(describing: queuedCancelled))")
            return
        }
        #expect(queued.purpose.user == id(2))
        #expect(scheduler.userQueue.isEmpty)
        let inFlightCancelled = scheduler.cancel(id(1))
        guard case .inFlight(let written) = inFlightCancelled else {
            Issue.record("not cancelled as in flight: \(String(describing: inFlightCancelled))")
            return
        }
        #expect(written.purpose.user == id(1))
        #expect(scheduler.inFlight.isEmpty)
        let cancelledAgain = scheduler.cancel(id(1))
        #expect(cancelledAgain == nil)
    }

    @Test func aDropLosesWhatIsInFlightAndKeepsTheOwnersQueue() {
        var scheduler = scheduler(requestsPerSecond: 2)
        for n in 1...3 {
            _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(UInt64(n))), timeout: nil, now: .zero)
        }
        _ = scheduler.drain(now: .zero, userRequestsAllowed: true)
        scheduler.enqueueInternal(ProtoOAAccountAuthReq(), purpose: .restoreSubscription, now: .zero)
        let (lost, unsent) = scheduler.connectionLost(keepsTradingRequests: false)
        #expect(lost.map(\.purpose.user) == [id(1), id(2)])
        #expect(unsent.isEmpty)
        #expect(scheduler.inFlight.isEmpty)
        #expect(scheduler.internalQueue.isEmpty)
        #expect(scheduler.userQueue.map(\.purpose.user) == [id(3)])
        let (inFlight, queued) = scheduler.removeAll()
        #expect(inFlight.isEmpty)
        #expect(queued.map(\.purpose.user) == [id(3)])
        #expect(scheduler.userQueue.isEmpty)
    }

    @Test func aDropRemovesTheQueuedTradingRequestsUnlessKept() {
        for keeps in [false, true] {
            var scheduler = scheduler(requestsPerSecond: 1)
            _ = scheduler.enqueueUser(ProtoOANewOrderReq(), purpose: .user(id(1)), timeout: nil, now: .zero)
            _ = scheduler.drain(now: .zero, userRequestsAllowed: true)
            _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: nil, now: .zero)
            _ = scheduler.enqueueUser(ProtoOANewOrderReq(), purpose: .user(id(3)), timeout: nil, now: .zero)
            let (lost, unsent) = scheduler.connectionLost(keepsTradingRequests: keeps)
            #expect(lost.map(\.purpose.user) == [id(1)])
            #expect(unsent.map(\.purpose.user) == (keeps ? [] : [id(3)]))
            #expect(scheduler.userQueue.map(\.purpose.user) == (keeps ? [id(2), id(3)] : [id(2)]))
        }
    }

    @Test func tradingRequestsAreKnownAsSuch() {
        var scheduler = scheduler()
        _ = scheduler.enqueueUser(ProtoOANewOrderReq(), purpose: .user(id(1)), timeout: nil, now: .zero)
        _ = scheduler.enqueueUser(ProtoOAVersionReq(), purpose: .user(id(2)), timeout: nil, now: .zero)
        #expect(scheduler.userQueue.map(\.isTrading) == [true, false])
    }
}
