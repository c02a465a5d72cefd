// swift-ctrader: channels of envelopes, for both the client and the server role.
//
// With CTraderChannelListener.swift, the only files that know the CTraderWebSocket API.

import CTraderFraming
public import CTraderMessaging
public import CTraderTransport
public import CTraderWebSocket
import Logging

/// A ``CTraderChannel`` speaking the JSON wire format over a WebSocket (port 5036): one text
/// message per envelope, `{"clientMsgId":"…","payloadType":N,"payload":{…}}`.
///
/// Usable for both roles: a server wraps its accepted connection in one too (see
/// ``CTraderChannelListener/webSocket(_:configuration:codec:encoder:logger:)``).
public final class WebSocketChannel: CTraderRawSendingChannel, @unchecked Sendable {
    // @unchecked Sendable: `iterator` is touched only by `next()`, which the protocol allows
    // from one task at a time; everything else is immutable.

    /// Encodes one envelope as the JSON text of one message, in UTF-8.
    ///
    /// The bytes are sent as a text message as they are: they must be valid UTF-8 (what
    /// `JSONEnvelopeCodec.encode(_:)` and any `String`'s `utf8` produce).
    public typealias Encoder = @Sendable (Envelope) throws -> [UInt8]

    /// The WebSocket connection.
    public let connection: WebSocketConnection
    private let codec: JSONEnvelopeCodec
    private let encoder: Encoder
    private var iterator: WebSocketMessageStream.AsyncIterator

    /// Wraps an open WebSocket connection.
    ///
    /// - Parameters:
    ///   - connection: the connection; the channel owns it.
    ///   - codec: decodes what arrives, and encodes what is sent unless `encoder` is given.
    ///   - encoder: writes the envelopes' JSON instead of `codec` (e.g. a server's style of
    ///     JSON); it must produce valid UTF-8. `nil` (the default) uses `codec`.
    public init(
        connection: WebSocketConnection, codec: JSONEnvelopeCodec = JSONEnvelopeCodec(), encoder: Encoder? = nil
    ) {
        self.connection = connection
        self.codec = codec
        self.encoder = encoder ?? { envelope in try codec.encode(envelope) }
        self.iterator = connection.messages.makeAsyncIterator()
    }

    /// Encodes the envelope as JSON and sends the bytes as a text message (no `String` on the
    /// way).
    public func send(_ envelope: Envelope) async throws {
        try await connection.send(encoder(envelope), opcode: .text)
    }

    /// Waits for the next message and decodes it; `nil` once the connection closed. A message
    /// that does not decode is ``CTraderChannelElement/undecodable(_:bytes:)``.
    public func next() async throws -> CTraderChannelElement? {
        guard let message = try await iterator.nextMessage() else { return nil }
        do throws(MessagingError) {
            return .envelope(try codec.decode(message.data))
        } catch {
            return .undecodable(error, bytes: message.data)
        }
    }

    /// Sends `bytes` as one text message as they are, without checking that they are JSON or even
    /// UTF-8; see ``CTraderRawSendingChannel``.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await connection.send(bytes, opcode: .text)
    }

    /// Closes with 1000 (normal closure), or waits for a closing handshake under way to end.
    public func close() async {
        await connection.close(code: .normalClosure, reason: "")
    }

    /// Closes the transport without a closing handshake.
    public func abort() async {
        await connection.abort()
    }
}

extension CTraderConnector {
    /// JSON over WebSocket: `wss://live.ctraderapi.com:5036`, `wss://demo.ctraderapi.com:5036`, or
    /// a `ws://` URL of a local server.
    ///
    /// The default `configuration`, `WebSocketConfiguration.cTraderClient`,
    /// offers permessage-deflate and sends `User-Agent: swift-ctrader/<version>`.
    public static func webSocket(
        url: String,
        configuration: WebSocketConfiguration = .cTraderClient,
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
    /// of an in-memory pair). The default `configuration` is
    /// `WebSocketConfiguration.cTraderClient`, as for ``webSocket(url:configuration:tls:)``.
    public static func webSocket(
        host: String,
        target: String = "/",
        configuration: WebSocketConfiguration = .cTraderClient,
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

extension WebSocketConfiguration {
    /// The WebSocket settings the cTrader connectors use unless given others: the defaults of
    /// `WebSocketConfiguration()`, plus
    /// - a permessage-deflate offer (RFC 7692) as browsers make it:
    ///   `permessage-deflate; client_max_window_bits`, context takeover on both sides. JSON
    ///   compresses well (a 1,000-symbol list shrinks about tenfold); a server that declines
    ///   simply leaves the connection uncompressed;
    /// - `User-Agent: swift-ctrader/<version>` (``CTraderVersion/userAgent``).
    ///
    /// To turn compression off, set `perMessageDeflateOffer` to `.none`:
    ///
    /// ```swift
    /// var configuration = CTraderClientConfiguration(credentials: credentials)
    /// configuration.webSocket.perMessageDeflateOffer = .none
    /// ```
    public static var cTraderClient: WebSocketConfiguration {
        WebSocketConfiguration(
            perMessageDeflateOffer: .perMessageDeflate(PerMessageDeflateClientConfiguration()),
            userAgent: CTraderVersion.userAgent
        )
    }
}
