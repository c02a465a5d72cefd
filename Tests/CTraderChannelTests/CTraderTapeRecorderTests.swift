// swift-ctrader: the tape recorder and the recording channel.

import CTraderChannel
import CTraderMessaging
import CTraderTransport
import Foundation
import Testing

/// A fresh path in the temporary folder.
func temporaryTapePath(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    return FileManager.default.temporaryDirectory.appendingPathComponent("tape-\(safe)-\(UUID().uuidString).jsonl")
        .path
}

/// The application auth request of a test, with its secret.
func applicationAuth(secret: String) -> ProtoOAApplicationAuthReq {
    var auth = ProtoOAApplicationAuthReq()
    auth.clientID = "client"
    auth.clientSecret = secret
    return auth
}

struct CTraderTapeRecorderTests {
    @Test func entriesAreWrittenInOrderWithTheirTimeDirectionAndConnection() async throws {
        let path = temporaryTapePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try CTraderTapeRecorder(path: path, configuration: .init(now: { 42 }))
        let first = recorder.makeConnectionID()
        let second = recorder.makeConnectionID()
        #expect((first, second) == (1, 2))
        recorder.record(
            Envelope(applicationAuth(secret: "top-secret"), clientMsgId: "a"), direction: .sent, connection: 1)
        recorder.record(Envelope(ProtoOAApplicationAuthRes(), clientMsgId: "a"), direction: .received, connection: 1)
        recorder.record(.text("hello"), direction: .sent, connection: 2)
        await recorder.flush()
        let midway = try CTraderTape(contentsOf: URL(fileURLWithPath: path))
        #expect(midway.entries.count == 3, "flush writes everything queued")
        await recorder.close()
        recorder.record(.text("after close"), direction: .sent, connection: 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("top-secret"))
        #expect(!text.contains("after close"))
        let tape = try CTraderTape(contentsOf: URL(fileURLWithPath: path))
        #expect(tape.entries.map(\.direction) == [.sent, .received, .sent])
        #expect(tape.entries.map(\.connection) == [1, 1, 2])
        #expect(tape.entries.allSatisfy { $0.time == 42 })
        #expect(tape.entries[0].payloadType == .protoOaApplicationAuthReq)
        #expect(recorder.droppedEntries == 0)
    }

    @Test func redactionCanBeTurnedOff() async throws {
        let path = temporaryTapePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try CTraderTapeRecorder(path: path, configuration: .init(redactsSecrets: false))
        recorder.record(Envelope(applicationAuth(secret: "kept-secret")), direction: .sent, connection: 1)
        await recorder.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("kept-secret"))
    }

    @Test func aRecordingChannelTapesBothDirections() async throws {
        let (clientTransport, serverTransport) = InMemoryTransport.makePair()
        let path = temporaryTapePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try CTraderTapeRecorder(path: path)
        let client = RecordingChannel(ProtobufChannel(transport: clientTransport), recorder: recorder)
        let server = ProtobufChannel(transport: serverTransport)
        try await client.send(Envelope(applicationAuth(secret: "channel-secret"), clientMsgId: "1"))
        let request = try #require(try await server.receive())
        #expect(request.message(as: ProtoOAApplicationAuthReq.self)?.clientSecret == "channel-secret")
        try await server.send(Envelope(ProtoOAApplicationAuthRes(), clientMsgId: "1"))
        let answer = try #require(try await client.receive())
        #expect(answer.payloadType == .protoOaApplicationAuthRes)
        await client.close()
        await server.close()
        await recorder.close()
        let tape = try CTraderTape(contentsOf: URL(fileURLWithPath: path))
        #expect(tape.entries.map(\.direction) == [.sent, .received])
        #expect(tape.entries.map(\.payloadType) == [.protoOaApplicationAuthReq, .protoOaApplicationAuthRes])
        #expect(tape.entries.allSatisfy { $0.connection == 1 })
        let taped = try #require(try tape.entries[0].envelope()?.message(as: ProtoOAApplicationAuthReq.self))
        #expect(taped.clientSecret == CTraderTapeRedaction.marker)
    }
}
