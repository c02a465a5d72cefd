// swift-ctrader: a CTraderClient session recorded against the simulator, then replayed to a client.

import CTraderChannel
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import Foundation
import Testing

/// A client of `connector` with the demo credentials and no reconnect.
private func client(of connector: CTraderConnector) -> CTraderClient {
    CTraderClient(
        configuration: CTraderClientConfiguration(
            endpoint: .custom(connector),
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
            requestTimeout: .seconds(60),
            reconnect: CTraderReconnectPolicy(maximumAttempts: 0)))
}

/// Records a session: authorize, the symbol list, the details of EURUSD.
private func recordSession() async throws -> CTraderTape {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: path) }
    let recorder = try CTraderTapeRecorder(path: path.path)
    let simulator = try await startFastSimulator()
    let recording = client(of: CTraderConnector.webSocket(url: simulator.url).recording(into: recorder))
    try await running(simulator, recording, seconds: 120) {
        try await connectAndAuthorize(recording)
        _ = try await recording.symbols(account: hedged)
        var request = ProtoOASymbolByIdReq()
        request.ctidTraderAccountID = hedged
        request.symbolID = [eurusd]
        _ = try await recording.send(request, expecting: ProtoOASymbolByIdRes.self)
    }
    await recorder.close()
    return try CTraderTape(contentsOf: path)
}

struct ClientReplayTests {
    @Test func aReplayedSessionAnswersTheSameRequestsAndNamesTheFirstOtherOne() async throws {
        let tape = try await recordSession()

        // The same requests: the same answers, without a server.
        let replay = CTraderReplay(tape: tape)
        let same = client(of: replay.connector)
        try await withTimeout(.seconds(180)) {
            try await connectAndAuthorize(same)
            let symbols = try await same.symbols(account: hedged)
            #expect(symbols.symbol.contains { $0.symbolName == "EURUSD" })
            var request = ProtoOASymbolByIdReq()
            request.ctidTraderAccountID = hedged
            request.symbolID = [eurusd]
            let details = try await same.send(request, expecting: ProtoOASymbolByIdRes.self)
            #expect(details.symbol.first?.digits == 5)
        }
        await same.shutdown()
        #expect(replay.firstMismatch == nil)

        // Another symbol in the third request: refused, and named.
        let other = CTraderReplay(tape: tape)
        let bot = client(of: other.connector)
        await #expect(throws: (any Error).self) {
            try await withTimeout(.seconds(180)) {
                try await connectAndAuthorize(bot)
                _ = try await bot.symbols(account: hedged)
                var request = ProtoOASymbolByIdReq()
                request.ctidTraderAccountID = hedged
                request.symbolID = [2]
                _ = try await bot.send(request, expecting: ProtoOASymbolByIdRes.self)
            }
        }
        await bot.shutdown()
        let mismatch = try #require(other.firstMismatch)
        #expect(mismatch.request == 4)
        #expect(mismatch.reason == "payload.symbolId[0]: the tape has 1, the client sent 2")
    }
}
