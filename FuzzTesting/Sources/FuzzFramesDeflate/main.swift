// Fuzz target: the frame decoder and the message assembler (WebSocketFrameReader) with
// permessage-deflate negotiated (RFC 7692), in both roles.
//
// Input: two flags bytes, then the bytes received.
// - byte 0, bit 0: the role (0 client, 1 server);
// - byte 0, bit 1: no context takeover;
// - byte 0, bits 2-4: the window bits, 8 + n (8 to 15);
// - byte 0, bits 5-6: how the bytes arrive: all at once, one at a time, or in chunks of 7 or 61;
// - byte 1, bits 0-1: the inflater's chunk size (16 B, 1 KiB, 16 KiB, 1 B);
// - byte 1, bit 2: small limits (frame 256, message 1 KiB after inflation, 4 fragments).
// Checks: no crash; every text message is valid UTF-8; no message passes the size limit (a
// deflate bomb must stop at it).

import CTraderFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramesDeflate(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 1 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let flags = input[0]
    let options = input[1]
    let stream = Array(input.dropFirst(2))
    let role: WebSocketRole = flags & 1 == 0 ? .client : .server
    let direction = PerMessageDeflateConfiguration.Direction(
        noContextTakeover: flags & 2 != 0,
        maxWindowBits: 8 + Int(flags >> 2 & 7)
    )
    let chunk = [Int.max, 1, 7, 61][Int(flags >> 5 & 3)]
    let small = options & 4 != 0
    let maxMessageSize = small ? 1024 : 256 << 10
    let inflater: PerMessageDeflateInflater
    do {
        inflater = try PerMessageDeflateInflater(direction, chunkSize: [16, 1024, 16 << 10, 1][Int(options & 3)])
    } catch {
        preconditionFailure("the inflater could not be made: \(error)")
    }
    var reader = WebSocketFrameReader(
        role: role,
        maxFrameSize: small ? 256 : 64 << 10,
        maxMessageSize: maxMessageSize,
        maxFragmentCount: small ? 4 : 64,
        inflater: inflater
    )
    var offset = 0
    while offset < stream.count {
        let end = stream.count - offset > chunk ? offset + chunk : stream.count
        reader.append(stream[offset..<end])
        offset = end
        do {
            while let event = try reader.nextEvent() {
                guard case .message(let message) = event else { continue }
                precondition(message.data.count <= maxMessageSize, "a message passed maxMessageSize")
                if message.isText {
                    precondition(
                        String(validating: message.data, as: UTF8.self) != nil, "a text message is not valid UTF-8"
                    )
                }
            }
        } catch {
            // A protocol error ends the connection: nothing more is read.
            return 0
        }
    }
    return 0
}
