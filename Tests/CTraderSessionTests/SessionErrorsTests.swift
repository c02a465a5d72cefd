// swift-ctrader: the errors the session builds, as pure functions.

import CTraderMessaging
import Testing

@testable import CTraderSession

/// One request as the scheduler holds it: numbered `m1`, sent at time zero.
private func outgoing(
    _ message: any CTraderMessage,
    purpose: RequestScheduler.Purpose = .user(id(1)),
    requestTimeout: Duration = .seconds(30)
) throws -> RequestScheduler.Outgoing {
    var scheduler = RequestScheduler(requestTimeout: requestTimeout, rateLimits: CTraderRateLimits())
    _ = scheduler.enqueueUser(message, purpose: purpose, timeout: nil, now: .zero)
    return try #require(scheduler.userQueue.first)
}

private func newOrder(account: Int64) -> ProtoOANewOrderReq {
    var order = ProtoOANewOrderReq()
    order.ctidTraderAccountID = account
    return order
}

@Suite(.timeLimit(.minutes(5))) struct SessionErrorsTests {
    @Test func anUnansweredTradingRequestHasAnUnknownOutcome() throws {
        let order = try outgoing(newOrder(account: 42))
        let error = SessionErrors.timeoutError(order)
        #expect(error.code == .outcomeUnknown)
        #expect(error.clientMsgId == "m1")
        #expect(error.ctidTraderAccountId == 42)
        #expect(error.payloadType == .protoOaNewOrderReq)
        #expect(error.reason.contains("NOT re-sent"))
        #expect(error.reason.contains("for account 42"))
    }

    @Test func anUnansweredOtherRequestTimesOut() throws {
        let version = try outgoing(ProtoOAVersionReq())
        let error = SessionErrors.timeoutError(version)
        #expect(error.code == .timeout)
        #expect(error.clientMsgId == "m1")
        #expect(error.payloadType == .protoOaVersionReq)
    }

    @Test func aRequestLostWithTheConnectionKeepsTheCause() throws {
        var cause = CTraderError(code: .connectionLost, reason: "reset by peer")
        cause.errorCode = "SOME_CODE"
        let error = SessionErrors.lostError(try outgoing(ProtoOAVersionReq()), cause: cause)
        #expect(error.code == .connectionLost)
        #expect(error.errorCode == "SOME_CODE")
        #expect(error.clientMsgId == "m1")
        #expect(error.reason.contains("reset by peer"))
        let shutdown = SessionErrors.lostError(try outgoing(ProtoOAVersionReq()), cause: SessionErrors.shutdown)
        #expect(shutdown.code == .shutdown)
    }

    @Test func aTradingRequestLostWithTheConnectionHasAnUnknownOutcome() throws {
        let cause = CTraderError(code: .connectionLost, reason: "reset")
        let error = SessionErrors.lostError(try outgoing(newOrder(account: 5)), cause: cause)
        #expect(error.code == .outcomeUnknown)
        #expect(error.ctidTraderAccountId == 5)
    }

    @Test func aTokenRefreshLostWithTheConnectionHasAnUnknownOutcome() throws {
        let cause = CTraderError(code: .connectionLost, reason: "reset")
        var refresh = ProtoOARefreshTokenReq()
        refresh.refreshToken = "r"
        let lost = try outgoing(refresh, purpose: .tokenRefresh(account: 9, user: nil))
        let error = SessionErrors.lostError(lost, cause: cause)
        #expect(error.code == .outcomeUnknown)
        #expect(error.payloadType == .protoOaRefreshTokenReq)
        #expect(error.ctidTraderAccountId == 9)
        #expect(error.clientMsgId == "m1")
        #expect(error.reason.contains("refresh token may be spent"))
    }

    @Test func aQueuedRequestNeverSentNamesItsAccount() throws {
        let order = try outgoing(newOrder(account: 3))
        let error = SessionErrors.neverSent(order, requestTimeout: .seconds(30))
        #expect(error.code == .timeout)
        #expect(error.ctidTraderAccountId == 3)
        #expect(error.clientMsgId == nil)
        #expect(error.reason.contains("never sent"))
    }

    @Test func givingUpKeepsTheLastServerErrorCode() {
        var last = CTraderError(code: .serverError, reason: "no")
        last.errorCode = "CANT_ROUTE_REQUEST"
        let error = SessionErrors.reconnectGaveUp(failures: 4, last: last)
        #expect(error.code == .reconnectGaveUp)
        #expect(error.errorCode == "CANT_ROUTE_REQUEST")
        #expect(error.reason.contains("4 failed connection attempts"))
    }

    @Test func theOtherErrorsCarryTheirCodes() throws {
        #expect(SessionErrors.shutdown.code == .shutdown)
        #expect(SessionErrors.notConnected.code == .notConnected)
        #expect(SessionErrors.cancelled.code == .cancelled)
        let full = SessionErrors.queueFull(waiting: 10, payloadType: .protoOaVersionReq)
        #expect(full.code == .queueFull)
        #expect(full.payloadType == .protoOaVersionReq)
        #expect(SessionErrors.deadConnection(after: .seconds(40)).code == .connectionLost)
        #expect(
            SessionErrors.setupTimeout(try outgoing(ProtoOAApplicationAuthReq(), purpose: .appAuth)).code == .timeout
        )
        let unexpected = SessionErrors.unexpectedResponse(.protoOaTraderRes, to: try outgoing(ProtoOAVersionReq()))
        #expect(unexpected.code == .unexpectedResponse)
        #expect(unexpected.clientMsgId == "m1")
    }

    @Test func theAccountOfARequest() {
        #expect(SessionErrors.accountId(of: newOrder(account: 12)) == 12)
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = 13
        #expect(SessionErrors.accountId(of: auth) == 13)
        #expect(SessionErrors.accountId(of: ProtoOAVersionReq()) == nil)
    }
}
