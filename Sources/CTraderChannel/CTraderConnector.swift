// swift-ctrader: channels of envelopes, for both the client and the server role.

public import CTraderTransport
public import Logging

/// Opens channels: the client calls it once per connection attempt.
///
/// Ready-made: ``webSocket(url:configuration:tls:)`` (JSON over WebSocket, port 5036),
/// ``protobufTLS(host:port:tls:)`` (protobuf over TLS, port 5035), ``protobufTCP(host:port:)``
/// (plain TCP, for local servers), ``protobuf(over:)`` (any transport, e.g. an in-memory pair).
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
    /// one end of ``InMemoryTransport/makePair(chunking:bufferCapacity:)``.
    public static func protobuf(
        description: String = "protobuf",
        over makeTransport: @escaping @Sendable () async throws -> any Transport
    ) -> CTraderConnector {
        CTraderConnector(description: description) { _ in
            ProtobufChannel(transport: try await makeTransport())
        }
    }
}
