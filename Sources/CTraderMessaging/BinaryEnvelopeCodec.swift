// swift-ctrader: the cTrader Open API message layer.

import Foundation
import SwiftProtobuf

/// Encodes and decodes the binary wire format of the Open API's TCP endpoint (port 5035): each
/// message is a 4-byte big-endian length followed by a protobuf `ProtoMessage`
/// `{payloadType, payload (the serialized message), clientMsgId}`
/// (OpenApiCommonMessages.proto).
///
/// Pair it with ``BinaryFrameDecoder``, which cuts the incoming byte stream into frames, so that
/// a session can run over either wire format with the same ``Envelope`` values. Required fields
/// are checked on both paths, as with ``JSONEnvelopeCodec``.
public struct BinaryEnvelopeCodec: Sendable {
    /// The table of message types.
    public let registry: PayloadRegistry

    /// Makes a codec over a registry (``PayloadRegistry/standard`` by default).
    public init(registry: PayloadRegistry = .standard) {
        self.registry = registry
    }

    /// Decodes a `ProtoMessage` (one frame's body, without the length prefix).
    ///
    /// - Throws: ``MessagingError`` with code ``MessagingError/Code/invalidFrame`` (not a valid
    ///   `ProtoMessage`), ``MessagingError/Code/invalidPayload`` or
    ///   ``MessagingError/Code/missingRequiredField``.
    public func decode(_ body: [UInt8]) throws(MessagingError) -> Envelope {
        let container: ProtoMessage
        do {
            container = try ProtoMessage(
                serializedBytes: body,
                extensions: nil,
                partial: true,
                options: BinaryDecodingOptions()
            )
        } catch {
            throw MessagingError(code: .invalidFrame, reason: "not a ProtoMessage: \(error)")
        }
        guard container.hasPayloadType else {
            var error = MessagingError(
                code: .invalidFrame,
                reason: "ProtoMessage: required field 'payloadType' is missing"
            )
            error.fieldPath = "payloadType"
            throw error
        }
        let payloadType = PayloadType(rawValue: Int(container.payloadType))
        let clientMsgId = container.hasClientMsgID ? container.clientMsgID : nil
        guard let type = registry.messageType(for: payloadType) else {
            let raw = container.hasPayload ? RawPayload(bytes: [UInt8](container.payload), format: .protobuf) : nil
            return Envelope(payloadType: payloadType, clientMsgId: clientMsgId, rawPayload: raw)
        }
        let message: any CTraderMessage
        do {
            message = try type.init(
                serializedBytes: container.payload,
                extensions: nil,
                partial: true,
                options: BinaryDecodingOptions()
            )
        } catch {
            var failure = MessagingError(code: .invalidPayload, reason: "\(type.protoMessageName): \(error)")
            failure.payloadType = payloadType
            failure.messageName = type.protoMessageName
            failure.clientMsgId = clientMsgId
            throw failure
        }
        do {
            try JSONEnvelopeCodec.checkRequiredFields(of: message, payloadType: payloadType)
        } catch {
            var error = error
            error.clientMsgId = clientMsgId
            throw error
        }
        var envelope = Envelope(message, clientMsgId: clientMsgId)
        envelope.payloadType = payloadType
        return envelope
    }

    /// Encodes an envelope as a `ProtoMessage` (without the length prefix).
    ///
    /// - Throws: ``MessagingError`` with code ``MessagingError/Code/missingRequiredField``, or
    ///   ``MessagingError/Code/encodingFailed`` for a raw JSON payload or a payloadType that
    ///   does not fit in 32 bits.
    public func encode(_ envelope: Envelope) throws(MessagingError) -> [UInt8] {
        var container = ProtoMessage()
        guard let payloadType = UInt32(exactly: envelope.payloadType.rawValue) else {
            throw MessagingError(
                code: .encodingFailed,
                reason: "payloadType \(envelope.payloadType.rawValue) does not fit in uint32"
            )
        }
        container.payloadType = payloadType
        if let clientMsgId = envelope.clientMsgId { container.clientMsgID = clientMsgId }
        if let message = envelope.message {
            try JSONEnvelopeCodec.checkRequiredFields(
                of: message, payloadType: envelope.payloadType, countingUnrecognizedEnums: false
            )
            do {
                // An empty payload is left out, as absent decodes to the empty message.
                let payload: Data = try message.serializedBytes()
                if !payload.isEmpty { container.payload = payload }
            } catch {
                throw MessagingError(code: .encodingFailed, reason: "\(type(of: message).protoMessageName): \(error)")
            }
        } else if let raw = envelope.rawPayload {
            guard raw.format == .protobuf else {
                throw MessagingError(code: .encodingFailed, reason: "a JSON payload cannot be written as protobuf")
            }
            container.payload = Data(raw.bytes)
        }
        do {
            return try container.serializedBytes()
        } catch {
            throw MessagingError(code: .encodingFailed, reason: "ProtoMessage: \(error)")
        }
    }

    /// Encodes an envelope as a frame: the 4-byte big-endian length, then the `ProtoMessage`.
    ///
    /// - Throws: ``MessagingError``; see ``encode(_:)``.
    public func encodeFrame(_ envelope: Envelope) throws(MessagingError) -> [UInt8] {
        let body = try encode(envelope)
        let length = UInt32(body.count)
        var frame: [UInt8] = []
        frame.reserveCapacity(4 + body.count)
        frame.append(UInt8(truncatingIfNeeded: length >> 24))
        frame.append(UInt8(truncatingIfNeeded: length >> 16))
        frame.append(UInt8(truncatingIfNeeded: length >> 8))
        frame.append(UInt8(truncatingIfNeeded: length))
        frame.append(contentsOf: body)
        return frame
    }

    /// Encodes a message in an envelope as a frame; see ``encodeFrame(_:)``.
    public func encodeFrame(
        _ message: some CTraderMessage,
        clientMsgId: String? = nil
    ) throws(MessagingError) -> [UInt8] {
        try encodeFrame(Envelope(message, clientMsgId: clientMsgId))
    }
}

/// Cuts a byte stream of the binary wire format into frame bodies: bytes in at any chunking,
/// complete `ProtoMessage` bodies out.
///
/// ```swift
/// var decoder = BinaryFrameDecoder()
/// decoder.append(receivedBytes)
/// while let body = try decoder.nextFrame() {
///     let envelope = try codec.decode(body)
/// }
/// ```
///
/// A length above ``maximumFrameLength`` is rejected as soon as the 4-byte prefix has arrived,
/// before any of the body is buffered.
public struct BinaryFrameDecoder: Sendable {
    /// The default of ``maximumFrameLength``: 16 MiB, like
    /// ``JSONEnvelopeCodec/defaultMaximumMessageSize``.
    public static let defaultMaximumFrameLength = 16 << 20

    /// The longest frame body accepted, in bytes.
    public let maximumFrameLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// Makes a decoder.
    ///
    /// - Parameter maximumFrameLength: The longest frame body accepted, in bytes; default
    ///   ``defaultMaximumFrameLength``.
    public init(maximumFrameLength: Int = BinaryFrameDecoder.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    /// The number of bytes received but not yet returned in a frame.
    public var bufferedByteCount: Int {
        buffer.count - readIndex
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 0, readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame body, or `nil` when more bytes are needed.
    ///
    /// - Throws: ``MessagingError/Code/messageTooLarge`` when a frame announces a length above
    ///   ``maximumFrameLength``; the stream cannot be resynchronized after that.
    public mutating func nextFrame() throws(MessagingError) -> [UInt8]? {
        guard bufferedByteCount >= 4 else { return nil }
        var length = 0
        for offset in 0..<4 { length = length << 8 | Int(buffer[readIndex + offset]) }
        guard length <= maximumFrameLength else {
            throw MessagingError(
                code: .messageTooLarge,
                reason: "frame of \(length) bytes is longer than the maximum of \(maximumFrameLength)"
            )
        }
        guard bufferedByteCount >= 4 + length else { return nil }
        let start = readIndex + 4
        let body = Array(buffer[start..<start + length])
        readIndex = start + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return body
    }
}
