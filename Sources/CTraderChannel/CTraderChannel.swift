// swift-ctrader: channels of envelopes, for both the client and the server role.

public import CTraderMessaging

/// What a channel received: an envelope, or a message that arrived whole but did not decode.
public enum CTraderChannelElement: Sendable {
    /// A decoded envelope.
    case envelope(Envelope)
    /// A whole message (a WebSocket text message, a protobuf frame body) that failed to decode;
    /// the channel stays usable. `bytes` are the message as received.
    case undecodable(MessagingError, bytes: [UInt8])
}

/// A bidirectional channel of envelopes: one connection to a cTrader server (or a fake one), or,
/// in the server role, one accepted client.
///
/// Call ``next()`` (or ``receive()``) from one task at a time, and ``send(_:)`` from one task at
/// a time; the two may run concurrently.
///
/// Channels are a protocol so that a wrapper can observe (record, replay) the envelopes going
/// through another channel: it forwards the four requirements.
public protocol CTraderChannel: Sendable {
    /// Sends one envelope.
    ///
    /// - Throws: the codec's error, or the transport's once the connection is gone.
    func send(_ envelope: Envelope) async throws

    /// Waits for the next message; `nil` once the peer closed the connection cleanly. A message
    /// that arrived whole but did not decode is returned as
    /// ``CTraderChannelElement/undecodable(_:bytes:)``, and the channel goes on.
    ///
    /// - Throws: the transport's error, or a `MessagingError` after which the stream cannot go
    ///   on (a protobuf frame longer than the maximum).
    func next() async throws -> CTraderChannelElement?

    /// Closes the connection politely (for WebSocket: a closing handshake with code 1000).
    /// Idempotent; once the connection is closing, it only waits for the end.
    func close() async

    /// Drops the connection without any goodbye: closes the transport. Idempotent.
    func abort() async
}

extension CTraderChannel {
    /// Waits for the next envelope; `nil` once the peer closed the connection cleanly.
    ///
    /// - Throws: what ``next()`` throws, and the `MessagingError` of a message that did not
    ///   decode.
    public func receive() async throws -> Envelope? {
        switch try await next() {
        case nil: return nil
        case .envelope(let envelope): return envelope
        case .undecodable(let error, _): throw error
        }
    }
}

/// A channel that can also send bytes that are not an encoded envelope: for a test server that
/// sends a client garbage on purpose (malformed JSON, an unknown payloadType, invalid UTF-8).
public protocol CTraderRawSendingChannel: CTraderChannel {
    /// Sends `bytes` as one message exactly as they are, unchecked (for JSON over WebSocket: one
    /// text message, even when the bytes are not valid UTF-8).
    ///
    /// - Throws: the transport's error once the connection is gone.
    func sendRaw(_ bytes: [UInt8]) async throws
}
