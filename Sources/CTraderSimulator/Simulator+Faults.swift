// swift-ctrader: the local cTrader-compatible simulator.

public import CTraderMessaging
import _CTraderLocking

extension SimulatorFaults {
    /// Sends `bytes` to every open connection as one message, exactly as they are: not an
    /// envelope, not checked (for JSON over WebSocket: a text message, even of invalid UTF-8).
    /// For testing how a client copes with malformed JSON, an unknown payloadType, an unknown
    /// enum value or a wrong JSON type. A protobuf connection sends nothing.
    public func sendRaw(_ bytes: [UInt8]) async {
        await core.sendRawToAll(bytes)
    }

    /// Sends `text` to every open connection as one message; see ``sendRaw(_:)``.
    public func sendRaw(text: String) async {
        await sendRaw(Array(text.utf8))
    }

    /// Sends `bytes` to the next connection that opens, as its first message; see
    /// ``sendRaw(_:)``.
    public func sendRawToNextConnection(_ bytes: [UInt8]) {
        core.wireFaults.rawForNextConnection.withLock { $0.append(bytes) }
    }

    /// Refuses the next `count` requests of `payloadType` with an `ProtoOAErrorRes`
    /// `REQUEST_FREQUENCY_EXCEEDED` carrying `retryAfter` seconds (`nil`: no `retryAfter`), as if
    /// they were over the rate limit. Requests of other types are answered as usual.
    public func refuseNextRequests(_ count: Int, of payloadType: PayloadType, retryAfter: UInt64? = 1) async {
        await core.updateFaults {
            $0.refusedRequests[payloadType] = max(0, count)
            $0.refusalErrorCodes[payloadType] = nil
            $0.refusalRetryAfter = retryAfter
        }
    }

    /// Refuses the next `count` requests of `payloadType` with a `ProtoOAErrorRes` carrying
    /// `errorCode` (for example `.chServerNotReachable`, `.serverIsUnderMaintenance`, or a code
    /// the catalogue lacks) and `retryAfter` seconds (`nil`, the default: no `retryAfter`).
    /// Requests of other types are answered as usual.
    public func refuseNextRequests(
        _ count: Int, of payloadType: PayloadType, errorCode: ErrorCode, retryAfter: UInt64? = nil
    ) async {
        await core.updateFaults {
            $0.refusedRequests[payloadType] = max(0, count)
            $0.refusalErrorCodes[payloadType] = errorCode
            $0.refusalRetryAfter = retryAfter
        }
    }

    /// Leaves the next `count` requests of `payloadType` (default 1) without an answer; later
    /// ones are answered as usual. (``withholdResponses(to:)`` withholds every answer.)
    public func withholdNextResponse(to payloadType: PayloadType, count: Int = 1) async {
        await core.updateFaults { $0.withheldNextRequests[payloadType] = max(0, count) }
    }

    /// Invalidates the access tokens of `accounts` and sends `ProtoOAAccountsTokenInvalidatedEvent`
    /// (2147) with `reason` to every connection that authorized one of them (which loses them):
    /// see ``SimulatorEngine/invalidateTokens(of:reason:)``. The refresh tokens still work.
    public func invalidateTokens(of accounts: [Int64], reason: String = "Access token was revoked") async {
        await core.perform { $0.invalidateTokens(of: accounts, reason: reason) }
    }

    /// How many requests carried an access token after ``invalidateTokens(of:reason:)`` had
    /// invalidated it: a client that never sends an invalidated token again keeps it at 0.
    public var invalidatedTokenUses: Int {
        get async { await core.read { $0.revokedTokenUses } }
    }

    /// Logs `account` out on every connection that authorized it and sends
    /// `ProtoOAAccountDisconnectEvent` (2164); the connections stay open. See
    /// ``SimulatorEngine/disconnectAccount(_:)``.
    public func disconnectAccount(_ account: Int64) async {
        await core.perform { $0.disconnectAccount(account) }
    }

    /// Sends every connection `ProtoOAClientDisconnectEvent` (2148) with `reason`, then closes it.
    public func disconnectClients(reason: String) async {
        await core.perform { $0.disconnectClients(reason: reason) }
    }

    /// How many requests of `payloadType` the simulator received from all connections (refused
    /// ones included, those refused by its own rate limit excepted).
    public func receivedRequestCount(of payloadType: PayloadType) async -> Int {
        await core.receivedRequestCount(of: payloadType)
    }
}
