// swift-ctrader: `ctrader ws` against the Python `websockets` echo server, run as a separate process.

import CTraderTestSupport
import Foundation
import Testing

@Suite(.enabled(if: TestPeers.available(TestPeers.python)), .timeLimit(.minutes(5)))
struct WSCommandTests {
    @Test(arguments: [false, true])
    func printsWhatTheEchoServerSendsBack(deflate: Bool) async throws {
        let (server, port) = try await PeerProcess.pythonEchoServer()
        defer { server.terminate() }
        let tape = temporaryPath("ws")
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let result = try await CTraderBinary.runAsync(
            ["ws", "ws://127.0.0.1:\(port)/", "--record", tape, "--count", "3", "--linger", "600"]
                + (deflate ? ["--deflate"] : []),
            stdin: "hello\n{\"payloadType\":51}\nwörld\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "text: hello\ntext: {\"payloadType\":51}\ntext: wörld\n")
        #expect(result.stderr.contains(deflate ? "extensions: permessage-deflate" : "extensions: none"))
        let closed = try await server.waitForLine { $0.hasPrefix("CLOSED ") }
        #expect(closed.hasPrefix("CLOSED 1000"))
        #expect(closed.contains("permessage-deflate") == deflate, "\(closed)")
        let lines = try tapeLines(tape)
        #expect(
            lines.map { $0["direction"] as? String } == ["sent", "received", "sent", "received", "sent", "received"]
                || lines.filter { $0["direction"] as? String == "sent" }.count == 3)
        #expect(lines.filter { $0["text"] as? String == "hello" }.count == 2)
        #expect(lines.filter { $0["envelope"] != nil }.count == 2)
    }
}
