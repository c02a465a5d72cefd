// swift-ctrader: the hot-path decoders must give exactly what the generic path gives.

import SwiftProtobuf
import Testing
import _CTraderLocking

@testable import CTraderMessaging

@Suite(.timeLimit(.minutes(5))) struct HotPayloadDecoderTests {
    /// A small deterministic generator, so a failure can be replayed.
    struct Generator {
        var splitMix: SplitMix64
        init(state: UInt64) { splitMix = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { splitMix.next() }
        mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
        mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
    }

    static let int64Values: [Int64] = [
        0, 1, -1, 42, 108_477, 1_732_530_000_123, 9_007_199_254_740_993, .max, .min, .min + 1,
    ]
    static let uint64Values: [UInt64] = [0, 1, 108_479, 9_007_199_254_740_993, .max, UInt64(Int64.max) + 1]

    /// The text of one value: usually plain, sometimes a form only the generic path handles.
    static func render(int64 value: Int64, _ generator: inout Generator) -> String {
        switch generator.next() % 20 {
        case 0: return "\"\(value)\""
        case 1: return "\(value).0"
        case 2: return "\(value)e0"
        case 3: return "null"
        case 4: return value == 0 ? "-0" : "0\(value)"
        case 5: return "\" \(value)\""
        default: return "\(value)"
        }
    }

    static func render(uint64 value: UInt64, _ generator: inout Generator) -> String {
        switch generator.next() % 20 {
        case 0: return "\"\(value)\""
        case 1: return "-\(value)"
        case 2: return "\(value)1"  // may overflow
        case 3: return "1E2"
        case 4: return "true"
        default: return "\(value)"
        }
    }

    /// A spot-event payload with a random subset of fields in random order and random spacing.
    static func makePayload(_ generator: inout Generator) -> String {
        var members: [String] = []
        if generator.chance(90) {
            members.append(#""ctidTraderAccountId":\#(render(int64: generator.pick(int64Values), &generator))"#)
        }
        if generator.chance(90) {
            members.append(#""symbolId":\#(render(int64: generator.pick(int64Values), &generator))"#)
        }
        for key in ["bid", "ask", "sessionClose"] where generator.chance(60) {
            members.append(#""\#(key)":\#(render(uint64: generator.pick(uint64Values), &generator))"#)
        }
        if generator.chance(60) {
            members.append(#""timestamp":\#(render(int64: generator.pick(int64Values), &generator))"#)
        }
        if generator.chance(15) {
            members.append(
                generator.pick([
                    #""payloadType":2131"#, #""payloadType":"PROTO_OA_SPOT_EVENT""#, #""payloadType":99999"#,
                ])
            )
        }
        if generator.chance(5) {
            members.append(
                generator.pick([
                    #""trendbar":[]"#, #""trendbar":[{"volume":5,"period":1,"low":100}]"#, #""unknownKey":1"#,
                    #""b\u0069d":5"#, #""symbolId":3"#,
                ])
            )
        }
        // Shuffle.
        for index in members.indices.reversed() where index > 0 {
            members.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        let space = { (generator: inout Generator) -> String in
            generator.chance(10) ? generator.pick([" ", "\n", "\t ", "\r\n"]) : ""
        }
        var text = "{" + space(&generator)
        for (index, member) in members.enumerated() {
            if index > 0 { text += space(&generator) + "," + space(&generator) }
            text += member
        }
        return text + space(&generator) + "}"
    }

    @Test func spotEventHotPathMatchesGenericPath() throws {
        var generator = Generator(state: 2131)
        let codec = JSONEnvelopeCodec()
        var hotHits = 0
        let total = 5000
        for _ in 0..<total {
            let payload = Self.makePayload(&generator)
            if HotPayloadDecoder.spotEvent(Array(payload.utf8)[...]) != nil { hotHits += 1 }
            // The reference: the generic path alone (decodePayload never takes the hot path).
            let reference: Result<ProtoOASpotEvent, MessagingError>
            do {
                let message = try codec.decodePayload(payload, payloadType: .protoOaSpotEvent)
                reference = .success(try #require(message as? ProtoOASpotEvent))
            } catch let error as MessagingError {
                reference = .failure(error)
            }
            // The codec: the hot path when the payload has its shape, else the generic one.
            let actual: Result<ProtoOASpotEvent, MessagingError>
            do {
                let envelope = try codec.decode(#"{"payloadType":2131,"payload":\#(payload)}"#)
                actual = .success(try #require(envelope.message(as: ProtoOASpotEvent.self)))
            } catch let error as MessagingError {
                actual = .failure(error)
            }
            switch (reference, actual) {
            case (.success(let expected), .success(let decoded)):
                #expect(decoded == expected, "payload \(payload)")
            case (.failure(let expected), .failure(let error)):
                #expect(error.code == expected.code, "payload \(payload)")
                #expect(error.fieldPath == expected.fieldPath, "payload \(payload)")
            default:
                Issue.record("payload \(payload): generic \(reference), codec \(actual)")
            }
        }
        // Most inputs take the hot path, so it is what the comparison exercises.
        #expect(hotHits > total / 4)
    }

    @Test(arguments: [
        #"{"ctidTraderAccountId":"9007199254740993","symbolId":"-9223372036854775808","bid":"18446744073709551615"}"#,
        #"{"ctidTraderAccountId":1,"symbolId":2}"#,
        #"{ "symbolId" : 7 , "ctidTraderAccountId" : 44322853 , "timestamp" : 1732530000123 }"#,
        #"{"ctidTraderAccountId":44322853,"symbolId":1,"bid":108477,"ask":108479,"timestamp":1732530000123}"#,
    ])
    func spotEventTakesTheHotPath(payload: String) throws {
        let hot = try #require(HotPayloadDecoder.spotEvent(Array(payload.utf8)[...]))
        let generic = try ProtoOASpotEvent(jsonString: payload)
        #expect(hot == generic)
    }

    @Test(arguments: [
        #"{"ctidTraderAccountId":1,"symbolId":2,"bid":null}"#,
        #"{"ctidTraderAccountId":1,"symbolId":2,"bid":1.0}"#,
        #"{"ctidTraderAccountId":1,"symbolId":2,"bid":18446744073709551616}"#,
        #"{"ctidTraderAccountId":1,"symbolId":2,"symbolId":3}"#,
        #"{"ctidTraderAccountId":1,"symbolId":2,"trendbar":[]}"#,
        #"{"ctidTraderAccountId":1,"symbolId":2,"extra":true}"#,
        #"{"ctidTraderAccountId":-0,"symbolId":2}"#,
        #"{"ctidTraderAccountId":01,"symbolId":2}"#,
        #"{"payloadType":"PROTO_OA_SPOT_EVENT","ctidTraderAccountId":1,"symbolId":2}"#,
        #"{"ctid\u0054raderAccountId":1,"symbolId":2}"#,
    ])
    func spotEventLeavesOtherShapesToTheGenericPath(payload: String) {
        #expect(HotPayloadDecoder.spotEvent(Array(payload.utf8)[...]) == nil)
    }

    @Test func envelopeKeysWithEscapesAreDecodedBeforeMatching() throws {
        let codec = JSONEnvelopeCodec()
        let plain = try codec.decode(
            #"{"clientMsgId":"7","payloadType":2131,"payload":{"ctidTraderAccountId":1,"symbolId":2}}"#
        )
        let escaped = try codec.decode(
            #"{"client\u004DsgId":"7","payload\u0054ype":2131,"p\u0061yload":{"ctidTraderAccountId":1,"symbolId":2}}"#
        )
        #expect(escaped.payloadType == plain.payloadType)
        #expect(escaped.clientMsgId == "7")
        #expect(escaped.message(as: ProtoOASpotEvent.self) == plain.message(as: ProtoOASpotEvent.self))
        // A key that only starts like an envelope key is another key.
        let other = try codec.decode(
            #"{"payloadTypes":1,"payloadType":2131,"payloadX":{},"payload":{"ctidTraderAccountId":1,"symbolId":2}}"#
        )
        #expect(other.payloadType == .protoOaSpotEvent)
        #expect(other.message(as: ProtoOASpotEvent.self) == plain.message(as: ProtoOASpotEvent.self))
    }
}
