// swift-ctrader: channels of envelopes, for both the client and the server role.

public import CTraderMessaging
public import CTraderTransport

/// A ``CTraderChannel`` speaking the binary wire format (port 5035) over any ``Transport``: each
/// envelope is a `ProtoMessage` behind a 4-byte big-endian length.
///
/// Usable for both roles: a server wraps its end of a transport in one too (see
/// ``CTraderChannelListener/protobuf(_:registry:maximumFrameLength:readChunkSize:)``).
public final class ProtobufChannel: CTraderChannel, @unchecked Sendable {
    // @unchecked Sendable: `decoder` and `readBuffer` are touched only by `next()`, which the
    // protocol allows from one task at a time (the single-reader contract), so no lock is
    // needed; everything else is immutable (`transport` is itself Sendable).

    /// The underlying transport.
    public let transport: any Transport
    private let codec: BinaryEnvelopeCodec
    private let readChunkSize: Int
    private var decoder: BinaryFrameDecoder
    /// Reused by every read: emptied, capacity kept.
    private var readBuffer: [UInt8] = []

    /// Wraps a connected transport.
    ///
    /// - Parameters:
    ///   - transport: the connection; the channel owns it.
    ///   - registry: the payload registry; default `.standard`.
    ///   - maximumFrameLength: the largest frame accepted; default
    ///     ``BinaryFrameDecoder/defaultMaximumFrameLength`` (16 MiB).
    ///   - readChunkSize: bytes asked of the transport per read; default 64 KiB.
    public init(
        transport: any Transport,
        registry: PayloadRegistry = .standard,
        maximumFrameLength: Int = BinaryFrameDecoder.defaultMaximumFrameLength,
        readChunkSize: Int = 64 * 1024
    ) {
        self.transport = transport
        self.codec = BinaryEnvelopeCodec(registry: registry)
        self.readChunkSize = readChunkSize
        self.decoder = BinaryFrameDecoder(maximumFrameLength: maximumFrameLength)
    }

    /// Encodes and writes one frame.
    public func send(_ envelope: Envelope) async throws {
        try await transport.write(codec.encodeFrame(envelope))
    }

    /// Reads until one whole frame arrived and decodes it; `nil` at a clean end of stream.
    ///
    /// - Throws: the transport's error; ``MessagingError/Code/messageTooLarge`` for a frame
    ///   longer than the maximum (the stream cannot be resynchronized after that).
    public func next() async throws -> CTraderChannelElement? {
        while true {
            if let body = try decoder.nextFrame() {
                do throws(MessagingError) {
                    return .envelope(try codec.decode(body))
                } catch {
                    return .undecodable(error, bytes: body)
                }
            }
            readBuffer.removeAll(keepingCapacity: true)
            if try await transport.read(into: &readBuffer, maxLength: readChunkSize) == 0 {
                return nil
            }
            decoder.append(readBuffer)
        }
    }

    /// Closes the transport.
    public func close() async {
        await transport.close()
    }

    /// Closes the transport: protobuf has no goodbye.
    public func abort() async {
        await transport.close()
    }
}
