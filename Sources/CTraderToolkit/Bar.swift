// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging
public import Foundation

/// One OHLC bar of a period: bid prices as the protocol's relative integers (1/100000 of a price
/// unit), volume in ticks.
///
/// A bar is identified by its period and ``start``; a newer value of the same bar (more ticks,
/// a close, a confirmation from history) has the same start and replaces it.
public struct Bar: Hashable, Sendable, CustomStringConvertible {
    /// Where a bar stands.
    public enum State: String, Hashable, Sendable {
        /// Still open: later ticks of its period change it.
        case forming
        /// Closed by a tick of a later period: the live data saw the period to its end.
        case closed
        /// Closed by the timer (``BarBuilder/advance(to:)``) once its end plus the grace period
        /// passed without a tick of a later period: its last ticks may not have arrived, so it
        /// stands until history confirms it.
        case provisional
        /// From history (`ProtoOAGetTrendbarsRes`), the server's own bar.
        case confirmed
    }

    /// The bar's period.
    public var period: ProtoOATrendbarPeriod
    /// The start, Unix milliseconds (a period boundary, see ``BarCalendar``).
    public var start: Int64
    /// The first bid, relative.
    public var open: Int64
    /// The highest bid, relative.
    public var high: Int64
    /// The lowest bid, relative.
    public var low: Int64
    /// The last bid, relative.
    public var close: Int64
    /// The number of ticks.
    public var volume: Int64
    /// Where the bar stands.
    public var state: State
    /// Whether the bar came with `high` below `max(open, close)` or `low` above `min(open, close)`
    /// (historical trendbars sometimes carry `deltaHigh` 0, openapi-proto-messages#39) and was
    /// widened to hold its open and close.
    public var repaired: Bool

    /// Makes a bar.
    public init(
        period: ProtoOATrendbarPeriod, start: Int64, open: Int64, high: Int64, low: Int64, close: Int64,
        volume: Int64, state: State, repaired: Bool = false
    ) {
        self.period = period
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.state = state
        self.repaired = repaired
    }

    /// A bar from a `ProtoOATrendbar` (historical, or live in `ProtoOASpotEvent.trendbar`): `low`
    /// plus the deltas, starting at `utcTimestampInMinutes`, with the `deltaHigh` quirk repaired:
    /// `high` is raised to `max(open, close)` and `low` lowered to `min(open, close)` when they do
    /// not hold them, and the bar is then flagged ``repaired``. `nil` when a delta overflows.
    public init?(_ trendbar: ProtoOATrendbar, period: ProtoOATrendbarPeriod? = nil, state: State) {
        guard let prices = trendbar.prices else { return nil }
        let open = prices.open
        let close = prices.close
        let high = max(prices.high, open, close)
        let low = min(prices.low, open, close)
        self.init(
            period: period ?? trendbar.period, start: Int64(trendbar.utcTimestampInMinutes) * 60_000, open: open,
            high: high, low: low, close: close, volume: trendbar.volume, state: state,
            repaired: high != prices.high || low != prices.low)
    }

    /// A bar of one tick.
    init(period: ProtoOATrendbarPeriod, start: Int64, price: Int64) {
        self.init(
            period: period, start: start, open: price, high: price, low: price, close: price, volume: 1, state: .forming
        )
    }

    /// Adds a tick at `price`.
    mutating func add(_ price: Int64) {
        high = max(high, price)
        low = min(low, price)
        close = price
        volume += 1
    }

    /// Whether the bar is closed (any state but ``State/forming``).
    public var isClosed: Bool { state != .forming }

    /// The open as a price, exactly.
    public var openPrice: Decimal { CTraderUnits.price(relative: open) }
    /// The high as a price, exactly.
    public var highPrice: Decimal { CTraderUnits.price(relative: high) }
    /// The low as a price, exactly.
    public var lowPrice: Decimal { CTraderUnits.price(relative: low) }
    /// The close as a price, exactly.
    public var closePrice: Decimal { CTraderUnits.price(relative: close) }

    /// `M1 @1700000000000 O 112000 H 112010 L 111990 C 112005 V 12 closed`.
    public var description: String {
        "\(period) @\(start) O \(open) H \(high) L \(low) C \(close) V \(volume) \(state.rawValue)"
            + (repaired ? " repaired" : "")
    }
}
