import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the CLI writes, and how: colours and in-place updates on a terminal, plain lines when
/// piped or when `NO_COLOR` is set.
struct Terminal: Sendable {
    /// Whether standard output is a terminal.
    let isInteractive: Bool
    /// Whether to colour the output.
    let usesColor: Bool

    /// The terminal of this process.
    static let current: Terminal = {
        let tty = isatty(STDOUT_FILENO) == 1
        let noColor =
            ProcessInfo.processInfo.environment["NO_COLOR"] != nil
            || ProcessInfo.processInfo.environment["TERM"] == "dumb"
        return Terminal(isInteractive: tty, usesColor: tty && !noColor)
    }()

    enum Style: String {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case blue = "34"
        case cyan = "36"
    }

    /// `text` in `style` when colouring, else unchanged.
    func paint(_ text: String, _ style: Style) -> String {
        usesColor ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Writes a line to standard output and flushes it (output may be piped to a reader that
    /// waits line by line).
    func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes a line to standard error.
    func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Redraws a block of `lines` in place on a terminal: moves the cursor up over the previous
    /// block of `previousLineCount` lines first. Only call this when ``isInteractive``.
    func redraw(_ lines: [String], previousLineCount: Int) {
        var out = ""
        if previousLineCount > 0 { out += "\u{1B}[\(previousLineCount)F" }
        for line in lines { out += "\u{1B}[2K" + line + "\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// A progress bar of `width` cells for `fraction` (0…1).
    func progressBar(_ fraction: Double, width: Int = 30) -> String {
        let clamped = min(max(fraction, 0), 1)
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
            + String(format: " %3d%%", Int(clamped * 100))
    }
}

/// A plain-text table with aligned columns.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns aligned right (numbers).
    var rightAligned: Set<Int> = []

    func render(_ terminal: Terminal) -> [String] {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        return [terminal.paint(format(headers), .bold)] + rows.map(format)
    }
}
