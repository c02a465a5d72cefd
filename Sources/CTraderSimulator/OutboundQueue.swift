// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging
import _CTraderLocking

/// The messages waiting to be written to one connection, bounded by
/// ``Simulator/Configuration/maximumQueuedMessages`` so that a client that stops reading cannot
/// make the simulator's memory grow.
///
/// When a push finds the queue full, spot events are coalesced: a spot event merges into the
/// buffered one of the same account and symbol (keeping the older bid or ask that the newer one
/// lacks, since a spot event carries only the side that changed), and buffered spot events of the
/// same symbol are merged to make room for other messages. If the queue is still full (answers,
/// execution events), ``push(_:)`` reports ``Push/overflow`` and the owner drops the connection.
/// Control items (close, drop) are never refused.
final class OutboundQueue: Sendable {
    /// What a push did.
    enum Push: Equatable {
        /// Queued (or handed straight to the waiting writer).
        case queued
        /// Queued after spot events were coalesced to make room.
        case coalesced
        /// Over the limit even after coalescing: the connection must be dropped.
        case overflow
    }

    /// The most envelopes held.
    let limit: Int
    private let buffer: AsyncSingleConsumerBuffer<Outbound>

    init(limit: Int) {
        self.limit = max(1, limit)
        buffer = AsyncSingleConsumerBuffer(limit: self.limit, policy: Self.policy)
    }

    /// Coalesce spot events per account and symbol; fail when nothing coalesces.
    static let policy = OverflowPolicy<Outbound>.coalesce(
        key: { $0.spotKey },
        merge: { buffered, newer in buffered = Outbound.merged(older: buffered, newer: newer) },
        compact: true,
        otherwise: .fail
    )

    /// The number of items waiting.
    var count: Int { buffer.count }

    /// Queues one item for the writer.
    func push(_ item: Outbound) -> Push {
        guard case .envelope = item else {
            buffer.pushIgnoringLimit(item)
            return .queued
        }
        switch buffer.push(item) {
        case nil, .appended, .droppedOldest, .dropped, .full: return .queued
        case .coalesced: return .coalesced
        case .failed: return .overflow
        }
    }

    /// The next item; `nil` once finished and drained.
    func next() async -> Outbound? {
        (try? await buffer.next()) ?? nil
    }

    /// No more items: the writer drains what is queued, then gets `nil`.
    func finish() {
        buffer.finish()
    }

    /// Discards everything queued and ends the queue at once.
    func discardAndFinish() {
        buffer.finish(discarding: true)
    }
}

extension Outbound {
    /// The account and symbol of a spot event, the key it coalesces by.
    private struct SpotKey: Hashable {
        var account: Int64
        var symbol: Int64
    }

    /// The spot event this item carries, if it is one.
    fileprivate var spot: ProtoOASpotEvent? {
        guard case .envelope(let envelope) = self, envelope.payloadType == .protoOaSpotEvent else { return nil }
        return envelope.message(as: ProtoOASpotEvent.self)
    }

    fileprivate var spotKey: AnyHashable? {
        guard let spot else { return nil }
        return SpotKey(account: spot.ctidTraderAccountID, symbol: spot.symbolID)
    }

    /// The newer spot event, with what it lacks (bid, ask, session close, trend bars) taken from
    /// the older one: ``ProtoOASpotEvent/merging(newer:)``, the merge the client's quote streams
    /// use too.
    fileprivate static func merged(older: Outbound, newer: Outbound) -> Outbound {
        guard let old = older.spot, let new = newer.spot else { return newer }
        return .envelope(Envelope(old.merging(newer: new)))
    }
}
