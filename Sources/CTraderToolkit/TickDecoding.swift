// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging
public import Foundation

/// One historical tick: a bid or an ask at an instant.
public struct Tick: Hashable, Sendable {
    /// Unix time in milliseconds.
    public var timestamp: Int64
    /// The relative price (1/100000 of a price unit).
    public var relativePrice: Int64

    /// Makes a tick.
    public init(timestamp: Int64, relativePrice: Int64) {
        self.timestamp = timestamp
        self.relativePrice = relativePrice
    }

    /// The price: `relativePrice` / 100000, exactly.
    public var price: Decimal { CTraderUnits.price(relative: relativePrice) }
}

/// Why a page of tick data cannot be decoded; each case names the rule it breaks.
public enum TickDecodingError: Error, Hashable, Sendable {
    /// The entry at `index` (in the server's order, newest first) lacks its `timestamp` or `tick`.
    case missingField(index: Int)
    /// Adding the entry's deltas to the previous tick overflows `Int64`.
    case overflow(index: Int)
    /// The entry is later than the one before it: the page is not newest first.
    case notNewestFirst(index: Int)
    /// The decoded price is not positive.
    case nonPositivePrice(index: Int)
}

/// Decodes `ProtoOAGetTickDataRes.tickData`.
///
/// The server sends ticks newest first; the first entry is absolute (a Unix timestamp in ms and
/// a relative price), and each later entry holds the differences from the entry before it:
/// `timestamp[i] = timestamp[i-1] + entry[i].timestamp` (zero or negative, going back in time)
/// and `price[i] = price[i-1] + entry[i].tick`. `decode` returns absolute ticks, oldest first.
///
/// ```swift
/// // entries (newest first): (1000, 112000), (-300, +5), (-200, -10)
/// // ticks (oldest first):   (500, 111995), (700, 112005), (1000, 112000)
/// ```
public enum TickDecoder {
    /// The absolute ticks of a page, oldest first.
    public static func decode(_ entries: [ProtoOATickData]) throws(TickDecodingError) -> [Tick] {
        var ticks: [Tick] = []
        ticks.reserveCapacity(entries.count)
        var previous: Tick?
        for (index, entry) in entries.enumerated() {
            guard entry.hasTimestamp, entry.hasTick else { throw .missingField(index: index) }
            var tick = Tick(timestamp: entry.timestamp, relativePrice: entry.tick)
            if let previous {
                let (time, timeOverflow) = previous.timestamp.addingReportingOverflow(entry.timestamp)
                let (price, priceOverflow) = previous.relativePrice.addingReportingOverflow(entry.tick)
                guard !timeOverflow, !priceOverflow else { throw .overflow(index: index) }
                guard entry.timestamp <= 0 else { throw .notNewestFirst(index: index) }
                tick = Tick(timestamp: time, relativePrice: price)
            }
            guard tick.relativePrice > 0 else { throw .nonPositivePrice(index: index) }
            ticks.append(tick)
            previous = tick
        }
        return ticks.reversed()
    }

    /// The absolute ticks of a response, oldest first.
    public static func decode(_ response: ProtoOAGetTickDataRes) throws(TickDecodingError) -> [Tick] {
        try decode(response.tickData)
    }
}
