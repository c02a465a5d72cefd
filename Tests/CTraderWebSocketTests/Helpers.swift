import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging
import Testing

/// A logger that drops everything (tests assert behaviour, not logs).
let testLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// The folder of the Python peers.
let peersDirectory = TestPeers.packageRoot.appendingPathComponent("Tests/CTraderWebSocketTests/Peers")

/// Deterministic bytes with a prime period, so that reordering or loss shows.
func pattern(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 * 7 + seed) % 251) }
}

struct UnexpectedEnd: Error, CustomStringConvertible {
    var what: String
    var description: String { "unexpected end of stream: \(what)" }
}

/// Our client connected to our server over an in-memory pair.
func makeConnectedPair(
    chunking: InMemoryChunking = .asWritten,
    client: WebSocketConfiguration = WebSocketConfiguration(),
    server: WebSocketConfiguration = WebSocketConfiguration()
) async throws -> (client: WebSocketConnection, server: WebSocketConnection) {
    let (clientTransport, serverTransport) = InMemoryTransport.makePair(chunking: chunking)
    async let accepted = WebSocketConnection.accept(serverTransport, configuration: server, logger: testLogger)
    let connected = try await WebSocketConnection.connect(
        over: clientTransport, host: "memory", target: "/test?x=1", configuration: client, logger: testLogger)
    return (connected, try await accepted)
}

/// One end of a connection played by hand: the handshake and raw frames, for tests that need
/// to see or produce exact bytes.
struct RawPeer {
    let transport: any Transport
    var decoder: WebSocketFrameDecoder
    let encoder: WebSocketFrameEncoder

    /// Answers a client's handshake as a server (no extensions); returns the raw server.
    static func acceptingServer(_ transport: any Transport) async throws -> RawPeer {
        var parser = WebSocketHandshakeRequestParser()
        var buffer: [UInt8] = []
        while true {
            buffer.removeAll()
            guard try await transport.read(into: &buffer, maxLength: 4096) > 0 else {
                throw UnexpectedEnd(what: "request")
            }
            if let parsed = try parser.parse(buffer) {
                let accepted = try WebSocketServerHandshake().accept(parsed.request)
                try await transport.write(accepted.responseBytes)
                var peer = RawPeer(
                    transport: transport, decoder: WebSocketFrameDecoder(role: .server),
                    encoder: WebSocketFrameEncoder(role: .server))
                peer.decoder.append(parsed.remainder)
                return peer
            }
        }
    }

    /// Performs a client handshake; returns the raw client.
    static func connectingClient(_ transport: any Transport) async throws -> RawPeer {
        let handshake = WebSocketClientHandshake(host: "memory")
        try await transport.write(handshake.requestBytes)
        var parser = WebSocketHandshakeResponseParser()
        var buffer: [UInt8] = []
        while true {
            buffer.removeAll()
            guard try await transport.read(into: &buffer, maxLength: 4096) > 0 else {
                throw UnexpectedEnd(what: "response")
            }
            if let parsed = try parser.parse(buffer) {
                _ = try handshake.validate(parsed.response)
                var peer = RawPeer(
                    transport: transport, decoder: WebSocketFrameDecoder(role: .client),
                    encoder: WebSocketFrameEncoder(role: .client))
                peer.decoder.append(parsed.remainder)
                return peer
            }
        }
    }

    /// The next frame, or `nil` at end of stream.
    mutating func nextFrame() async throws -> WebSocketFrame? {
        var buffer: [UInt8] = []
        while true {
            if let frame = try decoder.nextFrame() { return frame }
            buffer.removeAll()
            let count: Int
            do {
                count = try await transport.read(into: &buffer, maxLength: 65536)
            } catch let error as TransportError where error.code == .connectionReset || error.code == .closed {
                return nil
            }
            if count == 0 { return nil }
            decoder.append(buffer)
        }
    }

    /// Encodes and writes one frame (masked in the client role).
    func send(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) async throws {
        var bytes: [UInt8] = []
        try encoder.encode(opcode: opcode, payload: payload, fin: fin, into: &bytes)
        try await transport.write(bytes)
    }

    /// Reads frames until a close frame; returns its code (`nil` for an empty payload).
    mutating func closeCode() async throws -> WebSocketCloseCode? {
        while let frame = try await nextFrame() {
            if frame.opcode == .close {
                return try WebSocketClosePayload(decoding: frame.payload).code
            }
        }
        throw UnexpectedEnd(what: "no close frame")
    }
}
