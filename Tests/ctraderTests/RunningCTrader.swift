// swift-ctrader: a `ctrader` process a test can watch and signal while it runs.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running `ctrader`: its standard error can be awaited line by line, and it can be sent a
/// signal. Killed when still running after `timeout` (a hang guard, not a threshold).
final class RunningCTrader: @unchecked Sendable {
    // @unchecked: `process` is only started in `init` and then read; the buffers are behind `lock`.
    private let process: Process
    private let lock = NSLock()
    private var standardError = Data()
    private var standardOutput = Data()
    private var errorEnded = false
    private var outputEnded = false
    private var killed = false
    private let arguments: [String]
    /// A tick per chunk of standard error (and one at its end).
    private let errorChunks: AsyncStream<Void>

    /// Starts the binary with `arguments`; `environment` is added to this process's environment.
    init(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 240) throws {
        self.arguments = arguments
        let (errorChunks, chunkArrived) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.errorChunks = errorChunks
        process = Process()
        process.executableURL = try CTraderBinary.locate()
        process.arguments = arguments
        process.environment = CTraderBinary.isolatedEnvironment(environment)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Blocking reads on threads of their own: a blocked thread of Dispatch's global queues is
        // one fewer for Swift's cooperative pool, which runs the in-process simulator.
        Thread.detachNewThread { [self] in
            while true {
                let chunk = err.fileHandleForReading.availableData
                let ended = chunk.isEmpty
                lock.withLock {
                    standardError.append(chunk)
                    errorEnded = ended
                }
                chunkArrived.yield()
                if ended {
                    chunkArrived.finish()
                    return
                }
            }
        }
        Thread.detachNewThread { [self] in
            let data = out.fileHandleForReading.readDataToEndOfFile()
            lock.withLock {
                standardOutput = data
                outputEnded = true
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
            lock.withLock {
                guard process.isRunning else { return }
                killed = true
                kill(process.processIdentifier, SIGKILL)
            }
        }
    }

    /// What it wrote to standard error so far.
    var standardErrorSoFar: String { lock.withLock { String(decoding: standardError, as: UTF8.self) } }

    /// Sends `signal` (SIGINT: what Ctrl-C sends).
    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits until standard error holds `text`; fails when the process ends without it. Call it
    /// from one task at a time.
    func waitForStandardError(containing text: String) async throws {
        var chunks = errorChunks.makeAsyncIterator()
        while true {
            let (seen, ended) = lock.withLock { (String(decoding: standardError, as: UTF8.self), errorEnded) }
            if seen.contains(text) { return }
            if ended {
                throw Ended(description: "ctrader ended without writing '\(text)' to standard error: \(seen)")
            }
            _ = await chunks.next()
        }
    }

    struct Ended: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits for the process to end, off the cooperative pool, and returns what it wrote.
    func result() async -> CTraderBinary.Result {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                process.waitUntilExit()
                while !lock.withLock({ errorEnded && outputEnded }) { usleep(1000) }
                let result = lock.withLock {
                    var stderr = String(decoding: standardError, as: UTF8.self)
                    if killed { stderr += "\n[test: ctrader \(arguments.joined(separator: " ")) was killed]" }
                    return CTraderBinary.Result(
                        status: process.terminationStatus,
                        stdout: String(decoding: standardOutput, as: UTF8.self),
                        stderr: stderr
                    )
                }
                continuation.resume(returning: result)
            }
        }
    }
}
