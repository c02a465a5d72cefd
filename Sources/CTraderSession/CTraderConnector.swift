// swift-ctrader: the cTrader Open API session layer.

public import CTraderMessaging
public import CTraderTransport
public import Logging
import _CTraderLocking

/// A bidirectional channel of envelopes: one connection to a cTrader server (or a fake one).
///
/// The client calls ``receive()`` from one task only, and ``send(_:)`` from one task only.
public protocol CTraderChannel: Sendable {
    /// Sends one envelope.
    ///
    /// - Throws: the transport's error once the connection is gone.
    func send(_ envelope: Envelope) async throws

    /// Waits for the next envelope; `nil` once the peer closed the connection cleanly.
    ///
    /// - Throws: the transport's or codec's error when the connection fails.
    func receive() async throws -> Envelope?

    /// Closes the connection (for WebSocket: with close code 1000). Idempotent.
    func close() async
}

/// Opens channels: the client calls it once per connection attempt.
///
/// Ready-made: ``webSocket(url:configuration:tls:)`` (JSON over WebSocket, port 5036),
/// ``protobufTLS(host:port:tls:)`` (protobuf over TLS, port 5035), ``protobufTCP(host:port:)``
/// (plain TCP, for local servers), ``protobuf(description:over:)`` (any transport, e.g. an in-memory pair).
/// Anything else (an in-process simulator) is a closure given to ``init(description:open:)``.
public struct CTraderConnector: Sendable, CustomStringConvertible {
    /// A name for logs, e.g. `wss://demo.ctraderapi.com:5036`.
    public let description: String
    private let openChannel: @Sendable (Logger) async throws -> any CTraderChannel

    /// A connector from a closure that opens one channel per call.
    public init(description: String, open: @escaping @Sendable (Logger) async throws -> any CTraderChannel) {
        self.description = description
        self.openChannel = open
    }

    /// Opens one channel.
    public func open(logger: Logger) async throws -> any CTraderChannel {
        try await openChannel(logger)
    }

    /// Protobuf frames (4-byte big-endian length, then a `ProtoMessage`) over TLS, the Open API's
    /// port 5035.
    public static func protobufTLS(
        host: String,
        port: Int = 5035,
        tls: TLSConfiguration = .client()
    ) -> CTraderConnector {
        CTraderConnector(description: "tls://\(host):\(port)") { logger in
            let transport = try await TLSTransport.connect(host: host, port: port, configuration: tls, logger: logger)
            return ProtobufChannel(transport: transport)
        }
    }

    /// Protobuf frames over plain TCP (a local simulator or a test server).
    public static func protobufTCP(host: String, port: Int) -> CTraderConnector {
        CTraderConnector(description: "tcp://\(host):\(port)") { logger in
            let transport = try await TCPTransport.connect(host: host, port: port, logger: logger)
            return ProtobufChannel(transport: transport)
        }
    }

    /// Protobuf frames over whatever transport `makeTransport` returns for each connection, e.g.
    /// one end of `InMemoryTransport.makePair(chunking:bufferCapacity:)`.
    public static func protobuf(
        description: String = "protobuf",
        over makeTransport: @escaping @Sendable () async throws -> any Transport
    ) -> CTraderConnector {
        CTraderConnector(description: description) { _ in
            ProtobufChannel(transport: try await makeTransport())
        }
    }
}

/// A ``CTraderChannel`` speaking the binary wire format (port 5035) over any `Transport`: each
/// envelope is a `ProtoMessage` behind a 4-byte big-endian length.
///
/// Usable for both roles: a fake server wraps its end of a transport in one too.
public final class ProtobufChannel: CTraderChannel {
    /// The underlying transport.
    public let transport: any Transport
    private let codec: BinaryEnvelopeCodec
    private let readChunkSize: Int
    private let decoder: Locked<BinaryFrameDecoder>

    /// Wraps a connected transport.
    ///
    /// - Parameters:
    ///   - transport: the connection; the channel owns it.
    ///   - registry: the payload registry; default `.standard`.
    ///   - maximumFrameLength: the largest frame accepted; default
    ///     `BinaryFrameDecoder.defaultMaximumFrameLength` (16 MiB).
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
        self.decoder = Locked(BinaryFrameDecoder(maximumFrameLength: maximumFrameLength))
    }

    /// Encodes and writes one frame.
    public func send(_ envelope: Envelope) async throws {
        try await transport.write(codec.encodeFrame(envelope))
    }

    /// Reads until one whole frame arrived and decodes it; `nil` at a clean end of stream.
    public func receive() async throws -> Envelope? {
        while true {
            if let body = try decoder.withLock({ try $0.nextFrame() }) {
                return try codec.decode(body)
            }
            var buffer: [UInt8] = []
            if try await transport.read(into: &buffer, maxLength: readChunkSize) == 0 {
                return nil
            }
            decoder.withLock { $0.append(buffer) }
        }
    }

    /// Closes the transport.
    public func close() async {
        await transport.close()
    }
}
