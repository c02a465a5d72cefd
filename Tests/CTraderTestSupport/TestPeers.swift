public import Foundation

/// Locates the independent test peers that `.ci/run` installs: the Python venv with
/// `websockets`, and the `openssl` command.
///
/// When a peer is missing, ``PeerUnavailable`` is thrown with the command that installs it. Under
/// CI (`CI` set in the environment) a missing peer is a failure, never a silent skip.
public enum TestPeers {
    /// The package's root folder, derived from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestPeers.swift
        .deletingLastPathComponent()  // CTraderTestSupport
        .deletingLastPathComponent()  // Tests

    /// Whether the tests run under CI, where every peer must be present.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// The venv's Python interpreter: `$CTRADER_TEST_PYTHON`, or `.ci/venv/bin/python`.
    public static func python() throws -> String {
        let env = ProcessInfo.processInfo.environment
        let candidate = env["CTRADER_TEST_PYTHON"] ?? packageRoot.appendingPathComponent(".ci/venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw PeerUnavailable(
                peer: "Python venv at \(candidate)",
                install:
                    "bash .ci/run (or: python3 -m venv .ci/venv && .ci/venv/bin/pip install -r .ci/requirements.txt)")
        }
        return candidate
    }

    /// The `openssl` command-line tool.
    public static func openssl() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"] {
            let path = dir + "/openssl"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw PeerUnavailable(peer: "openssl", install: "apt-get install openssl")
    }

    /// Whether a peer is usable; when it is not and this is not CI, tests may skip.
    /// Under CI this always returns `true` so that the test runs and fails loudly.
    public static func available(_ locate: () throws -> String) -> Bool {
        if isCI { return true }
        return (try? locate()) != nil
    }
}

/// A test peer is not installed.
public struct PeerUnavailable: Error, CustomStringConvertible {
    public let peer: String
    public let install: String
    public var description: String { "test peer not found: \(peer); install it with: \(install)" }
}

/// A child process whose standard output is read line by line, for peers that print a readiness
/// line (e.g. `READY 54321`) before they serve.
public final class PeerProcess: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `lock`.
    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    private var stderrData = Data()
    private var waiters:
        [(id: UInt64, predicate: (String) -> Bool, continuation: CheckedContinuation<String, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    private var cancelledWaiters: Set<UInt64> = []
    private var ended = false

    /// Starts `executable` with `arguments`.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        // Each pipe is drained by a thread of its own until end of file: the end of stdout, not
        // the process's exit, marks the end of output, so no line printed just before the exit
        // can be lost to a race between the exit notification and the last read.
        let stdoutHandle = stdoutPipe.fileHandleForReading
        let stderrHandle = stderrPipe.fileHandleForReading
        Thread.detachNewThread { [weak self] in
            while true {
                let data = stdoutHandle.availableData
                guard let self else { return }
                if data.isEmpty {
                    self.receive(nil)
                    return
                }
                self.receive(data)
            }
        }
        Thread.detachNewThread { [weak self] in
            while true {
                let data = stderrHandle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.lock()
                if self.stderrData.count < 1 << 20 { self.stderrData.append(data) }
                self.lock.unlock()
            }
        }
        try process.run()
    }

    /// Takes new stdout bytes (`nil` at end of file; empty to re-check the waiters) and wakes waiters.
    private func receive(_ data: Data?) {
        lock.lock()
        var ready: [(CheckedContinuation<String, any Error>, Result<String, any Error>)] = []
        if let data {
            partial.append(data)
            while let newline = partial.firstIndex(of: 0x0A) {
                let line = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
                partial.removeSubrange(partial.startIndex...newline)
                lines.append(line)
            }
        } else {
            ended = true
        }
        waiters.removeAll { waiter in
            if let line = lines.first(where: waiter.predicate) {
                ready.append((waiter.continuation, .success(line)))
                return true
            }
            if ended {
                ready.append(
                    (waiter.continuation, .failure(PeerExited(stderr: String(decoding: stderrData, as: UTF8.self)))))
                return true
            }
            return false
        }
        lock.unlock()
        for (continuation, result) in ready { continuation.resume(with: result) }
    }

    /// Waits for a stdout line that satisfies `predicate` (already printed or still to come),
    /// failing if the process exits first or `timeout` passes.
    public func waitForLine(
        timeout: Duration = .seconds(60), where predicate: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        let name = process.executableURL?.lastPathComponent ?? "peer"
        do {
            return try await withTimeout(timeout, "a line from \(name)") { try await self.nextLine(where: predicate) }
        } catch is TestTimeout {
            throw PeerTimeout(what: "a line from \(name)", stderr: standardError)
        }
    }

    /// Waits, cancellably, for a stdout line that satisfies `predicate`.
    private func nextLine(where predicate: @escaping @Sendable (String) -> Bool) async throws -> String {
        let id: UInt64 = lock.withLock {
            nextWaiterID += 1
            return nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                lock.lock()
                if cancelledWaiters.remove(id) != nil {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                waiters.append((id, predicate, continuation))
                lock.unlock()
                receive(Data())  // checks the lines already buffered
            }
        } onCancel: {
            lock.lock()
            if let index = waiters.firstIndex(where: { $0.id == id }) {
                let waiter = waiters.remove(at: index)
                lock.unlock()
                waiter.continuation.resume(throwing: CancellationError())
            } else {
                cancelledWaiters.insert(id)
                lock.unlock()
            }
        }
    }

    /// All stdout lines so far.
    public var output: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
    /// Standard error so far (at most 1 MiB).
    public var standardError: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: stderrData, as: UTF8.self)
    }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeout: Duration = .seconds(120)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                terminate()
                throw PeerTimeout(what: "exit", stderr: standardError)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Kills the process (SIGKILL) if it still runs.
    ///
    /// Not SIGTERM: a child inherits the signal mask of the thread that starts it, and the threads
    /// of the test process block SIGTERM, so a Python peer would ignore it and outlive the test.
    public func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { terminate() }
}

extension PeerProcess {
    /// Starts Python `websockets`' echo server (`Tests/CTraderWebSocketTests/Peers/echo_server.py`)
    /// in its `default` mode and waits until it listens. The caller terminates it.
    ///
    /// - Returns: the server and the port it printed in its `READY <port>` line.
    public static func pythonEchoServer() async throws -> (server: PeerProcess, port: Int) {
        let peers = TestPeers.packageRoot.appendingPathComponent("Tests/CTraderWebSocketTests/Peers")
        let server = try PeerProcess(
            try TestPeers.python(), [peers.appendingPathComponent("echo_server.py").path, "default"],
            currentDirectory: peers)
        let ready = try await server.waitForLine { $0.hasPrefix("READY ") }
        guard let port = Int(ready.dropFirst("READY ".count)) else {
            server.terminate()
            throw PeerTimeout(what: "a port in the line \"\(ready)\"", stderr: server.standardError)
        }
        return (server, port)
    }
}

/// A peer process exited before printing what was awaited.
public struct PeerExited: Error, CustomStringConvertible {
    public let stderr: String
    public var description: String { "peer exited early; stderr: \(stderr)" }
}

/// A peer did not answer in time.
public struct PeerTimeout: Error, CustomStringConvertible {
    public let what: String
    public let stderr: String
    public var description: String { "timed out waiting for \(what); peer stderr: \(stderr)" }
}
