import CTraderTestSupport
import Foundation
import Testing

extension ProcessTests {
    @Suite(.enabled(if: TestPeers.available(TestPeers.python)))
    struct EchoClient {
        /// The built `ws-echo-client`, next to the test bundle in the build products folder.
        static func echoClientPath() throws -> String {
            var candidates: [URL] = []
            if let executable = Bundle.main.executableURL {
                candidates.append(executable.deletingLastPathComponent())
            }
            for bundle in Bundle.allBundles {
                candidates.append(bundle.bundleURL.deletingLastPathComponent())
            }
            candidates.append(TestPeers.packageRoot.appendingPathComponent(".build/debug"))
            for directory in candidates {
                let path = directory.appendingPathComponent("ws-echo-client").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            throw EchoClientNotBuilt(searched: candidates.map(\.path))
        }

        @Test func runsEveryCaseOfAFuzzingserverStandIn() async throws {
            let echoClient = try Self.echoClientPath()
            let server = try PeerProcess(
                try TestPeers.python(), [peersDirectory.appendingPathComponent("fuzzingserver.py").path],
                currentDirectory: peersDirectory)
            defer { server.terminate() }
            let ready = try await server.waitForLine { $0.hasPrefix("READY ") }
            let port = try #require(Int(ready.dropFirst("READY ".count)))

            let client = try PeerProcess(echoClient, ["ws://127.0.0.1:\(port)", "swift ctrader"])
            let status = try await client.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "stdout: \(client.output); stderr: \(client.standardError)")

            _ = try await server.waitForLine(timeout: .seconds(30)) { $0.hasPrefix("REPORTS ") }
            let cases = server.output.filter { $0.hasPrefix("CASE ") }
            #expect(cases.count == 3, "\(server.output)")
            for line in cases {
                #expect(line.hasSuffix(" PASS"), "\(line)")
            }
            #expect(server.output.contains("REPORTS swift ctrader"))
        }
    }
}

struct EchoClientNotBuilt: Error, CustomStringConvertible {
    var searched: [String]
    var description: String {
        "ws-echo-client not found in \(searched); build it with: swift build --product ws-echo-client"
    }
}
