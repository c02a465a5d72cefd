// swift-ctrader: tests of the protobuf channel.

import CTraderChannel
import CTraderMessaging
import CTraderTestSupport
import CTraderTransport
import Testing

@Suite struct ProtobufChannelTests {
    static func pair(
        chunking: InMemoryChunking = .asWritten, maximumFrameLength: Int = BinaryFrameDecoder.defaultMaximumFrameLength
    )
        -> (client: ProtobufChannel, server: ProtobufChannel)
    {
        let (client, server) = InMemoryTransport.makePair(chunking: chunking)
        return (
            ProtobufChannel(transport: client),
            ProtobufChannel(transport: server, maximumFrameLength: maximumFrameLength)
        )
    }

    @Test func envelopesRoundTripInBothDirections() async throws {
        let (client, server) = Self.pair()
        try await expectRequestAndAnswer(client: client, server: server)
    }

    @Test(arguments: [InMemoryChunking.oneByte, .fixed(3), .random(seed: 7, maxChunk: 11)])
    func framesSplitAcrossReadsArriveWhole(chunking: InMemoryChunking) async throws {
        let (client, server) = Self.pair(chunking: chunking)
        let ids = (0..<20).map { "id-\($0)" }
        for id in ids { try await client.send(Envelope(ProtoHeartbeatEvent(), clientMsgId: id)) }
        var received: [String?] = []
        for _ in ids { received.append(try await withTimeout { try await server.receive() }?.clientMsgId) }
        #expect(received == ids)
    }

    @Test func anUndecodableFrameIsSurfacedAndTheChannelGoesOn() async throws {
        let (clientTransport, serverTransport) = InMemoryTransport.makePair()
        let server = ProtobufChannel(transport: serverTransport)
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF]
        try await clientTransport.write([0, 0, 0, UInt8(garbage.count)] + garbage)
        try await clientTransport.write(BinaryEnvelopeCodec().encodeFrame(Envelope(ProtoHeartbeatEvent())))

        let first = try await withTimeout { try await server.next() }
        guard case .undecodable(_, let bytes) = first else {
            Issue.record("expected an undecodable element")
            return
        }
        #expect(bytes == garbage)
        let second = try await withTimeout { try await server.next() }
        guard case .envelope(let envelope) = second else {
            Issue.record("expected an envelope after the undecodable frame")
            return
        }
        #expect(envelope.payloadType == .heartbeatEvent)
    }

    @Test func receiveThrowsWhatDoesNotDecode() async throws {
        let (clientTransport, serverTransport) = InMemoryTransport.makePair()
        let server = ProtobufChannel(transport: serverTransport)
        try await clientTransport.write([0, 0, 0, 1, 0xFF])
        await #expect(throws: MessagingError.self) { try await withTimeout { try await server.receive() } }
    }

    @Test func aFrameLongerThanTheMaximumEndsTheStream() async throws {
        let (client, server) = Self.pair(maximumFrameLength: 8)
        var response = ProtoOAVersionRes()
        response.version = String(repeating: "9", count: 64)
        try await client.send(Envelope(response))
        let error = await #expect(throws: MessagingError.self) { try await withTimeout { try await server.next() } }
        #expect(error?.code == .messageTooLarge)
    }

    @Test func aCleanEndOfStreamIsNil() async throws {
        let (client, server) = Self.pair()
        await client.close()
        #expect(try await withTimeout { try await server.next() } == nil)
    }
}
