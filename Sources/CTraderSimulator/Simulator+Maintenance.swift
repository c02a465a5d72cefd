// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging

extension SimulatorEngine {
    /// An error the engine answers the next requests with, in place of their answer: a transient
    /// server error (`CANT_ROUTE_REQUEST`, `TIMEOUT_ERROR`, `CH_SERVER_NOT_REACHABLE`), a
    /// maintenance window (`SERVER_IS_UNDER_MAINTENANCE` with its `maintenanceEndTimestamp`) or
    /// any other code, for testing how a client retries or gives up.
    ///
    /// The answer is a `ProtoOAErrorRes` (2142) echoing the request's `clientMsgId` and account.
    /// Heartbeats are never answered; requests over the engine's own rate limit get the rate
    /// limit's error instead. A refused request still counts in
    /// ``SimulatorEngine/receivedRequestCounts``.
    public struct ScriptedError: Sendable, Hashable {
        /// The error code, e.g. `ErrorCode.serverIsUnderMaintenance`.
        public var errorCode: ErrorCode
        /// The requests it answers: of this payload type only, or (`nil`) of any type.
        public var payloadType: PayloadType?
        /// How many more requests it answers; at zero it is forgotten.
        public var remaining: Int
        /// The error's `description`.
        public var description: String
        /// The end of the maintenance window, Unix time in milliseconds; `nil` leaves it out.
        public var maintenanceEndTimestamp: Int64?
        /// The error's `retryAfter`, in seconds; `nil` leaves it out.
        public var retryAfter: UInt64?

        /// Answers the next `count` requests (of `payloadType`, or of any type) with `errorCode`.
        public init(
            _ errorCode: ErrorCode,
            count: Int,
            of payloadType: PayloadType? = nil,
            description: String? = nil,
            maintenanceEndTimestamp: Int64? = nil,
            retryAfter: UInt64? = nil
        ) {
            self.errorCode = errorCode
            self.payloadType = payloadType
            self.remaining = max(0, count)
            self.description = description ?? "\(errorCode.rawValue) (a simulator fault)"
            self.maintenanceEndTimestamp = maintenanceEndTimestamp
            self.retryAfter = retryAfter
        }
    }

    /// Answers a request with the first scripted error that matches it (counting it down);
    /// `false` when none does.
    mutating func answerScriptedError(
        to type: PayloadType, message: any CTraderMessage, msgId: String?, from connection: SimulatorConnectionID,
        out: inout Outbox
    ) -> Bool {
        guard
            let index = faults.scriptedErrors.firstIndex(where: {
                $0.remaining > 0 && ($0.payloadType == nil || $0.payloadType == type)
            })
        else { return false }
        let scripted = faults.scriptedErrors[index]
        faults.scriptedErrors[index].remaining -= 1
        if faults.scriptedErrors[index].remaining == 0 { faults.scriptedErrors.remove(at: index) }
        var error = ProtoOAErrorRes()
        error.errorCode = scripted.errorCode.rawValue
        error.description_p = scripted.description
        if let end = scripted.maintenanceEndTimestamp { error.maintenanceEndTimestamp = end }
        if let retryAfter = scripted.retryAfter { error.retryAfter = retryAfter }
        if let account = Self.accountId(of: message) { error.ctidTraderAccountID = account }
        out.send(connection, Envelope(error, clientMsgId: msgId))
        return true
    }
}

extension SimulatorFaults {
    /// Answers the next `count` requests (of `payloadType`, or of any type when `nil`) with a
    /// `ProtoOAErrorRes` carrying `errorCode`, instead of their answers; see
    /// ``SimulatorEngine/ScriptedError``. Scripted errors queue up: the first that matches a
    /// request answers it.
    public func answerNextRequests(
        _ count: Int,
        of payloadType: PayloadType? = nil,
        withError errorCode: ErrorCode,
        description: String? = nil,
        retryAfter: UInt64? = nil
    ) async {
        let scripted = SimulatorEngine.ScriptedError(
            errorCode, count: count, of: payloadType, description: description, retryAfter: retryAfter
        )
        await core.updateFaults { $0.scriptedErrors.append(scripted) }
    }

    /// Starts a maintenance window: the next `count` requests (of `payloadType`, or of any type
    /// when `nil`) are answered with `SERVER_IS_UNDER_MAINTENANCE`, carrying `endTimestamp` (Unix
    /// time in milliseconds; `nil` leaves it out) as their `maintenanceEndTimestamp`.
    public func startMaintenance(
        answering count: Int,
        of payloadType: PayloadType? = nil,
        endingAt endTimestamp: Int64?
    ) async {
        let scripted = SimulatorEngine.ScriptedError(
            .serverIsUnderMaintenance, count: count, of: payloadType, description: "Server is under maintenance",
            maintenanceEndTimestamp: endTimestamp
        )
        await core.updateFaults { $0.scriptedErrors.append(scripted) }
    }
}
