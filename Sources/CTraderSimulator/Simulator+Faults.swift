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
            $0.refusalRetryAfter = retryAfter
        }
    }

    /// How many requests of `payloadType` the simulator received from all connections (refused
    /// ones included, those refused by its own rate limit excepted).
    public func receivedRequestCount(of payloadType: PayloadType) async -> Int {
        await core.receivedRequestCount(of: payloadType)
    }
}
