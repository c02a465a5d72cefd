// swift-ctrader: session tapes, a recording of every message of a session as JSON Lines.

public import CTraderMessaging
import Foundation
import Logging

/// Plays a recorded client session back to a client, deterministically: a connector whose
/// channels stand in for the server of the tape. How a user regression-tests a bot.
///
/// Each channel opened plays the next connection of the tape. The client's requests are matched,
/// in order, against the requests of the tape: same payloadType and same payload, ignoring
/// `clientMsgId`, heartbeats and redacted fields (``CTraderTapeRedaction/marker``). Each taped
/// answer or event is handed to the client once every request taped before it was matched,
/// with the `clientMsgId` of the client's own request: so the order is the tape's, whatever the
/// timing. There is no waiting: time is virtual (give the client a manual `CTraderClock` to
/// control its own timers).
///
/// A request that differs is refused with ``CTraderReplayMismatch``, which names the first
/// difference; ``firstMismatch`` keeps it. At the end of its connection's entries a channel says
/// nothing more (as the taped server did) until the client closes it.
///
/// ```swift
/// let replay = CTraderReplay(tape: try CTraderTape(contentsOf: tapeURL))
/// let client = CTraderClient(configuration: .init(endpoint: .custom(replay.connector), credentials: …))
/// // … run the bot …
/// #expect(replay.firstMismatch == nil)
/// ```
public final class CTraderReplay: @unchecked Sendable {
    // @unchecked Sendable: `opened` and `mismatch` are guarded by `lock`; the rest is immutable.

    /// The tape's connections, in the order they opened; each one's entries in order.
    let connections: [[CTraderTapeEntry]]
    private let codec: JSONEnvelopeCodec
    private let lock = NSLock()
    private var opened = 0
    private var mismatch: CTraderReplayMismatch?

    /// A replay of `tape`; `codec` decodes the taped envelopes.
    public init(tape: CTraderTape, codec: JSONEnvelopeCodec = JSONEnvelopeCodec()) {
        var order: [Int] = []
        var byConnection: [Int: [CTraderTapeEntry]] = [:]
        for entry in tape.entries {
            if byConnection[entry.connection] == nil { order.append(entry.connection) }
            byConnection[entry.connection, default: []].append(entry)
        }
        self.connections = order.map { byConnection[$0] ?? [] }
        self.codec = codec
    }

    /// The connector: each ``CTraderConnector/open(logger:)`` plays the tape's next connection,
    /// and fails once every connection was played.
    public var connector: CTraderConnector {
        CTraderConnector(description: "replay") { [self] logger in
            let index: Int = lock.withLock {
                defer { opened += 1 }
                return opened
            }
            guard index < connections.count else {
                throw CTraderReplayMismatch(
                    connection: index + 1, request: 0,
                    reason: "the tape has \(connections.count) connection(s); the client opened one more")
            }
            return ReplayChannel(
                entries: connections[index], connection: index + 1, codec: codec, logger: logger,
                report: { [self] mismatch in lock.withLock { if self.mismatch == nil { self.mismatch = mismatch } } })
        }
    }

    /// The first request that differed from the tape, if one did.
    public var firstMismatch: CTraderReplayMismatch? {
        lock.withLock { mismatch }
    }

    /// How many connections the client opened so far.
    public var openedConnections: Int {
        lock.withLock { opened }
    }
}

extension CTraderConnector {
    /// A connector that plays `tape` back to the client; see ``CTraderReplay``.
    public static func replay(_ tape: CTraderTape) -> CTraderConnector {
        CTraderReplay(tape: tape).connector
    }
}

/// A client's request that differs from the tape.
public struct CTraderReplayMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tape's connection (1-based, in the order they opened).
    public var connection: Int
    /// The request's position among the connection's requests (1-based); 0 when none.
    public var request: Int
    /// Where the request differs, e.g. `payload.symbolId[0]: the tape has 1, the client sent 2`.
    public var reason: String

    /// Makes a mismatch.
    public init(connection: Int, request: Int, reason: String) {
        self.connection = connection
        self.request = request
        self.reason = reason
    }

    /// `replay: request 3 of connection 1 differs from the tape: payload.symbolId[0]: …`.
    public var description: String {
        request > 0
            ? "replay: request \(request) of connection \(connection) differs from the tape: \(reason)"
            : "replay: connection \(connection): \(reason)"
    }
}

/// Finds the first difference between a taped JSON value and a sent one.
enum ReplayComparison {
    /// `nil` when equal, else `path: the tape has X, the client sent Y`. A taped value equal to
    /// the redaction marker matches anything.
    static func firstDifference(tape: Any?, sent: Any?, path: String) -> String? {
        if let text = tape as? String, text == CTraderTapeRedaction.marker { return nil }
        switch (tape, sent) {
        case (nil, nil):
            return nil
        case (let tape as [String: Any], let sent as [String: Any]):
            for key in Set(tape.keys).union(sent.keys).sorted() {
                if let difference = firstDifference(tape: tape[key], sent: sent[key], path: "\(path).\(key)") {
                    return difference
                }
            }
            return nil
        case (let tape as [Any], let sent as [Any]):
            for index in 0..<max(tape.count, sent.count) {
                if let difference = firstDifference(
                    tape: index < tape.count ? tape[index] : nil, sent: index < sent.count ? sent[index] : nil,
                    path: "\(path)[\(index)]")
                {
                    return difference
                }
            }
            return nil
        case (let tape?, let sent?) where (tape as? NSObject)?.isEqual(sent) == true:
            return nil
        default:
            return "\(path): the tape has \(render(tape)), the client sent \(render(sent))"
        }
    }

    static func render(_ value: Any?) -> String {
        guard let value else { return "nothing" }
        if JSONSerialization.isValidJSONObject([value]),
            let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]),
            let text = String(data: data, encoding: .utf8)
        {
            return String(text.dropFirst().dropLast())
        }
        return "\(value)"
    }
}
