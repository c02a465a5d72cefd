// Fuzz target: the JSON envelope decoder (JSONEnvelopeCodec.decode), which scans the envelope
// (EnvelopeScanner), then decodes the payload by the hot path or swift-protobuf's JSON decoder.
//
// Input: the JSON text of one envelope, as a WebSocket text message carries it.
// Each input is decoded twice: skipping unknown payload keys (the default) and rejecting them.
// Checks: no crash; a decoded envelope that encodes again decodes to the same bytes (the
// encoding is stable); an envelope's message, when present, is of its payloadType.

import CTraderMessaging

let lenient = JSONEnvelopeCodec(maximumMessageSize: 64 << 10)
let strict = JSONEnvelopeCodec(maximumMessageSize: 64 << 10, ignoreUnknownFields: false)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONEnvelope(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    for codec in [lenient, strict] {
        guard let envelope = try? codec.decode(bytes[...]) else { continue }
        if let message = envelope.message {
            precondition(
                type(of: message).messagePayloadType == envelope.payloadType,
                "the message's type is not the envelope's payloadType"
            )
        }
        // Strict encoding may refuse what decoding let through (an unknown enum number in a
        // required field); what it writes must read back and write the same again.
        guard let encoded = try? codec.encode(envelope) else { continue }
        let again: Envelope
        do {
            again = try codec.decode(encoded)
        } catch {
            preconditionFailure("an encoded envelope does not decode: \(error)")
        }
        precondition(again.payloadType == envelope.payloadType, "the payloadType changed in a round trip")
        precondition(again.clientMsgId == envelope.clientMsgId, "the clientMsgId changed in a round trip")
        precondition((try? codec.encode(again)) == encoded, "encoding is not stable")
    }
    return 0
}
