// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SymbolCatalogue.Charges {
    /// The rollover instants (Unix ms) in `(after, through]` with how many days each charges: 3 on
    /// ``tripleSwapDay``, 1 on other days, none on Saturdays and Sundays (UTC) unless
    /// ``chargesSwapAtWeekends``. Rollovers fall at ``swapTimeMinutes`` after 00:00 UTC, then every
    /// ``swapPeriodHours``.
    func rollovers(after: Int64, through: Int64) -> [(instant: Int64, multiplier: Int)] {
        guard through > after else { return [] }
        let day: Int64 = 86_400_000
        let period = Int64(max(1, swapPeriodHours)) * 3_600_000
        let first = Int64(swapTimeMinutes) * 60_000 % period
        // The first instant after `after`: first + k × period, k = ⌊(after − first) / period⌋ + 1.
        let offset = after - first
        let k = (offset >= 0 ? offset / period : (offset - period + 1) / period) + 1
        var instant = first + k * period
        var result: [(Int64, Int)] = []
        while instant <= through {
            let days = instant >= 0 ? instant / day : (instant - day + 1) / day
            // 1970-01-01 was a Thursday: ISO weekday 4 (Monday 1 … Sunday 7).
            let weekday = Int((days + 3) % 7 + 7) % 7 + 1
            let weekend = weekday == 6 || weekday == 7
            if !weekend || chargesSwapAtWeekends {
                result.append((instant, weekday == tripleSwapDay.rawValue ? 3 : 1))
            }
            instant += period
        }
        return result
    }
}

extension SimulatorEngine {
    /// Charges the swaps of every rollover that `now` has passed since the engine last looked: each
    /// position open before a rollover instant gets that rollover's swap, at the quotes of that
    /// instant, added to its `swap` (the balance changes only when the position closes). Each
    /// position charged gets one `SWAP` execution event. The first call only starts the clock, so
    /// no swap is charged for time the engine never saw.
    mutating func chargeSwaps(now: Int64, out: inout Outbox) {
        for accountId in accounts.keys.sorted() {
            guard var state = accounts[accountId] else { continue }
            guard let since = state.swapsChargedUntil, now > since else {
                if state.swapsChargedUntil == nil {
                    accounts[accountId]?.swapsChargedUntil = now
                }
                continue
            }
            state.swapsChargedUntil = now
            var charged: [ProtoOAPosition] = []
            for positionId in state.positions.keys.sorted() {
                guard var position = state.positions[positionId],
                    let symbol = configuration.catalogue.symbol(position.tradeData.symbolID)
                else { continue }
                let after = max(since, position.tradeData.openTimestamp)
                let rollovers = symbol.charges.rollovers(after: after, through: now)
                guard !rollovers.isEmpty else { continue }
                for (instant, multiplier) in rollovers {
                    position.swap += arithmetic(at: instant).swap(
                        volume: position.tradeData.volume, side: position.tradeData.tradeSide, symbol: symbol,
                        account: state, multiplier: multiplier)
                }
                position.utcLastUpdateTimestamp = rollovers.last?.instant ?? now
                state.positions[positionId] = position
                charged.append(position)
            }
            accounts[accountId] = state
            for position in charged {
                broadcast(
                    execution(.swap, account: accountId, position: position, serverEvent: true), account: accountId,
                    request: nil, out: &out)
            }
        }
    }
}
