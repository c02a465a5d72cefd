// swift-ctrader: `ctrader bars SYMBOL --live --json` against the simulator: bars as they form,
// one JSON object per line, until Ctrl-C.

import CTraderSimulator
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running `ctrader` whose standard output is read line by line while it runs.
final class LineReadingCTrader: @unchecked Sendable {
    // @unchecked Sendable: `process` is started in `init` and then only signalled and waited on;
    // the lines go through the AsyncStream.
    private let process = Process()
    /// The standard output's lines, as they come; finishes at its end.
    let lines: AsyncStream<String>

    init(_ arguments: [String]) throws {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        process.executableURL = try CTraderBinary.locate()
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A blocking read on a thread of its own, off Swift's cooperative pool.
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            continuation.finish()
        }
    }

    /// Sends SIGINT (Ctrl-C).
    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Kills the process if it still runs.
    func kill9() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// Waits for the exit, off the cooperative pool; returns the status.
    func status() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [process] in
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct BarsLiveTests {
    @Test func liveBarsAreOneJSONObjectPerLineUntilCtrlC() async throws {
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        let simulator = try await Simulator.start(Simulator.Configuration(protobufPort: nil), logger: logger)
        defer { Task { await simulator.stop() } }
        let running = try LineReadingCTrader(
            ["bars", "EURUSD", "--live", "--period", "H1", "--count", "3", "--json", "--endpoint", simulator.url]
                + ConnectionOptionsTests.credentials)
        defer { running.kill9() }

        // The three seeded bars: two closed hours from history, the current one forming.
        var bars: [[String: Any]] = []
        var lines = running.lines.makeAsyncIterator()
        while bars.count < 3, let line = await lines.next() {
            bars.append(try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]))
        }
        #expect(bars.map { $0["state"] as? String } == ["confirmed", "confirmed", "forming"])
        for bar in bars {
            #expect(bar["symbol"] as? String == "EURUSD")
            #expect(bar["period"] as? String == "H1")
            for key in ["open", "high", "low", "close"] { #expect(bar[key] is NSNumber, "\(key)") }
            #expect(bar["volume"] is NSNumber)
        }
        let times = bars.compactMap { $0["time"] as? String }
        #expect(times == times.sorted() && Set(times).count == 3)

        // Then the bars as they form: each a bar of the seeded hours or a later one.
        let seededStart = try #require(times.last)
        for _ in 0..<2 {
            let line = try #require(await lines.next())
            let bar = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let time = try #require(bar["time"] as? String)
            #expect(time >= seededStart || bar["state"] as? String != "forming", "\(line)")
            for key in ["open", "high", "low", "close"] { #expect(bar[key] is NSNumber, "\(key)") }
            let high = try #require((bar["high"] as? NSNumber)?.decimalValue)
            let low = try #require((bar["low"] as? NSNumber)?.decimalValue)
            let close = try #require((bar["close"] as? NSNumber)?.decimalValue)
            #expect(low <= close && close <= high, "\(line)")
        }

        running.interrupt()
        #expect(await running.status() == 0)
    }
}
