// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

extension SessionStateMachine {
    /// A message arrived on the connection and did not decode. The connection goes on. When the
    /// error names the `clientMsgId` of an owner's request in flight, that request fails at once:
    /// a trading request with ``CTraderError/Code/outcomeUnknown`` (the order may have been
    /// executed), another with ``CTraderError/Code/unexpectedResponse``. The session's own
    /// requests (authentication, restoration) wait for their timeout.
    public mutating func receivedUndecodable(
        _ error: MessagingError, on connection: ConnectionID, now: Duration
    ) -> [Action] {
        guard openConnection == connection else { return [] }
        lastReceived = now
        guard let clientMsgId = error.clientMsgId, let outgoing = scheduler.inFlight[clientMsgId],
            case .user(let user) = outgoing.purpose
        else { return [] }
        scheduler.removeInFlight(clientMsgId)
        var failure = CTraderError(
            code: outgoing.isTrading ? .outcomeUnknown : .unexpectedResponse,
            reason: "the answer to \(outgoing.payloadType) did not decode: \(error)",
            payloadType: outgoing.payloadType,
            underlying: error
        )
        failure.clientMsgId = clientMsgId
        return [.complete(user, .failure(failure))] + drain(now: now)
    }
}
