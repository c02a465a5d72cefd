// swift-ctrader: the replay connector: a recorded session played back to a client.

import CTraderChannel
import CTraderMessaging
import Foundation
import Logging
import Testing

/// A tape entry for an envelope.
private func entry(
    _ envelope: Envelope, _ direction: CTraderTapeDirection, time: Int64 = 0, connection: Int = 1,
    redacted: Bool = true
) throws -> CTraderTapeEntry {
    let taped = redacted ? CTraderTapeRedaction.redacted(envelope) : envelope
    return CTraderTapeEntry(
        time: time, direction: direction, connection: connection,
        content: .envelope(json: try JSONEnvelopeCodec().encode(taped)))
}

private func subscribe(_ symbols: [Int64]) -> ProtoOASubscribeSpotsReq {
    var request = ProtoOASubscribeSpotsReq()
    request.ctidTraderAccountID = 5
    request.symbolID = symbols
    return request
}

private func spot(_ bid: UInt64) -> ProtoOASpotEvent {
    var event = ProtoOASpotEvent()
    event.ctidTraderAccountID = 5
    event.symbolID = 1
    event.bid = bid
    return event
}

/// A recorded session: application auth, a spot subscription, three spots.
private func recordedSession() throws -> CTraderTape {
    var subscribed = ProtoOASubscribeSpotsRes()
    subscribed.ctidTraderAccountID = 5
    return CTraderTape(entries: [
        try entry(Envelope(applicationAuth(secret: "recorded-secret"), clientMsgId: "t1"), .sent),
        try entry(Envelope(ProtoOAApplicationAuthRes(), clientMsgId: "t1"), .received),
        try entry(Envelope(ProtoHeartbeatEvent()), .sent),
        try entry(Envelope(subscribe([1]), clientMsgId: "t2"), .sent),
        try entry(Envelope(subscribed, clientMsgId: "t2"), .received),
        try entry(Envelope(spot(110_001)), .received),
        try entry(Envelope(spot(110_002)), .received),
        try entry(Envelope(spot(110_003)), .received),
    ])
}

/// The replay logs a mismatch at error level: kept out of the test output.
private let quietLogger: Logger = {
    var logger = Logger(label: "test.replay")
    logger.logLevel = .critical
    return logger
}()

struct CTraderReplayTests {
    @Test func aMatchingClientGetsTheTapedAnswersWithItsOwnClientMsgIds() async throws {
        let replay = CTraderReplay(tape: try recordedSession())
        let channel = try await replay.connector.open(logger: quietLogger)
        // Another secret and clientMsgId than the tape's: the secret is redacted, ids are the client's.
        try await channel.send(Envelope(applicationAuth(secret: "another-secret"), clientMsgId: "c1"))
        let auth = try #require(try await channel.receive())
        #expect(auth.payloadType == .protoOaApplicationAuthRes)
        #expect(auth.clientMsgId == "c1")
        try await channel.send(Envelope(ProtoHeartbeatEvent()))  // heartbeats are not matched
        try await channel.send(Envelope(subscribe([1]), clientMsgId: "c2"))
        let subscribed = try #require(try await channel.receive())
        #expect(subscribed.payloadType == .protoOaSubscribeSpotsRes)
        #expect(subscribed.clientMsgId == "c2")
        var bids: [UInt64] = []
        for _ in 0..<3 {
            bids.append(try #require(try await channel.receive()?.message(as: ProtoOASpotEvent.self)).bid)
        }
        #expect(bids == [110_001, 110_002, 110_003])
        #expect(replay.firstMismatch == nil)
        await channel.close()
        #expect(try await channel.next() == nil)
    }

    @Test func answersWaitForTheirRequest() async throws {
        let replay = CTraderReplay(tape: try recordedSession())
        let channel = try await replay.connector.open(logger: quietLogger)
        let reader = Task { try await channel.receive()?.clientMsgId }
        try await channel.send(Envelope(applicationAuth(secret: "x"), clientMsgId: "late"))
        #expect(try await reader.value == "late")
        await channel.close()
    }

    @Test func theFirstDifferentRequestIsNamed() async throws {
        let replay = CTraderReplay(tape: try recordedSession())
        let channel = try await replay.connector.open(logger: quietLogger)
        try await channel.send(Envelope(applicationAuth(secret: "x"), clientMsgId: "1"))
        let mismatch = await #expect(throws: CTraderReplayMismatch.self) {
            try await channel.send(Envelope(subscribe([1, 2]), clientMsgId: "2"))
        }
        #expect(mismatch?.connection == 1)
        #expect(mismatch?.request == 2)
        #expect(mismatch?.reason == "payload.symbolId[1]: the tape has nothing, the client sent 2")
        #expect("\(mismatch!)".contains("request 2 of connection 1 differs from the tape"))
        #expect(replay.firstMismatch == mismatch)
        await #expect(throws: CTraderReplayMismatch.self) {
            try await channel.send(Envelope(subscribe([1]), clientMsgId: "3"))
        }
        #expect(replay.firstMismatch == mismatch, "the first mismatch is kept")
        await channel.close()
    }

    @Test func anotherPayloadTypeIsNamed() async throws {
        let replay = CTraderReplay(tape: try recordedSession())
        let channel = try await replay.connector.open(logger: quietLogger)
        let mismatch = await #expect(throws: CTraderReplayMismatch.self) {
            try await channel.send(Envelope(ProtoOAVersionReq(), clientMsgId: "1"))
        }
        #expect(
            mismatch?.reason
                == "payloadType: the tape has PROTO_OA_APPLICATION_AUTH_REQ (2100), the client sent PROTO_OA_VERSION_REQ (2104)"
        )
        await channel.close()
    }

    @Test func aRequestPastTheTapeAndAConnectionTooManyAreRefused() async throws {
        let replay = CTraderReplay(tape: try recordedSession())
        let channel = try await replay.connector.open(logger: quietLogger)
        try await channel.send(Envelope(applicationAuth(secret: "x"), clientMsgId: "1"))
        try await channel.send(Envelope(subscribe([1]), clientMsgId: "2"))
        let mismatch = await #expect(throws: CTraderReplayMismatch.self) {
            try await channel.send(Envelope(ProtoOAVersionReq(), clientMsgId: "3"))
        }
        #expect(mismatch?.reason.hasPrefix("the tape has no more requests") == true)
        await channel.close()
        await #expect(throws: CTraderReplayMismatch.self) {
            _ = try await replay.connector.open(logger: quietLogger)
        }
        #expect(replay.openedConnections == 2)
    }
}
