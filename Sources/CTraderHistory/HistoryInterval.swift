/// A half-open span of time `[start, end)` in Unix milliseconds.
public struct HistoryInterval: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The first millisecond in the interval.
    public var start: Int64
    /// The first millisecond after the interval.
    public var end: Int64

    /// Makes `[start, end)`; an `end` before `start` gives an empty interval at `start`.
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = max(start, end)
    }

    /// Whether the interval holds no millisecond.
    public var isEmpty: Bool { end <= start }

    /// `end - start`.
    public var length: Int64 { end - start }

    /// Whether `time` lies in the interval.
    public func contains(_ time: Int64) -> Bool { time >= start && time < end }

    /// `[start, end)`.
    public var description: String { "[\(start), \(end))" }

    /// `intervals` sorted, with overlapping and adjacent ones merged and empty ones dropped.
    public static func merged(_ intervals: [HistoryInterval]) -> [HistoryInterval] {
        var result: [HistoryInterval] = []
        for interval in intervals.filter({ !$0.isEmpty }).sorted(by: { $0.start < $1.start }) {
            if let last = result.last, interval.start <= last.end {
                result[result.count - 1].end = max(last.end, interval.end)
            } else {
                result.append(interval)
            }
        }
        return result
    }

    /// The parts of `self` that none of `covered` contains, in order.
    public func subtracting(_ covered: [HistoryInterval]) -> [HistoryInterval] {
        var missing: [HistoryInterval] = []
        var cursor = start
        for interval in Self.merged(covered) where interval.end > cursor {
            if interval.start >= end { break }
            if interval.start > cursor { missing.append(HistoryInterval(start: cursor, end: interval.start)) }
            cursor = max(cursor, interval.end)
            if cursor >= end { break }
        }
        if cursor < end { missing.append(HistoryInterval(start: cursor, end: end)) }
        return missing
    }

    /// `self` cut into consecutive pieces of at most `span` milliseconds, oldest first.
    public func chunks(ofAtMost span: Int64) -> [HistoryInterval] {
        precondition(span > 0, "a chunk spans at least one millisecond")
        var result: [HistoryInterval] = []
        var cursor = start
        while cursor < end {
            let next = cursor + min(span, end - cursor)
            result.append(HistoryInterval(start: cursor, end: next))
            cursor = next
        }
        return result
    }
}
