// Fuzz target: the frame decoder and the message assembler (WebSocketFrameReader), without
// compression, in both roles.
//
// Input: one flags byte, then the bytes received.
// - bit 0: the role (0 client: reads the server's unmasked frames; 1 server: masked frames);
// - bits 1-2: how the bytes arrive: all at once, one at a time, or in chunks of 7 or 61;
// - bit 3: small limits (frame 256, message 512, 4 fragments) instead of 64 KiB ones.
// Checks: no crash; every text message is valid UTF-8; no message passes the size limit.

import CTraderFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let flags = input[0]
    let stream = Array(input.dropFirst())
    let role: WebSocketRole = flags & 1 == 0 ? .client : .server
    let chunk = [Int.max, 1, 7, 61][Int(flags >> 1 & 3)]
    let small = flags & 8 != 0
    let maxMessageSize = small ? 512 : 64 << 10
    var reader = WebSocketFrameReader(
        role: role,
        maxFrameSize: small ? 256 : 64 << 10,
        maxMessageSize: maxMessageSize,
        maxFragmentCount: small ? 4 : 64
    )
    var offset = 0
    while offset < stream.count {
        let end = stream.count - offset > chunk ? offset + chunk : stream.count
        reader.append(stream[offset..<end])
        offset = end
        do {
            while let event = try reader.nextEvent() {
                check(event, maxMessageSize: maxMessageSize)
            }
        } catch {
            // A protocol error ends the connection: nothing more is read.
            return 0
        }
    }
    return 0
}

/// Traps (a finding) when an event breaks what the reader promises.
func check(_ event: WebSocketMessageAssembler.Event, maxMessageSize: Int) {
    guard case .message(let message) = event else { return }
    precondition(message.data.count <= maxMessageSize, "a message passed maxMessageSize")
    if message.isText {
        precondition(String(validating: message.data, as: UTF8.self) != nil, "a text message is not valid UTF-8")
    }
}
