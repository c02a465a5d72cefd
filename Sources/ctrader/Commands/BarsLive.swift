// swift-ctrader: `ctrader bars SYMBOL --live`: bars built as they form, from spots and history.

import CTrader
import Foundation

/// Streams the bars of `name` and `period` until Ctrl-C: the last bars as a table updating in
/// place on a terminal, one JSON object per bar update with `--json`, one line per update when
/// piped.
func runLiveBars(symbol name: String, period: PeriodArgument, count: Int?, options: ConnectionOptions) async throws {
    try await Session.run(options) { session in
        guard let symbol = try await session.resolve([name]).first else { return }
        let shown = max(1, min(count ?? 10, 100))
        let stream = session.client.liveBars(
            account: session.account, symbol: symbol.id, period: period.period,
            options: LiveBarsOptions(historyCount: shown))
        let printer = LiveBarsPrinter(symbol: symbol, period: period, shown: shown, output: session.output)
        var bars: [Int64: Bar] = [:]
        var drawn = 0
        for try await bar in stream {
            bars[bar.start] = bar
            if bars.count > shown, let oldest = bars.keys.min() { bars[oldest] = nil }
            if session.output.json {
                session.output.emit(printer.json(bar))
            } else if session.output.terminal.isInteractive {
                let lines = printer.table(bars.values.sorted { $0.start < $1.start })
                session.output.terminal.redraw(lines, previousLineCount: drawn)
                drawn = lines.count
            } else {
                session.output.terminal.line(printer.line(bar))
            }
        }
    }
}

/// Formats bars of one symbol: prices with the symbol's digits, exactly (no floating point).
struct LiveBarsPrinter: Sendable {
    let symbol: SymbolInfo
    let period: PeriodArgument
    let shown: Int
    let output: Output

    /// `1.10005` for 110005 with 5 digits, `150.123` for 15012300 with 3.
    func price(_ relative: Int64) -> String {
        let digits = max(0, min(5, symbol.digits))
        let sign = relative < 0 ? "-" : ""
        let magnitude = relative.magnitude
        let whole = magnitude / 100_000
        var fraction = String(magnitude % 100_000)
        fraction = String(repeating: "0", count: 5 - fraction.count) + fraction
        return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction.prefix(digits))"
    }

    func json(_ bar: Bar) -> [String: Any] {
        [
            "symbol": symbol.name, "period": period.name, "time": Format.date(milliseconds: bar.start),
            "open": NSDecimalNumber(string: price(bar.open)), "high": NSDecimalNumber(string: price(bar.high)),
            "low": NSDecimalNumber(string: price(bar.low)), "close": NSDecimalNumber(string: price(bar.close)),
            "volume": bar.volume, "state": bar.state.rawValue, "repaired": bar.repaired,
        ]
    }

    func line(_ bar: Bar) -> String {
        "\(Format.date(milliseconds: bar.start))  \(symbol.name) \(period.name)  O \(price(bar.open))  H \(price(bar.high))"
            + "  L \(price(bar.low))  C \(price(bar.close))  V \(bar.volume)  \(bar.state.rawValue)"
            + (bar.repaired ? " (repaired)" : "")
    }

    func table(_ bars: [Bar]) -> [String] {
        var table = TextTable(headers: ["Time", "Open", "High", "Low", "Close", "Volume", "State"])
        table.rightAligned = [1, 2, 3, 4, 5]
        for bar in bars {
            table.rows.append([
                Format.date(milliseconds: bar.start), price(bar.open), price(bar.high), price(bar.low),
                price(bar.close), "\(bar.volume)", bar.state.rawValue + (bar.repaired ? " (repaired)" : ""),
            ])
        }
        return ["\(symbol.name) \(period.name) (Ctrl-C to stop)"] + table.render(output.terminal)
    }
}
