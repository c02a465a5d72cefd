/// One kind of stored history whose coverage is kept apart: a symbol's trendbars of one period,
/// a symbol's ticks of one side, or an account's deals.
public enum HistorySeries: Sendable, Hashable, CustomStringConvertible {
    /// The trendbars of `symbol` (its name, e.g. `EURUSD`) for `period`.
    case trendbars(symbol: String, period: HistoryPeriod)
    /// The bid or ask ticks of `symbol`.
    case ticks(symbol: String, side: HistoryTickSide)
    /// The deals of the trading account `account` (ctidTraderAccountId).
    case deals(account: Int64)

    /// The key under which the coverage table keeps this series, e.g. `trendbars/EURUSD/M1`.
    public var key: String {
        switch self {
        case .trendbars(let symbol, let period): "trendbars/\(symbol)/\(period.name)"
        case .ticks(let symbol, let side): "ticks/\(symbol)/\(side.name)"
        case .deals(let account): "deals/\(account)"
        }
    }

    /// ``key``.
    public var description: String { key }

    /// The series stored under `key`, or `nil` for a malformed key.
    public init?(key: String) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("trendbars", 3):
            guard let period = HistoryPeriod(name: parts[2]) else { return nil }
            self = .trendbars(symbol: parts[1], period: period)
        case ("ticks", 3):
            guard let side = HistoryTickSide(name: parts[2]) else { return nil }
            self = .ticks(symbol: parts[1], side: side)
        case ("deals", 2):
            guard let account = Int64(parts[1]) else { return nil }
            self = .deals(account: account)
        default:
            return nil
        }
    }

    /// The end of what can be complete at `now`: the start of the current bar for trendbars (the
    /// bar still forming is never recorded as covered), `now` for ticks and deals.
    public func completeEnd(now: Int64) -> Int64 {
        switch self {
        case .trendbars(_, let period): period.barStart(containing: now)
        case .ticks, .deals: now
        }
    }
}

/// The side of a tick.
public enum HistoryTickSide: Int, Sendable, Hashable, Codable, CaseIterable {
    /// A bid price (`ProtoOAQuoteType.BID`).
    case bid = 1
    /// An ask price (`ProtoOAQuoteType.ASK`).
    case ask = 2

    /// `bid` or `ask`.
    public var name: String { self == .bid ? "bid" : "ask" }

    /// The side named `name` (`bid` or `ask`, any case).
    public init?(name: String) {
        switch name.lowercased() {
        case "bid": self = .bid
        case "ask": self = .ask
        default: return nil
        }
    }
}
