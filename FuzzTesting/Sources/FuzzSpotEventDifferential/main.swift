// Differential fuzz target: the hot spot-event decoder (HotPayloadDecoder, taken by
// JSONEnvelopeCodec.decode when a ProtoOASpotEvent payload has the plain shape) against the
// generic swift-protobuf path (JSONEnvelopeCodec.decodePayload, which never takes the hot path).
//
// Input: the JSON text of a ProtoOASpotEvent payload (the object after "payload":).
// Both paths check the payload's syntax with the same scanner; an input that is not one JSON
// object is skipped (it would change the envelope around it, not the payload). For the rest
// the two must agree: equal messages (compared by their protobuf bytes), or the same error
// code and field.

import CTraderMessaging

let codec = JSONEnvelopeCodec()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpotEventDifferential(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let payload = String(validating: bytes, as: UTF8.self) else { return 0 }
    let generic: Result<[UInt8], MessagingError>
    do {
        let message = try codec.decodePayload(payload, payloadType: .protoOaSpotEvent)
        generic = .success(bytesOf(message, "generic"))
    } catch {
        // Not one JSON object: the envelope scanner's concern, not the payload decoders'.
        if error.code == .malformedJSON || error.reason == "the payload is not a JSON object" { return 0 }
        generic = .failure(error)
    }
    let codecResult: Result<[UInt8], MessagingError>
    do {
        let envelope = try codec.decode(Array(#"{"payloadType":2131,"payload":"#.utf8) + bytes + [UInt8(ascii: "}")])
        guard let message = envelope.message(as: ProtoOASpotEvent.self) else {
            preconditionFailure("a spot event envelope decoded to \(String(describing: envelope.messageName))")
        }
        codecResult = .success(bytesOf(message, "codec"))
    } catch {
        codecResult = .failure(error)
    }
    switch (generic, codecResult) {
    case (.success(let expected), .success(let actual)):
        precondition(actual == expected, "the hot path decoded another message than the generic path")
    case (.failure(let expected), .failure(let actual)):
        precondition(
            actual.code == expected.code && actual.fieldPath == expected.fieldPath,
            "the paths fail differently: generic \(expected), codec \(actual)"
        )
    default:
        preconditionFailure("the paths disagree: generic \(generic), codec \(codecResult)")
    }
    return 0
}

/// The message's protobuf bytes, through the binary envelope codec (no SwiftProtobuf import).
func bytesOf(_ message: any CTraderMessage, _ path: String) -> [UInt8] {
    var envelope = Envelope(payloadType: .protoOaSpotEvent, rawPayload: nil)
    envelope.message = message
    do {
        return try BinaryEnvelopeCodec().encode(envelope)
    } catch {
        // Decoding lets an unknown enum number through in a required field; encoding is strict.
        return Array("unencodable: \(error.code) \(String(describing: error.fieldPath))".utf8)
    }
}
