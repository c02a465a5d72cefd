// Fuzz target: the server's reading of a handshake request: WebSocketHandshakeRequestParser,
// then WebSocketServerHandshake.accept (validation, permessage-deflate and subprotocol
// negotiation) and the response it writes.
//
// Input: one flags byte, then the bytes received.
// - bits 0-1: how the bytes arrive: all at once, one at a time, or in chunks of 7 or 61;
// - bit 2: a small head limit (256 bytes instead of 16 KiB);
// - bit 3: the server asks for no context takeover and window bits 10.
// Checks: no crash; the remainder is exactly the bytes after the head; an accepted request's
// response parses as a 101 that a client offering what the request offered accepts; a refusal's
// response parses too.

import CTraderFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshakeRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let flags = input[0]
    let stream = Array(input.dropFirst())
    let chunk = [Int.max, 1, 7, 61][Int(flags & 3)]
    let deflate =
        flags & 8 != 0
        ? PerMessageDeflateServerConfiguration(
            serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10,
            clientMaxWindowBits: 10
        )
        : PerMessageDeflateServerConfiguration()
    let server = WebSocketServerHandshake(perMessageDeflate: deflate, subprotocols: ["json", "v2"])
    var parser = WebSocketHandshakeRequestParser(maximumHeaderSize: flags & 4 != 0 ? 256 : 16 * 1024)
    var offset = 0
    while offset < stream.count {
        let end = stream.count - offset > chunk ? offset + chunk : stream.count
        let parsed: (request: WebSocketHandshakeRequest, remainder: [UInt8])?
        do {
            parsed = try parser.parse(stream[offset..<end])
        } catch {
            checkRefusal(error)
            return 0
        }
        offset = end
        guard let (request, remainder) = parsed else { continue }
        precondition(remainder.count <= end, "the remainder is longer than the input")
        precondition(remainder[...] == stream[(end - remainder.count)..<end], "the remainder is not the input's tail")
        _ = request.path
        _ = request.query
        _ = request.queryItems
        let accepted: WebSocketServerHandshake.Accepted
        do {
            accepted = try server.accept(request)
        } catch {
            checkRefusal(error)
            return 0
        }
        checkResponse(accepted, to: request)
        return 0
    }
    return 0
}

/// The 101 must read back as one, and satisfy a client that offered what the request offered.
func checkResponse(_ accepted: WebSocketServerHandshake.Accepted, to request: WebSocketHandshakeRequest) {
    var responseParser = WebSocketHandshakeResponseParser()
    guard let (response, rest) = try? responseParser.parse(accepted.responseBytes) else {
        preconditionFailure("the 101 response does not parse")
    }
    precondition(rest.isEmpty && response.status == 101, "the 101 response is not one head with status 101")
    let offer = request.headers["Sec-WebSocket-Extensions"].joined(separator: ", ")
    let client = WebSocketClientHandshake(
        host: "example.com",
        extensionOffer: offer.isEmpty ? .none : .raw(offer),
        subprotocols: request.headers.listElements("Sec-WebSocket-Protocol"),
        key: request.headers["Sec-WebSocket-Key"][0]
    )
    do {
        let agreed = try client.validate(response)
        precondition(agreed.perMessageDeflate == accepted.perMessageDeflate, "client and server disagree on deflate")
        precondition(agreed.subprotocol == accepted.subprotocol, "client and server disagree on the subprotocol")
    } catch {
        preconditionFailure("a client offering what the request offered refuses the 101: \(error)")
    }
}

/// The refusal must read back as one head with a 4xx status.
func checkRefusal(_ error: WebSocketHandshakeError) {
    var responseParser = WebSocketHandshakeResponseParser()
    guard let (response, _) = try? responseParser.parse(WebSocketServerHandshake.rejectionBytes(for: error)) else {
        preconditionFailure("the refusal does not parse")
    }
    precondition((400..<500).contains(response.status), "the refusal's status is not 4xx")
}
