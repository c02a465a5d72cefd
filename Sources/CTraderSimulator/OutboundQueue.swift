// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging
import Synchronization

/// The messages waiting to be written to one connection, bounded by
/// ``Simulator/Configuration/maximumQueuedMessages`` so that a client that stops reading cannot
/// make the simulator's memory grow.
///
/// When a push finds the queue over its limit, the spot events in it are coalesced: only the
/// latest per account and symbol is kept (with the bid or ask of the older ones it replaced, since
/// a spot event carries only the side that changed). If the queue is still over the limit
/// (answers, execution events), ``push(_:)`` reports ``Push/overflow`` and the owner drops the
/// connection. Control items (close, drop) are never refused.
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

    private struct State: ~Copyable {
        var items: [Outbound] = []
        var head = 0
        var waiter: CheckedContinuation<Outbound?, Never>?
        var finished = false

        var count: Int { items.count - head }
    }

    /// The most envelopes held.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The number of items waiting.
    var count: Int { state.withLock { $0.count } }

    /// Queues one item for the writer.
    func push(_ item: Outbound) -> Push {
        let (waiter, result): (CheckedContinuation<Outbound?, Never>?, Push) = state.withLock { state in
            if state.finished { return (nil, .queued) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, .queued)
            }
            state.items.append(item)
            guard case .envelope = item, state.count > limit else { return (nil, .queued) }
            Self.coalesce(&state)
            return (nil, state.count > limit ? .overflow : .coalesced)
        }
        waiter?.resume(returning: item)
        return result
    }

    /// The next item; `nil` once finished and drained.
    func next() async -> Outbound? {
        await withCheckedContinuation { continuation in
            let item: Outbound?? = state.withLock { state in
                if state.count > 0 {
                    let item = state.items[state.head]
                    state.head += 1
                    if state.head > 64 && state.head * 2 > state.items.count {
                        state.items.removeFirst(state.head)
                        state.head = 0
                    }
                    return .some(item)
                }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let item { continuation.resume(returning: item) }
        }
    }

    /// No more items: the writer drains what is queued, then gets `nil`.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Discards everything queued and ends the queue at once.
    func discardAndFinish() {
        state.withLock { state in
            state.items = []
            state.head = 0
        }
        finish()
    }

    /// Keeps only the newest spot event per account and symbol, merging in the older ones' sides.
    private static func coalesce(_ state: inout State) {
        struct Key: Hashable {
            var account: Int64
            var symbol: Int64
        }
        var newest: [Key: Int] = [:]
        var removed = Set<Int>()
        var merged: [Int: ProtoOASpotEvent] = [:]
        var index = state.items.count - 1
        while index >= state.head {
            defer { index -= 1 }
            guard case .envelope(let envelope) = state.items[index], envelope.payloadType == .protoOaSpotEvent,
                let spot = envelope.message(as: ProtoOASpotEvent.self)
            else { continue }
            let key = Key(account: spot.ctidTraderAccountID, symbol: spot.symbolID)
            guard let keeper = newest[key] else {
                newest[key] = index
                continue
            }
            // An older event of the same symbol: fold what the newer one lacks into it.
            var kept = merged[keeper] ?? state.items[keeper].spot!
            if !kept.hasBid && spot.hasBid { kept.bid = spot.bid }
            if !kept.hasAsk && spot.hasAsk { kept.ask = spot.ask }
            if kept.trendbar.isEmpty && !spot.trendbar.isEmpty { kept.trendbar = spot.trendbar }
            merged[keeper] = kept
            removed.insert(index)
        }
        guard !removed.isEmpty else { return }
        var items: [Outbound] = []
        items.reserveCapacity(state.count - removed.count)
        for index in state.head..<state.items.count where !removed.contains(index) {
            if let spot = merged[index] {
                items.append(.envelope(Envelope(spot)))
            } else {
                items.append(state.items[index])
            }
        }
        state.items = items
        state.head = 0
    }
}

extension Outbound {
    /// The spot event this item carries, if it is one.
    fileprivate var spot: ProtoOASpotEvent? {
        guard case .envelope(let envelope) = self else { return nil }
        return envelope.message(as: ProtoOASpotEvent.self)
    }
}
