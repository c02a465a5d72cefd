// Fuzz target: the binary (protobuf) envelope decoder: BinaryFrameDecoder cutting a TCP stream
// into length-prefixed frames, and BinaryEnvelopeCodec.decode reading each `ProtoMessage`.
//
// Input: one flags byte, then either (bit 0 clear) one frame body, or (bit 0 set) a stream of
// length-prefixed frames, with a maximum frame length of 4 KiB.
// Checks: no crash; a decoded envelope that encodes again decodes to the same bytes; an
// envelope's message, when present, is of its payloadType.

import CTraderMessaging

let codec = BinaryEnvelopeCodec()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryEnvelope(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let rest = Array(input.dropFirst())
    guard input[0] & 1 != 0 else {
        check(rest)
        return 0
    }
    var frames = BinaryFrameDecoder(maximumFrameLength: 4096)
    frames.append(rest)
    while true {
        let body: [UInt8]?
        do {
            body = try frames.nextFrame()
        } catch {
            return 0
        }
        guard let body else { break }
        check(body)
    }
    precondition(frames.bufferedByteCount < 4 + 4096, "a whole frame was left buffered")
    return 0
}

func check(_ body: [UInt8]) {
    guard let envelope = try? codec.decode(body) else { return }
    if let message = envelope.message {
        precondition(
            type(of: message).messagePayloadType == envelope.payloadType,
            "the message's type is not the envelope's payloadType"
        )
    }
    guard let encoded = try? codec.encode(envelope) else { return }
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
