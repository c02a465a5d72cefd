// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

/// The simulated market: a deterministic function from (seed, symbol, time) to a price.
///
/// The mid price is the symbol's base price times one plus a sum of value-noise layers (random
/// values on a lattice of 100 ms, 1 s, 1 min, 1 h, 1 day and 30 days, linearly interpolated): a
/// seeded random walk that needs no state, so the history of any period (trendbars, ticks) and the
/// live quotes come from the same curve, and the same seed always gives the same prices.
struct MarketModel: Sendable {
    let seed: UInt64
    let catalogue: SymbolCatalogue

    /// (lattice step in ms, relative amplitude)
    private static let layers: [(Int64, Double)] = [
        (100, 0.000_012), (1_000, 0.000_03), (60_000, 0.000_25), (3_600_000, 0.001_5), (86_400_000, 0.006),
        (2_592_000_000, 0.03),
    ]

    /// The mid price at `time` (Unix ms), as a price.
    func mid(_ symbol: SymbolCatalogue.Symbol, at time: Int64) -> Double {
        var factor = 1.0
        for (index, layer) in Self.layers.enumerated() {
            let (step, amplitude) = layer
            let k = floorDiv(time, step)
            let fraction = Double(time - k * step) / Double(step)
            let a = SimulatorRandom.unit(seed, UInt64(bitPattern: symbol.id), UInt64(index), UInt64(bitPattern: k))
            let b = SimulatorRandom.unit(seed, UInt64(bitPattern: symbol.id), UInt64(index), UInt64(bitPattern: k + 1))
            factor += amplitude * (a + (b - a) * fraction)
        }
        return symbol.basePrice * factor
    }

    /// The bid at `time`, in 1/100000 units, rounded to the symbol's digits.
    func bid(_ symbol: SymbolCatalogue.Symbol, at time: Int64) -> Int64 {
        let point = symbol.pointRelative
        let spread = symbol.spreadPoints * point
        let midRelative = mid(symbol, at: time) * 100_000
        let bid = Int64((midRelative - Double(spread) / 2).rounded())
        return max(point, bid / point * point)
    }

    /// The ask at `time`: the bid plus the spread.
    func ask(_ symbol: SymbolCatalogue.Symbol, at time: Int64) -> Int64 {
        bid(symbol, at: time) + symbol.spreadPoints * symbol.pointRelative
    }

    /// The tick times in `[from, to)`: 0 to 3 per second, at hashed offsets.
    func tickTimes(_ symbol: SymbolCatalogue.Symbol, from: Int64, to: Int64) -> [Int64] {
        guard to > from else { return [] }
        var result: [Int64] = []
        var second = floorDiv(from, 1_000)
        while second * 1_000 < to {
            let h = SimulatorRandom.hash(seed, UInt64(bitPattern: symbol.id), 0x7469_636B, UInt64(bitPattern: second))
            let count = Int(h % 4)
            var offsets: [Int64] = []
            for i in 0..<count {
                offsets.append(Int64((h >> (8 + 10 * UInt64(i))) % 1_000))
            }
            for offset in Set(offsets).sorted() {
                let time = second * 1_000 + offset
                if time >= from && time < to { result.append(time) }
            }
            second += 1
        }
        return result
    }

    /// One trendbar over `[start, end)`, built from the ticks' bids (and the bids at the bounds).
    func trendbar(
        _ symbol: SymbolCatalogue.Symbol, period: ProtoOATrendbarPeriod, start: Int64, end: Int64
    ) -> ProtoOATrendbar {
        let samples = 24
        let open = bid(symbol, at: start)
        let close = bid(symbol, at: end - 1)
        var low = min(open, close)
        var high = max(open, close)
        let step = max(1, (end - start) / Int64(samples))
        var time = start + step
        while time < end - 1 {
            let price = bid(symbol, at: time)
            low = min(low, price)
            high = max(high, price)
            time += step
        }
        var bar = ProtoOATrendbar()
        bar.period = period
        bar.low = low
        bar.deltaOpen = UInt64(open - low)
        bar.deltaClose = UInt64(close - low)
        bar.deltaHigh = UInt64(high - low)
        bar.utcTimestampInMinutes = UInt32(clamping: start / 60_000)
        let h = SimulatorRandom.hash(seed, UInt64(bitPattern: symbol.id), 0x766F_6C, UInt64(bitPattern: start))
        bar.volume = max(1, (end - start) / 1_000 * 3 / 2 + Int64(h % 50))
        return bar
    }

    /// The start of the bar of `period` that contains `time`.
    static func barStart(_ period: ProtoOATrendbarPeriod, containing time: Int64) -> Int64 {
        switch period {
        case .w1:
            // Weeks start on Monday 00:00 UTC; 1970-01-01 was a Thursday.
            let monday: Int64 = 4 * 86_400_000
            return floorDiv(time - monday, 7 * 86_400_000) * 7 * 86_400_000 + monday
        case .mn1:
            let days = floorDiv(time, 86_400_000)
            let (year, month, _) = civil(fromDays: days)
            return daysFromCivil(year: year, month: month, day: 1) * 86_400_000
        default:
            let length = Self.length(period)
            return floorDiv(time, length) * length
        }
    }

    /// The start of the bar after the one starting at `start`.
    static func nextBarStart(_ period: ProtoOATrendbarPeriod, after start: Int64) -> Int64 {
        switch period {
        case .mn1:
            let (year, month, _) = civil(fromDays: floorDiv(start, 86_400_000))
            let next = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
            return daysFromCivil(year: next.0, month: next.1, day: 1) * 86_400_000
        default:
            return start + length(period)
        }
    }

    /// The length of a period in ms (MN1: 31 days, an upper bound).
    static func length(_ period: ProtoOATrendbarPeriod) -> Int64 {
        let minute: Int64 = 60_000
        switch period {
        case .m1: return minute
        case .m2: return 2 * minute
        case .m3: return 3 * minute
        case .m4: return 4 * minute
        case .m5: return 5 * minute
        case .m10: return 10 * minute
        case .m15: return 15 * minute
        case .m30: return 30 * minute
        case .h1: return 60 * minute
        case .h4: return 240 * minute
        case .h12: return 720 * minute
        case .d1: return 1_440 * minute
        case .w1: return 7 * 1_440 * minute
        case .mn1: return 31 * 1_440 * minute
        }
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = floorDiv(y, 400)
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// The inverse of ``daysFromCivil(year:month:day:)``.
func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days + 719_468
    let era = floorDiv(z, 146_097)
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
