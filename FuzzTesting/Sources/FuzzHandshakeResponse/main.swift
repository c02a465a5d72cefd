// Fuzz target: the client's reading of a handshake response: WebSocketHandshakeResponseParser,
// then WebSocketClientHandshake.validate (permessage-deflate and subprotocol negotiation), then
// the inflater the agreement configures.
//
// Input: one flags byte, then the bytes received.
// - bits 0-1: how the bytes arrive: all at once, one at a time, or in chunks of 7 or 61;
// - bit 2: a small head limit (256 bytes instead of 16 KiB);
// - bit 3: offer permessage-deflate with no context takeover and window bits 10 too.
// The client's key is RFC 6455's example, so a seed can carry the right Sec-WebSocket-Accept
// ("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").
// Checks: no crash; the remainder the parser returns is exactly the bytes after the head.

import CTraderFraming

let key = "dGhlIHNhbXBsZSBub25jZQ=="

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshakeResponse(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let flags = input[0]
    let stream = Array(input.dropFirst())
    let chunk = [Int.max, 1, 7, 61][Int(flags & 3)]
    var offers = [PerMessageDeflateClientConfiguration()]
    if flags & 8 != 0 {
        offers.insert(
            PerMessageDeflateClientConfiguration(
                serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10,
                clientMaxWindowBits: .bits(10)
            ),
            at: 0
        )
    }
    let handshake = WebSocketClientHandshake(
        host: "example.com", port: 8443, isSecure: true, target: "/chat?x=1",
        extensionOffer: .perMessageDeflate(offers: offers), subprotocols: ["json", "v2"], key: key
    )
    var parser = WebSocketHandshakeResponseParser(maximumHeaderSize: flags & 4 != 0 ? 256 : 16 * 1024)
    var offset = 0
    while offset < stream.count {
        let end = stream.count - offset > chunk ? offset + chunk : stream.count
        let parsed: (response: WebSocketHandshakeResponse, remainder: [UInt8])?
        do {
            parsed = try parser.parse(stream[offset..<end])
        } catch {
            return 0
        }
        offset = end
        guard let (response, remainder) = parsed else { continue }
        precondition(remainder.count <= end, "the remainder is longer than the input")
        precondition(remainder[...] == stream[(end - remainder.count)..<end], "the remainder is not the input's tail")
        guard let accepted = try? handshake.validate(response) else { return 0 }
        if let deflate = accepted.perMessageDeflate {
            let configuration = deflate.configuration(for: .client)
            precondition((8...15).contains(configuration.inbound.maxWindowBits), "inbound window bits out of range")
            precondition((8...15).contains(configuration.outbound.maxWindowBits), "outbound window bits out of range")
            do {
                _ = try PerMessageDeflateInflater(configuration.inbound)
                _ = try PerMessageDeflateDeflater(configuration.outbound)
            } catch {
                preconditionFailure("an agreed configuration cannot be run: \(error)")
            }
        }
        if let subprotocol = accepted.subprotocol {
            precondition(handshake.subprotocols.contains(subprotocol), "an unoffered subprotocol was accepted")
        }
        return 0
    }
    return 0
}
