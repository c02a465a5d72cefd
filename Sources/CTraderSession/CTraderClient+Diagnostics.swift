// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging
import Logging
import _CTraderLocking

/// A message from the server that the session could not decode and skipped; the connection went
/// on. See ``CTraderClient/diagnostics(bufferSize:)``.
///
/// - Note: ``bytes`` are the message as received: a token-carrying answer
///   (`ProtoOARefreshTokenRes`) that did not decode carries its tokens here. The session's log
///   shows the error, the payloadType, the `clientMsgId` and the size, never the bytes.
public struct CTraderDiagnostic: Sendable, CustomStringConvertible {
    /// When the message arrived, on the client's clock (``CTraderClientConfiguration/clock``).
    public var time: Duration
    /// Why it did not decode: `MessagingError.Code.malformedJSON`,
    /// `MessagingError.Code.invalidEnvelope`, `MessagingError.Code.invalidPayload`,
    /// `MessagingError.Code.missingRequiredField`, or `MessagingError.Code.unknownPayloadType`
    /// for a payloadType the catalogue does not know (that envelope is delivered too, as a raw
    /// envelope).
    public var error: MessagingError
    /// The message as received.
    public var bytes: [UInt8]
    /// The message's payloadType, when the envelope was readable.
    public var payloadType: PayloadType?
    /// The message's `clientMsgId`, when the envelope was readable and carried one.
    public var clientMsgId: String?

    /// Makes a diagnostic.
    public init(
        time: Duration,
        error: MessagingError,
        bytes: [UInt8],
        payloadType: PayloadType? = nil,
        clientMsgId: String? = nil
    ) {
        self.time = time
        self.error = error
        self.bytes = bytes
        self.payloadType = payloadType ?? error.payloadType
        self.clientMsgId = clientMsgId ?? error.clientMsgId
    }

    /// The error, the payloadType and the size; never the bytes.
    public var description: String {
        var text = "\(error)"
        if let payloadType { text += " (payloadType \(payloadType.rawValue))" }
        return text + " [\(bytes.count) bytes]"
    }
}

/// The undecodable messages' subscribers and count; shared by the client actor and its
/// nonisolated accessors.
final class DiagnosticsHub: Sendable {
    private struct State {
        var count = 0
        var nextID = 0
        var subscribers: [Int: AsyncStream<CTraderDiagnostic>.Continuation] = [:]
        var finished = false
    }
    private let state = Locked(State())

    var count: Int { state.withLock { $0.count } }

    func record(_ diagnostic: CTraderDiagnostic) {
        let subscribers = state.withLock { state in
            state.count += 1
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(diagnostic) }
    }

    func stream(bufferSize: Int) -> AsyncStream<CTraderDiagnostic> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: CTraderDiagnostic.self,
            bufferingPolicy: .bufferingNewest(max(1, bufferSize))
        )
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}

extension CTraderClient {
    /// The messages from the server that the session could not decode and skipped, as they
    /// arrive from now on: malformed JSON, an unknown payloadType, a payload that does not fit its
    /// type. Such a message never ends the connection; it is logged at warning level and counted
    /// (``undecodableCount``). An undecodable answer whose `clientMsgId` is readable fails its
    /// request at once (see ``send(_:timeout:)``). Keeps the newest `bufferSize` (default 100)
    /// when not consumed; finishes at ``shutdown()``.
    public nonisolated func diagnostics(bufferSize: Int = 100) -> AsyncStream<CTraderDiagnostic> {
        diagnosticsHub.stream(bufferSize: bufferSize)
    }

    /// How many messages from the server the session could not decode since it was made (each
    /// one is on ``diagnostics(bufferSize:)``).
    public nonisolated var undecodableCount: Int {
        diagnosticsHub.count
    }

    /// Logs and counts a message that did not decode; reports it on the diagnostics and the
    /// session events.
    func report(_ diagnostic: CTraderDiagnostic) {
        logger.warning(
            "skipped a message that does not decode",
            metadata: [
                "error": "\(diagnostic.error)",
                "payloadType": "\(diagnostic.payloadType.map { String($0.rawValue) } ?? "-")",
                "clientMsgId": "\(diagnostic.clientMsgId ?? "-")",
                // The size only: the bytes may carry a token (see `CTraderDiagnostic`).
                "bytes": "\(diagnostic.bytes.count)",
            ]
        )
        diagnosticsHub.record(diagnostic)
        sessionEventHub.emit(.messageUndecodable(diagnostic.error))
    }
}
