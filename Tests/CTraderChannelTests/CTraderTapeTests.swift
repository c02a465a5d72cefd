// swift-ctrader: the tape format: one JSON object per line.

import CTraderChannel
import CTraderMessaging
import Foundation
import Testing

struct CTraderTapeTests {
    @Test func anEntryRoundTripsThroughItsLine() throws {
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 7
        spot.symbolID = 1
        spot.bid = 110_000
        let json = try JSONEnvelopeCodec().encode(Envelope(spot, clientMsgId: "x"))
        let entries = [
            CTraderTapeEntry(time: 1_000, direction: .received, connection: 2, content: .envelope(json: json)),
            CTraderTapeEntry(time: 1_001, direction: .sent, connection: 1, content: .text("hé \"quoted\"\nline")),
            CTraderTapeEntry(time: 1_002, direction: .received, connection: 1, content: .binary([0, 1, 255])),
            CTraderTapeEntry(
                time: 1_003, direction: .received, connection: 1, content: .undecodable(reason: "bad", bytes: [9])),
        ]
        let text = entries.map { String(decoding: $0.jsonLine, as: UTF8.self) }.joined(separator: "\n") + "\n"
        #expect(text.split(separator: "\n").count == 4, "one line per entry")
        let tape = try CTraderTape(jsonLines: Array(text.utf8))
        #expect(tape.entries.map(\.time) == [1_000, 1_001, 1_002, 1_003])
        #expect(tape.entries.map(\.direction) == [.received, .sent, .received, .received])
        #expect(tape.entries.map(\.connection) == [2, 1, 1, 1])
        #expect(Array(tape.entries.dropFirst().map(\.content)) == Array(entries.dropFirst().map(\.content)))
        let decoded = try #require(try tape.entries[0].envelope())
        #expect(decoded.clientMsgId == "x")
        #expect(decoded.message(as: ProtoOASpotEvent.self) == spot)
        #expect(tape.entries[0].payloadType == .protoOaSpotEvent)
        #expect(tape.envelopes(.received).count == 1)
        #expect(tape.durationMilliseconds == 3)
    }

    @Test func aBadLineIsNamed() throws {
        let text = """
            {"time":1,"direction":"sent","connection":1,"text":"a"}

            {"time":2,"direction":"sideways","connection":1,"text":"b"}
            """
        #expect {
            try CTraderTape(jsonLines: Array(text.utf8))
        } throws: { error in
            (error as? CTraderTapeError)?.line == 3
        }
    }

    @Test func secretsAreRedactedByType() throws {
        var app = ProtoOAApplicationAuthReq()
        app.clientID = "id"
        app.clientSecret = "s3cret"
        var account = ProtoOAAccountAuthReq()
        account.ctidTraderAccountID = 1
        account.accessToken = "access-1"
        var list = ProtoOAGetAccountListByAccessTokenReq()
        list.accessToken = "access-2"
        var refresh = ProtoOARefreshTokenReq()
        refresh.refreshToken = "refresh-1"
        var refreshed = ProtoOARefreshTokenRes()
        refreshed.accessToken = "access-3"
        refreshed.refreshToken = "refresh-2"
        refreshed.tokenType = "bearer"
        refreshed.expiresIn = 60
        let codec = JSONEnvelopeCodec()
        for envelope in [Envelope(app), Envelope(account), Envelope(list), Envelope(refresh), Envelope(refreshed)] {
            let text = try codec.encodeString(CTraderTapeRedaction.redacted(envelope))
            for secret in ["s3cret", "access-1", "access-2", "access-3", "refresh-1", "refresh-2"] {
                #expect(!text.contains(secret), "\(text)")
            }
            #expect(text.contains(CTraderTapeRedaction.marker))
        }
        #expect(try codec.encodeString(CTraderTapeRedaction.redacted(Envelope(app))).contains("\"id\""))
    }
}
