// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging

/// What a history request asks for: trendbars of a period, or ticks.
public enum HistoryKind: Hashable, Sendable {
    /// `ProtoOAGetTrendbarsReq` of a period.
    case trendbars(ProtoOATrendbarPeriod)
    /// `ProtoOAGetTickDataReq`.
    case ticks

    /// The server's longest `toTimestamp - fromTimestamp` for one request, in milliseconds:
    /// - M1 to M5: 302,400,000 (3.5 days);
    /// - M10 to H1: 21,168,000,000 (245 days);
    /// - H4 to D1: 31,622,400,000 (366 days);
    /// - W1 and MN1: 158,112,000,000 (1,830 days);
    /// - ticks: 604,800,000 (one week).
    public var maximumSpan: Int64 {
        switch self {
        case .ticks: return ProtoOAGetTickDataReq.maximumRequestSpan
        case .trendbars(let period): return period.maximumRequestSpan
        }
    }
}

/// One request's range: `from` and `to` as Unix milliseconds (`from <= to`).
public struct HistoryWindow: Hashable, Sendable {
    /// `fromTimestamp` of the request.
    public var from: Int64
    /// `toTimestamp` of the request.
    public var to: Int64

    /// Makes a window.
    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }
}

/// Why a range cannot be split; each case names the rule it breaks.
public enum HistorySpanError: Error, Hashable, Sendable {
    /// `from` is after `to`.
    case fromAfterTo(from: Int64, to: Int64)
    /// `from` is before the Unix epoch (the server takes no negative timestamps).
    case negativeFrom(Int64)
    /// The maximum span is not positive.
    case nonPositiveSpan(Int64)
    /// The range needs more than the given most requests.
    case tooManyRequests(needed: Int64, limit: Int)
}

/// Splits a history range into requests the server accepts.
public enum HistorySpans {
    /// The windows, oldest first, that cover `[from, to]` with `to - from <= maximumSpan` each.
    ///
    /// Consecutive windows share their boundary (one's `to` is the next's `from`), so the whole
    /// range is covered whether the server reads `toTimestamp` as inclusive or exclusive; a bar
    /// or tick at a shared boundary may then come twice, and a merge keeps it once. A range of
    /// exactly `n * maximumSpan` gives `n` windows; `from == to` gives one empty window.
    ///
    /// - Parameters:
    ///   - from: the start of the range, Unix ms (not negative).
    ///   - to: the end of the range, Unix ms (not before `from`).
    ///   - maximumSpan: the longest `to - from` of one request, in ms.
    ///   - maximumRequests: the most windows to plan (a guard against a mistaken range).
    public static func windows(
        from: Int64, to: Int64, maximumSpan: Int64, maximumRequests: Int = 100_000
    ) throws(HistorySpanError) -> [HistoryWindow] {
        guard from >= 0 else { throw .negativeFrom(from) }
        guard from <= to else { throw .fromAfterTo(from: from, to: to) }
        guard maximumSpan > 0 else { throw .nonPositiveSpan(maximumSpan) }
        let length = to - from  // cannot overflow: 0 <= from <= to
        let needed = max(1, length / maximumSpan + (length % maximumSpan == 0 ? 0 : 1))
        guard needed <= Int64(maximumRequests) else { throw .tooManyRequests(needed: needed, limit: maximumRequests) }
        var windows: [HistoryWindow] = []
        windows.reserveCapacity(Int(needed))
        var start = from
        repeat {
            let end = to - start > maximumSpan ? start + maximumSpan : to
            windows.append(HistoryWindow(from: start, to: end))
            start = end
        } while start < to
        return windows
    }

    /// The windows for a kind of history, within its server span (``HistoryKind/maximumSpan``).
    public static func windows(
        for kind: HistoryKind, from: Int64, to: Int64, maximumRequests: Int = 100_000
    ) throws(HistorySpanError) -> [HistoryWindow] {
        try windows(from: from, to: to, maximumSpan: kind.maximumSpan, maximumRequests: maximumRequests)
    }
}
