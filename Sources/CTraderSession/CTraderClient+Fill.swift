// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging

/// How far an order request goes before ``CTraderClient/placeOrder(_:until:timeout:)`` returns.
public enum CTraderOrderCompletion: Sendable, Hashable {
    /// The first execution event, usually `ORDER_ACCEPTED`: what
    /// ``CTraderClient/placeOrder(_:timeout:)`` returns.
    case accepted
    /// The order's `ORDER_FILLED` execution event (partial fills are passed over).
    case filled
}

extension CTraderClient {
    /// Sends a new order (2106) and, with `.filled`, waits for its `ORDER_FILLED` event: an opt-in
    /// convenience over ``placeOrder(_:timeout:)`` and ``executions(bufferSize:)``.
    ///
    /// The fill is matched by the `orderId` of the first execution event (and the account). The
    /// whole wait, sending included, is bounded by `timeout` (default
    /// ``CTraderClientConfiguration/requestTimeout``); a pending order that does not fill within it
    /// fails.
    ///
    /// - Throws: ``CTraderError``: ``CTraderError/Code/orderError`` when the order is refused
    ///   (`ProtoOAOrderErrorEvent`, in ``CTraderError/orderError``) or ends without a fill
    ///   (`ORDER_REJECTED`, `ORDER_CANCELLED`, `ORDER_EXPIRED`; ``CTraderError/errorCode`` is the
    ///   event's error code or that name); ``CTraderError/Code/outcomeUnknown`` when the timeout
    ///   passed or the connection dropped before the fill was seen (call
    ///   ``reconcile(account:returnProtectionOrders:timeout:)``); others as
    ///   ``placeOrder(_:timeout:)``.
    public func placeOrder(
        _ order: ProtoOANewOrderReq,
        until completion: CTraderOrderCompletion,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        guard completion == .filled else { return try await placeOrder(order, timeout: timeout) }
        let clock = configuration.clock
        let deadline = clock.now() + (timeout ?? configuration.requestTimeout)
        // Listen before sending, so that a fill right behind the acceptance is not missed.
        let executions = EventBuffer<ProtoOAExecutionEvent>(
            capacity: configuration.streamBufferSize, policy: .failStream)
        let orderErrors = EventBuffer<ProtoOAOrderErrorEvent>(
            capacity: configuration.streamBufferSize, policy: .failStream)
        addSink(executions)
        addSink(orderErrors)
        defer {
            executions.finish(nil)
            orderErrors.finish(nil)
        }
        let first = try await placeOrder(order, timeout: deadline - clock.now())
        let account = order.ctidTraderAccountID
        let orderId = first.order.orderID
        if let outcome = try Self.settle(first, orderId: orderId) { return outcome }

        let unknown: @Sendable (String) -> CTraderError = { why in
            var error = CTraderError(
                code: .outcomeUnknown,
                reason: "order \(orderId) was accepted but \(why); it may have filled since. Send ProtoOAReconcileReq "
                    + "(2124) for account \(account) to learn its state.",
                payloadType: .protoOaNewOrderReq,
                ctidTraderAccountId: account
            )
            error.clientMsgId = nil
            return error
        }
        return try await withThrowingTaskGroup(of: ProtoOAExecutionEvent.self) { group in
            group.addTask {
                while let element = try await executions.next() {
                    switch element {
                    case .reconnected:
                        throw unknown("the connection dropped before its fill was seen")
                    case .message(let event):
                        guard event.ctidTraderAccountID == account, event.order.orderID == orderId else { continue }
                        if let outcome = try Self.settle(event, orderId: orderId) { return outcome }
                    }
                }
                throw CTraderError(
                    code: .shutdown, reason: "the client was shut down", payloadType: .protoOaNewOrderReq)
            }
            group.addTask {
                while let element = try await orderErrors.next() {
                    guard case .message(let event) = element, event.ctidTraderAccountID == account,
                        event.hasOrderID, event.orderID == orderId
                    else { continue }
                    throw CTraderError(serverResponse: Envelope(event), requestPayloadType: .protoOaNewOrderReq)!
                }
                try await clock.sleep(until: deadline)
                throw unknown("no fill arrived within its timeout")
            }
            group.addTask {
                try await clock.sleep(until: deadline)
                throw unknown("no fill arrived within its timeout")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The fill, `nil` to keep waiting, or the error of an order that ended without a fill.
    private static func settle(_ event: ProtoOAExecutionEvent, orderId: Int64) throws -> ProtoOAExecutionEvent? {
        let name: String
        switch event.executionType {
        case .orderFilled: return event
        case .orderRejected: name = "ORDER_REJECTED"
        case .orderCancelled: name = "ORDER_CANCELLED"
        case .orderExpired: name = "ORDER_EXPIRED"
        default: return nil
        }
        throw CTraderError(
            code: .orderError,
            reason: "order \(orderId) ended without a fill: \(name)",
            errorCode: ErrorCode(rawValue: event.hasErrorCode ? event.errorCode : name),
            payloadType: .protoOaNewOrderReq,
            ctidTraderAccountId: event.ctidTraderAccountID
        )
    }
}
