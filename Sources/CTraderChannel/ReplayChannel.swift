// swift-ctrader: session tapes, a recording of every message of a session as JSON Lines.

import CTraderMessaging
import Foundation
import Logging

/// One connection of a ``CTraderReplay``: hands the client the taped answers and events as its
/// requests match the taped ones.
final class ReplayChannel: CTraderChannel, @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `lock`.

    private let entries: [CTraderTapeEntry]
    private let connection: Int
    private let codec: JSONEnvelopeCodec
    private let logger: Logger
    private let report: @Sendable (CTraderReplayMismatch) -> Void
    private let lock = NSLock()
    /// The next entry to consider handing to the client.
    private var readIndex = 0
    /// The next taped request to match (entries.count when none is left).
    private var requestIndex = 0
    /// How many requests matched so far.
    private var matched = 0
    /// The taped clientMsgIds, by what the client used instead.
    private var clientMsgIds: [String: String] = [:]
    private var mismatch: CTraderReplayMismatch?
    private var closed = false
    private var waiter: CheckedContinuation<Void, any Error>?

    init(
        entries: [CTraderTapeEntry], connection: Int, codec: JSONEnvelopeCodec, logger: Logger,
        report: @escaping @Sendable (CTraderReplayMismatch) -> Void
    ) {
        // Heartbeats the client sent depend on its timers, not on the session: not matched.
        self.entries = entries.filter { !($0.direction == .sent && $0.payloadType == .heartbeatEvent) }
        self.connection = connection
        self.codec = codec
        self.logger = logger
        self.report = report
        self.requestIndex = Self.nextRequest(in: self.entries, from: 0)
    }

    private static func nextRequest(in entries: [CTraderTapeEntry], from index: Int) -> Int {
        var index = index
        while index < entries.count && entries[index].direction != .sent { index += 1 }
        return index
    }

    func send(_ envelope: Envelope) async throws {
        if envelope.payloadType == .heartbeatEvent { return }
        let outcome: Result<Void, CTraderReplayMismatch> = lock.withLock {
            if let mismatch { return .failure(mismatch) }
            if closed {
                return .failure(.init(connection: connection, request: matched + 1, reason: "the channel is closed"))
            }
            let number = matched + 1
            guard requestIndex < entries.count else {
                return .failure(
                    fail(number, "the tape has no more requests; the client sent \(Self.name(envelope.payloadType))"))
            }
            if let difference = difference(entries[requestIndex], envelope) {
                return .failure(fail(number, difference))
            }
            if let sent = envelope.clientMsgId,
                let taped = (try? entries[requestIndex].envelope(codec: codec))?.clientMsgId
            {
                clientMsgIds[taped] = sent
            }
            matched += 1
            requestIndex = Self.nextRequest(in: entries, from: requestIndex + 1)
            return .success(())
        }
        wake()
        if case .failure(let mismatch) = outcome {
            logger.error("\(mismatch)")
            throw mismatch
        }
    }

    /// Records a mismatch (called with the lock held).
    private func fail(_ request: Int, _ reason: String) -> CTraderReplayMismatch {
        let mismatch = CTraderReplayMismatch(connection: connection, request: request, reason: reason)
        self.mismatch = mismatch
        report(mismatch)
        return mismatch
    }

    /// How a sent envelope differs from a taped request; `nil` when it matches.
    private func difference(_ entry: CTraderTapeEntry, _ envelope: Envelope) -> String? {
        guard case .envelope(let json) = entry.content,
            let taped = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
        else { return "the tape's request is not an envelope" }
        let tapedType = (taped["payloadType"] as? Int).map(PayloadType.init(rawValue:))
        guard tapedType == envelope.payloadType else {
            return
                "payloadType: the tape has \(tapedType.map(Self.name) ?? "none"), the client sent \(Self.name(envelope.payloadType))"
        }
        guard let bytes = try? codec.encode(envelope),
            let sent = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        else { return "the client's \(Self.name(envelope.payloadType)) does not encode" }
        let empty: [String: Any] = [:]
        return ReplayComparison.firstDifference(
            tape: taped["payload"] ?? empty, sent: sent["payload"] ?? empty, path: "payload")
    }

    private static func name(_ type: PayloadType) -> String {
        "\(type.name ?? "payloadType") (\(type.rawValue))"
    }

    func next() async throws -> CTraderChannelElement? {
        while true {
            let step: Step = lock.withLock { nextStep() }
            switch step {
            case .deliver(let envelope): return .envelope(envelope)
            case .end: return nil
            case .wait:
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        let ready: Bool = lock.withLock {
                            if closed || Task.isCancelled || nextStepIsReady() { return true }
                            waiter = continuation
                            return false
                        }
                        if ready { continuation.resume() }
                    }
                } onCancel: {
                    wake()
                }
                try Task.checkCancellation()
            }
        }
    }

    private enum Step {
        case deliver(Envelope)
        case wait
        case end
    }

    /// What `next()` does now (called with the lock held).
    private func nextStep() -> Step {
        if closed { return .end }
        while readIndex < entries.count {
            let entry = entries[readIndex]
            if entry.direction == .sent {
                // A taped request: passed once matched, else its answers wait for it.
                guard readIndex < requestIndex else { return .wait }
                readIndex += 1
                continue
            }
            readIndex += 1
            guard var envelope = try? entry.envelope(codec: codec) else { continue }
            if let taped = envelope.clientMsgId, let sent = clientMsgIds[taped] { envelope.clientMsgId = sent }
            return .deliver(envelope)
        }
        // The tape ends here; the taped server did not close: wait for the client to.
        return .wait
    }

    /// Whether `next()` would not wait (called with the lock held).
    private func nextStepIsReady() -> Bool {
        var index = readIndex
        while index < entries.count {
            if entries[index].direction == .received { return true }
            if index >= requestIndex { return false }
            index += 1
        }
        return false
    }

    private func wake() {
        let continuation: CheckedContinuation<Void, any Error>? = lock.withLock {
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    func close() async {
        lock.withLock { closed = true }
        wake()
    }

    func abort() async {
        await close()
    }
}
