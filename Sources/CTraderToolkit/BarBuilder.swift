// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging

/// Builds the bars of one symbol and period from spot events, live trendbars and history.
///
/// - Spots: each spot event is a tick at its bid (cTrader's trendbars are bid bars). A spot
///   without a bid (an ask-only update) is a tick at the last known bid; before any bid is known
///   it is skipped. The tick's time is the spot's `timestamp` when it has one, else the time it
///   was received.
/// - Live trendbars (`ProtoOASpotEvent.trendbar` of the builder's period) are the server's view
///   of the forming bar and replace its prices and volume.
/// - History (`ProtoOATrendbar`s of `ProtoOAGetTrendbarsRes`) seeds the builder and overwrites
///   the bar of the same start, which becomes ``Bar/State/confirmed``; a historical bar whose
///   period has not ended yet is the forming bar.
///
/// A bar closes when a tick of a later period arrives (``Bar/State/closed``), or, through
/// ``advance(to:)``, once `now` reaches its end plus ``Configuration/grace`` without one
/// (``Bar/State/provisional``, until history confirms it). No bar is invented for a period
/// without ticks. A tick older than the forming bar is late and ignored (counted in
/// ``ignoredTicks``): history corrects the bar it belonged to.
///
/// Across a reconnect, ``connectionLost(at:)`` and ``reconnected(at:)`` record the range whose
/// ticks may have been missed (``backfillRange``); history fed through
/// ``backfill(_:covering:now:)`` overwrites those bars and clears the range.
///
/// Every method that changes bars returns the bars it changed, oldest first, in their new state;
/// a consumer keys them by ``Bar/start``. Times are Unix milliseconds.
public struct BarBuilder: Sendable {
    /// The builder's limits and rules.
    public struct Configuration: Hashable, Sendable {
        /// How long after a bar's end ``BarBuilder/advance(to:)`` waits for a tick of a later
        /// period before it closes the bar as provisional, in ms; default 2,000 (spots arrive a
        /// little after their time).
        public var grace: Int64
        /// The most closed bars kept (oldest dropped first); default 10,000.
        public var maximumBars: Int
        /// Where periods start (the first day of W1 bars).
        public var calendar: BarCalendar

        /// Makes a configuration.
        public init(grace: Int64 = 2_000, maximumBars: Int = 10_000, calendar: BarCalendar = BarCalendar()) {
            self.grace = max(0, grace)
            self.maximumBars = max(1, maximumBars)
            self.calendar = calendar
        }
    }

    /// The period of the bars.
    public let period: ProtoOATrendbarPeriod
    /// The limits and rules.
    public let configuration: Configuration
    /// The closed bars by start, oldest first (at most ``Configuration/maximumBars``).
    public private(set) var closedBars: [Bar] = []
    /// The forming bar, if a tick or history opened one that has not closed.
    public private(set) var forming: Bar?
    /// The last known bid (carried to ask-only spots).
    public private(set) var lastBid: Int64?
    /// Ticks older than the forming bar, ignored.
    public private(set) var ignoredTicks = 0
    /// The range to download again after a reconnect, until ``backfill(_:covering:now:)`` covers it.
    public private(set) var backfillRange: HistoryWindow?
    /// When the connection was lost, while it is down.
    public private(set) var disconnectedSince: Int64?

    /// A builder of `period` bars.
    public init(period: ProtoOATrendbarPeriod, configuration: Configuration = Configuration()) {
        self.period = period
        self.configuration = configuration
    }

    /// Every bar, oldest first: the closed ones, then the forming one.
    public var bars: [Bar] { closedBars + (forming.map { [$0] } ?? []) }

    /// The start of the bar holding `time`.
    public func start(containing time: Int64) -> Int64 {
        configuration.calendar.start(of: period, containing: time)
    }

    /// The end (exclusive) of the bar starting at `start`.
    public func end(ofBarStartingAt start: Int64) -> Int64 {
        configuration.calendar.end(of: period, startingAt: start)
    }

    // MARK: - Live data

    /// Applies a spot event received at `now`: its tick (the bid, or the last bid for an
    /// ask-only spot), then its live trendbar of this period, if any.
    public mutating func apply(_ spot: ProtoOASpotEvent, receivedAt now: Int64) -> [Bar] {
        let time = spot.hasTimestamp ? spot.timestamp : now
        if spot.hasBid, let bid = Int64(exactly: spot.bid) { lastBid = bid }
        var changed: [Bar] = []
        if spot.hasBid || spot.hasAsk, let price = lastBid {
            changed += tick(price: price, at: time)
        }
        for trendbar in spot.trendbar where !trendbar.hasPeriod || trendbar.period == period {
            changed += applyLive(trendbar)
        }
        return Self.merged(changed)
    }

    /// Adds a tick at `price` (relative bid) at `time`.
    public mutating func tick(price: Int64, at time: Int64) -> [Bar] {
        let start = start(containing: time)
        if var bar = forming {
            if start < bar.start {
                ignoredTicks += 1
                return []
            }
            if start == bar.start {
                bar.add(price)
                forming = bar
                return [bar]
            }
            bar.state = .closed
            store(bar)
            forming = Bar(period: period, start: start, price: price)
            return [bar, forming!]
        }
        if let last = closedBars.last, start <= last.start {
            ignoredTicks += 1
            return []
        }
        let bar = Bar(period: period, start: start, price: price)
        forming = bar
        return [bar]
    }

    /// Applies a live trendbar: the server's forming bar replaces the builder's of the same start;
    /// a later one closes the builder's.
    public mutating func applyLive(_ trendbar: ProtoOATrendbar) -> [Bar] {
        guard let live = Bar(trendbar, period: period, state: .forming) else { return [] }
        if let bar = forming, live.start < bar.start { return [] }
        if let last = closedBars.last, live.start <= last.start { return [] }
        var changed: [Bar] = []
        if var bar = forming, live.start > bar.start {
            bar.state = .closed
            store(bar)
            changed.append(bar)
        }
        forming = live
        changed.append(live)
        return changed
    }

    /// Closes the forming bar as ``Bar/State/provisional`` once `now` reached its end plus the
    /// grace period; returns it, or nothing.
    public mutating func advance(to now: Int64) -> [Bar] {
        guard var bar = forming, now >= end(ofBarStartingAt: bar.start) + configuration.grace else { return [] }
        bar.state = .provisional
        forming = nil
        store(bar)
        return [bar]
    }

    // MARK: - History

    /// Merges historical trendbars at `now`: each overwrites the bar of its start and is
    /// ``Bar/State/confirmed``, or, when its period has not ended at `now`, becomes the forming
    /// bar (unless a later bar is already forming). Bars in any order; duplicates keep the last.
    public mutating func seed(_ trendbars: [ProtoOATrendbar], now: Int64) -> [Bar] {
        var changed: [Bar] = []
        let sorted = trendbars.compactMap { Bar($0, period: period, state: .confirmed) }.sorted { $0.start < $1.start }
        for var bar in sorted {
            if end(ofBarStartingAt: bar.start) > now {
                bar.state = .forming
                if let current = forming, current.start > bar.start { continue }
                if var current = forming, current.start < bar.start {
                    current.state = .closed
                    store(current)
                    changed.append(current)
                }
                forming = bar
            } else {
                if var current = forming, current.start <= bar.start {
                    forming = nil
                    if current.start < bar.start {
                        current.state = .closed
                        store(current)
                        changed.append(current)
                    }
                }
                store(bar)
            }
            changed.append(bar)
        }
        return Self.merged(changed)
    }

    /// Replaces a closed (or provisional) bar with the server's: ``seed(_:now:)`` of one bar.
    public mutating func confirm(with trendbar: ProtoOATrendbar, now: Int64) -> [Bar] {
        seed([trendbar], now: now)
    }

    // MARK: - Reconnects

    /// Records that the connection was lost at `now`: ticks from the forming bar's start (or
    /// from the start of the bar holding `now`) may be missed from here on.
    public mutating func connectionLost(at now: Int64) {
        if disconnectedSince == nil { disconnectedSince = now }
    }

    /// Records that the connection is back at `now`, and returns the range to download again:
    /// from the start of the bar that was forming when the connection was lost (or of the bar
    /// holding the loss) to `now`, joined with a range not yet backfilled. `nil` when no loss
    /// was recorded.
    @discardableResult
    public mutating func reconnected(at now: Int64) -> HistoryWindow? {
        guard let lost = disconnectedSince else { return backfillRange }
        disconnectedSince = nil
        var from = min(forming?.start ?? start(containing: lost), start(containing: lost))
        var to = max(now, from)
        if let pending = backfillRange {
            from = min(from, pending.from)
            to = max(to, pending.to)
        }
        backfillRange = HistoryWindow(from: from, to: to)
        return backfillRange
    }

    /// Merges the history downloaded for `window` (``seed(_:now:)``), and clears
    /// ``backfillRange`` when `window` covers it (else keeps what is left after the window).
    public mutating func backfill(_ trendbars: [ProtoOATrendbar], covering window: HistoryWindow, now: Int64) -> [Bar] {
        let changed = seed(trendbars, now: now)
        if let pending = backfillRange, window.from <= pending.from {
            backfillRange =
                window.to >= pending.to ? nil : HistoryWindow(from: max(pending.from, window.to), to: pending.to)
        }
        return changed
    }

    // MARK: - Storage

    /// Inserts or replaces a closed bar by start, keeping the order and the limit.
    private mutating func store(_ bar: Bar) {
        if let last = closedBars.last, last.start < bar.start {
            closedBars.append(bar)
        } else if let index = Self.index(of: bar.start, in: closedBars) {
            closedBars[index] = bar
        } else {
            let position = closedBars.firstIndex { $0.start > bar.start } ?? closedBars.endIndex
            closedBars.insert(bar, at: position)
        }
        if closedBars.count > configuration.maximumBars {
            closedBars.removeFirst(closedBars.count - configuration.maximumBars)
        }
    }

    /// The index of the bar starting at `start` (binary search; the bars are sorted).
    private static func index(of start: Int64, in bars: [Bar]) -> Int? {
        var low = 0
        var high = bars.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if bars[middle].start == start { return middle }
            if bars[middle].start < start { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// The last state of each bar changed, oldest first.
    private static func merged(_ changed: [Bar]) -> [Bar] {
        guard changed.count > 1 else { return changed }
        var latest: [Int64: Bar] = [:]
        for bar in changed { latest[bar.start] = bar }
        return latest.values.sorted { $0.start < $1.start }
    }
}
