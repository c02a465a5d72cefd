// swift-ctrader: tests of the `ctrader` command-line tool, run as a separate process.

import Foundation
import Testing

/// Runs the built `ctrader` binary with Foundation's `Process`.
struct CTraderBinary {
    /// The binary: beside the test bundle in the products folder (`.build/debug/`), else under
    /// `.build/` found from this file's path, else `$CTRADER_BINARY`.
    static func locate() throws -> URL {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["CTRADER_BINARY"] {
            candidates.append(URL(fileURLWithPath: override))
        }
        for bundle in [Bundle.main.bundleURL] + Bundle.allBundles.map(\.bundleURL) {
            var directory = bundle
            while directory.pathComponents.count > 1 {
                if directory.pathExtension == "xctest" {
                    candidates.append(directory.deletingLastPathComponent().appendingPathComponent("ctrader"))
                }
                directory.deleteLastPathComponent()
            }
            candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("ctrader"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/ctrader"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw BinaryNotFound(searched: candidates.map(\.path))
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String { "ctrader binary not found (swift build --product ctrader); searched: \(searched)" }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// This process's environment without the user's `ctrader` settings: no `CTRADER_*` variable
    /// (but the tests' own: `CTRADER_BINARY`, `CTRADER_TEST_*`), a configuration file that does not
    /// exist (a developer's profiles must not change what a test connects to), and a data folder
    /// of the tests' own (`bars` and `ticks` write the default history store). `extra` wins.
    static func isolatedEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        let temporary = FileManager.default.temporaryDirectory
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("CTRADER_") || key == "CTRADER_BINARY" || key.hasPrefix("CTRADER_TEST_")
        }
        environment["CTRADER_CONFIG"] = temporary.appendingPathComponent("ctrader-tests-no-config.toml").path
        environment["XDG_DATA_HOME"] = temporary.appendingPathComponent("ctrader-tests-data").path
        return environment.merging(extra) { _, new in new }
    }

    /// Runs the binary to its end; one that is still running after `timeout` (a hang guard, not a
    /// threshold) is killed, and its result says so in `stderr`.
    static func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 240) throws -> Result {
        let process = Process()
        process.executableURL = try locate()
        process.arguments = arguments
        process.environment = isolatedEnvironment()
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        let killed = NSLock()
        nonisolated(unsafe) var wasKilled = false
        let guardTimer = DispatchWorkItem {
            killed.withLock {
                guard process.isRunning else { return }
                wasKilled = true
                kill(process.processIdentifier, SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: guardTimer)
        defer { guardTimer.cancel() }
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        Thread.detachNewThread {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guardTimer.cancel()
        var stderr = String(decoding: errData, as: UTF8.self)
        if killed.withLock({ wasKilled }) {
            stderr += "\n[test: ctrader \(arguments.joined(separator: " ")) was killed after \(Int(timeout)) s]"
        }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: stderr)
    }
}

@Suite(.timeLimit(.minutes(5))) struct CTraderCLITests {
    static let mixedInput =
        [
            #"{"payloadType":2101}"#,
            "hello",
            #"{"clientMsgId":"cm_id_2","payloadType":2100,"payload":{"clientId":"a","clientSecret":"b"}}"#,
            "",
            #"{"payloadType":2100,"payload":{"clientId":"a"}}"#,
            #"{"payloadType":2142,"payload":{"errorCode":"INVALID_REQUEST","description":"Malformed JSON message at 1:6"}}"#,
        ].joined(separator: "\n") + "\n"

    @Test func decodeReportsBadLinesAndGoesOn() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctrader-decode-\(UUID().uuidString).jsonl"
        )
        try Data(Self.mixedInput.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let result = try await CTraderBinary.runAsync(["decode", file.path])
        #expect(result.status != 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == "PROTO_OA_APPLICATION_AUTH_RES ProtoOAApplicationAuthRes {}")
        #expect(
            lines[1]
                == #"PROTO_OA_APPLICATION_AUTH_REQ clientMsgId="cm_id_2" ProtoOAApplicationAuthReq { clientId: "a" clientSecret: "b" }"#
        )
        #expect(lines[2].hasPrefix("PROTO_OA_ERROR_RES ProtoOAErrorRes { errorCode: \"INVALID_REQUEST\""))
        let errors = result.stderr.split(separator: "\n").map(String.init)
        #expect(errors.count == 2)
        #expect(errors.first?.hasPrefix("line 2: malformedJSON at 1:6") == true)
        #expect(errors.last?.hasPrefix("line 5: missingRequiredField") == true)
        #expect(errors.last?.contains("clientSecret") == true)
    }

    @Test func decodeFromStandardInputAsJSON() async throws {
        let input =
            #"{"clientMsgId": "cm_id_2", "payloadType": 2100, "payload": {"clientId": "34Rsd_T098asHkl","clientSecret": "validClientSecret"}}"#
            + "\n" + #"{"payloadType":51}"# + "\n"
        let result = try await CTraderBinary.runAsync(["decode", "--json"], stdin: input)
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(
            result.stdout
                == #"{"clientMsgId":"cm_id_2","payloadType":2100,"payload":{"clientId":"34Rsd_T098asHkl","clientSecret":"validClientSecret"}}"#
                + "\n" + #"{"payloadType":51,"payload":{}}"# + "\n"
        )
    }

    @Test func encodePrintsTheEnvelope() async throws {
        let result = try await CTraderBinary.runAsync([
            "encode", "PROTO_OA_NEW_ORDER_REQ",
            #"{"ctidTraderAccountId":"9007199254740993","symbolId":1,"orderType":"MARKET","tradeSide":1,"volume":100}"#,
            "--client-msg-id", "o1",
        ])
        #expect(result.status == 0)
        #expect(
            result.stdout
                == #"{"clientMsgId":"o1","payloadType":2106,"payload":{"ctidTraderAccountId":9007199254740993,"symbolId":1,"orderType":1,"tradeSide":1,"volume":100}}"#
                + "\n"
        )
        #expect(
            try await CTraderBinary.runAsync(["encode", "2104"]).stdout == #"{"payloadType":2104,"payload":{}}"# + "\n")
    }

    @Test(arguments: [
        (["encode", "2100", #"{"clientId":"a"}"#], "clientSecret"),
        (["encode", "NO_SUCH_TYPE", "{}"], "NO_SUCH_TYPE"),
        (["encode", "2100", #"{"clientId":"a","clientSecret":"b","bogus":1}"#], "bogus"),
        (["encode", "2104", "{"], "malformedJSON at 1:2"),
    ])
    func encodeRejectsWithAOneLineError(arguments: [String], mentions: String) async throws {
        let result = try await CTraderBinary.runAsync(arguments)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
    }
}
