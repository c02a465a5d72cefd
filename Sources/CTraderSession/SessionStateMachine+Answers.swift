// swift-ctrader: the cTrader Open API session layer.

import CTraderMessaging

// MARK: - Answers and events

extension SessionStateMachine {
    mutating func answer(_ envelope: Envelope, to outgoing: Outgoing, now: Duration) -> [Action] {
        let payloadType = envelope.payloadType
        let isError = PayloadRegistry.errorPayloadTypes.contains(payloadType)
        var actions: [Action] = []
        if !isError && !registry.isAnswer(payloadType, to: outgoing.payloadType) {
            if registry.isEvent(payloadType) { return event(envelope, now: now) }
            scheduler.removeInFlight(outgoing.clientMsgId)
            let error = SessionErrors.unexpectedResponse(payloadType, to: outgoing)
            if let user = outgoing.purpose.user { actions.append(.complete(user, .failure(error))) }
            return actions + drain(now: now)
        }
        scheduler.removeInFlight(outgoing.clientMsgId)
        if payloadType == .protoOaExecutionEvent || payloadType == .protoOaOrderErrorEvent {
            // The executions and order-error streams see every such event, answers included.
            actions.append(.emit(envelope))
        }
        var error = CTraderError(serverResponse: envelope, requestPayloadType: outgoing.payloadType)
        error?.clientMsgId = outgoing.clientMsgId
        if let error {
            scheduler.pauseIfRateLimited(by: error, now: now)
            // A non-trading request refused by a rate limit goes out again after the pause.
            if scheduler.requeueIfRateLimited(outgoing, error: error) { return actions + drain(now: now) }
        }
        switch outgoing.purpose {
        case .user(let id):
            if error == nil { actions += recordSuccess(of: outgoing.message, answer: envelope) }
            actions.append(.complete(id, error.map { .failure($0) } ?? .success(envelope)))
        case .appAuth:
            actions += appAuthAnswered(error: error, now: now)
        case .accountAuth(let account, let user, let refreshed):
            actions += accountAuthAnswered(account: account, user: user, refreshed: refreshed, error: error, now: now)
        case .tokenRefresh(let account, let user):
            actions += tokenRefreshAnswered(account: account, user: user, envelope: envelope, error: error, now: now)
        case .restoreSubscription:
            actions += restoreSubscriptionAnswered(outgoing, error: error, now: now)
        }
        return actions + drain(now: now)
    }

    /// An owner's request succeeded: the accounts learn about subscriptions and logouts; the pair
    /// an owner's token refresh returned is stored at once.
    mutating func recordSuccess(of message: any CTraderMessage, answer: Envelope) -> [Action] {
        accounts.recordSuccess(of: message)
        if message is ProtoOARefreshTokenReq, let pair = SessionAuthentication.ownerRefreshTokens(answer) {
            return [.storeTokens(pair)]
        }
        return []
    }
}
