// swift-ctrader: the cTrader Open API session layer.
//
// The only file that knows the CTraderWebSocket API: if its names change, only this file does.

import CTraderFraming
public import CTraderMessaging
public import CTraderTransport
public import CTraderWebSocket
import Logging

/// A ``CTraderChannel`` speaking the JSON wire format over a WebSocket (port 5036): one text
/// message per envelope, `{"clientMsgId":"…","payloadType":N,"payload":{…}}`.
///
/// Usable for both roles: a fake server wraps its accepted connection in one too.
public final class WebSocketChannel: CTraderChannel, @unchecked Sendable {
    // @unchecked Sendable: `iterator` is touched only by `receive()`, which the protocol allows
    // from one task at a time; everything else is immutable.

    /// The WebSocket connection.
    public let connection: WebSocketConnection
    private let codec: JSONEnvelopeCodec
    private var iterator: WebSocketMessageStream.AsyncIterator

    /// Wraps an open WebSocket connection.
    public init(connection: WebSocketConnection, codec: JSONEnvelopeCodec = JSONEnvelopeCodec()) {
        self.connection = connection
        self.codec = codec
        self.iterator = connection.messages.makeAsyncIterator()
    }

    /// Encodes the envelope as JSON and sends it as a text message.
    public func send(_ envelope: Envelope) async throws {
        try await connection.send(text: codec.encodeString(envelope))
    }

    /// Waits for the next message and decodes it; `nil` once the connection closed.
    public func receive() async throws -> Envelope? {
        guard let message = await iterator.next() else { return nil }
        return try codec.decode(message.data)
    }

    /// Closes with 1000 (normal closure).
    public func close() async {
        await connection.close(code: .normalClosure, reason: "")
    }
}

extension CTraderConnector {
    /// JSON over WebSocket: `wss://live.ctraderapi.com:5036`, `wss://demo.ctraderapi.com:5036`, or
    /// a `ws://` URL of a local server.
    public static func webSocket(
        url: String,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        tls: TLSConfiguration = .client()
    ) -> CTraderConnector {
        CTraderConnector(description: url) { logger in
            let connection = try await WebSocketConnection.connect(
                to: url,
                configuration: configuration,
                tls: tls,
                logger: logger
            )
            return WebSocketChannel(connection: connection)
        }
    }

    /// JSON over a WebSocket opened over whatever transport `makeTransport` returns (e.g. one end
    /// of an in-memory pair).
    public static func webSocket(
        host: String,
        target: String = "/",
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        over makeTransport: @escaping @Sendable () async throws -> any Transport
    ) -> CTraderConnector {
        CTraderConnector(description: "ws://\(host)\(target)") { logger in
            let connection = try await WebSocketConnection.connect(
                over: try await makeTransport(),
                host: host,
                target: target,
                configuration: configuration,
                logger: logger
            )
            return WebSocketChannel(connection: connection)
        }
    }
}
