// swift-ctrader: the cTrader Open API message layer.

import Foundation
import SwiftProtobuf

/// Encodes and decodes the JSON envelopes of the Open API's WebSocket endpoint:
/// `{"clientMsgId":"…","payloadType":N,"payload":{…}}`.
///
/// The JSON is the one the cTrader server writes and accepts:
/// - keys are the `.proto` field names (`ctidTraderAccountId`, `description`);
/// - enums are written as numbers, and read as numbers or names;
/// - `int64` and `uint64` are written as JSON numbers (not the strings of the proto3 JSON
///   mapping), and read from numbers or numeric strings without going through `Double`, so
///   every 64-bit value survives;
/// - an optional field that is not set is omitted; a proto2 `required` field that is set is
///   always written, even when it equals its default (`orderType` MARKET = 1);
/// - a message whose `required` fields are not all set is rejected on both paths, with
///   ``MessagingError/fieldPath`` naming the first missing one;
/// - an envelope with a message carries `payload`, `{}` when the message has no field set (the
///   form of the documentation's requests), unless ``omitsEmptyPayload`` asks for the server's
///   form `{"payloadType":2101}`; decoding accepts both.
///
/// Decoding scans the envelope once, keeps the payload's byte range, and decodes the typed
/// payload from that range directly. `clientMsgId` and `payload` may both be missing. An
/// unregistered payloadType decodes to a raw envelope (``Envelope/rawPayload``), not an error.
public struct JSONEnvelopeCodec: Sendable {
    /// The default of ``maximumMessageSize``: 16 MiB. The largest messages are history
    /// responses (trendbars, ticks, deals), which the server splits in pages well below this.
    public static let defaultMaximumMessageSize = 16 << 20

    /// The table of message types.
    public let registry: PayloadRegistry
    /// The longest message accepted by ``decode(_:)-(ArraySlice<UInt8>)``, in bytes; checked
    /// before parsing.
    public let maximumMessageSize: Int
    /// Whether payload keys that the message type does not have are skipped (the default, so
    /// that fields a newer server adds do not break decoding) or rejected.
    ///
    /// - Warning: When skipping, swift-protobuf also drops an enum value it does not know, so an
    ///   optional enum field then reads as its default: check its `has…` property. A required
    ///   enum field given an unknown number (a server newer than the catalogue) is kept: its raw
    ///   number is ``SwiftProtobuf/Message/unrecognizedEnumValue(field:)``, as when protobuf
    ///   decodes it, and the message decodes. An unknown enum *name* in a required field is
    ///   reported as missing.
    public let ignoreUnknownFields: Bool

    /// Whether an envelope whose message has no field set is written without `payload`
    /// (`{"payloadType":2101}`, the server's form; the simulator uses it) instead of with
    /// `"payload":{}` (the default, the form of the documentation's requests).
    public let omitsEmptyPayload: Bool

    /// Makes a codec.
    ///
    /// - Parameters:
    ///   - registry: The message types to decode into; ``PayloadRegistry/standard`` by default.
    ///   - maximumMessageSize: The longest message accepted, in bytes; default
    ///     ``defaultMaximumMessageSize``.
    ///   - ignoreUnknownFields: Whether unknown payload keys are skipped (`true`, the default)
    ///     or rejected.
    ///   - omitsEmptyPayload: Whether an empty payload is left out (`false`, the default: it is
    ///     written as `"payload":{}`).
    public init(
        registry: PayloadRegistry = .standard,
        maximumMessageSize: Int = JSONEnvelopeCodec.defaultMaximumMessageSize,
        ignoreUnknownFields: Bool = true,
        omitsEmptyPayload: Bool = false
    ) {
        self.registry = registry
        self.maximumMessageSize = maximumMessageSize
        self.ignoreUnknownFields = ignoreUnknownFields
        self.omitsEmptyPayload = omitsEmptyPayload
    }

    private var decodingOptions: JSONDecodingOptions {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = ignoreUnknownFields
        return options
    }

    private static let encodingOptions: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = true
        options.alwaysPrintEnumsAsInts = true
        options.preserveProtoFieldNames = true
        return options
    }()

    // MARK: - Decoding

    /// Decodes one envelope from UTF-8 JSON.
    ///
    /// - Throws: ``MessagingError`` with code ``MessagingError/Code/messageTooLarge``,
    ///   ``MessagingError/Code/malformedJSON`` (with line and column),
    ///   ``MessagingError/Code/invalidEnvelope``, ``MessagingError/Code/invalidPayload`` or
    ///   ``MessagingError/Code/missingRequiredField``.
    public func decode(_ bytes: ArraySlice<UInt8>) throws(MessagingError) -> Envelope {
        guard bytes.count <= maximumMessageSize else {
            throw MessagingError(
                code: .messageTooLarge,
                reason: "\(bytes.count) bytes is more than the maximum of \(maximumMessageSize)"
            )
        }
        var scanner = EnvelopeScanner(bytes: bytes)
        let scanned = try scanner.scan()
        guard let type = registry.messageType(for: scanned.payloadType) else {
            let raw = scanned.payloadRange.map { RawPayload(bytes: Array(bytes[$0]), format: .json) }
            return Envelope(payloadType: scanned.payloadType, clientMsgId: scanned.clientMsgId, rawPayload: raw)
        }
        var message: any CTraderMessage
        do throws(MessagingError) {
            if let range = scanned.payloadRange {
                if let hot = Self.decodeHotPayload(bytes[range], as: type) {
                    // The usual shape of a hot message type; the same result as the generic path.
                    try Self.checkRequiredFields(of: hot, payloadType: scanned.payloadType)
                    message = hot
                } else {
                    message = try decodePayload(
                        ContiguousByteSlice(bytes[range]), as: type, payloadType: scanned.payloadType
                    )
                }
            } else {
                message = type.init()
                try Self.checkRequiredFields(of: message, payloadType: scanned.payloadType)
            }
        } catch {
            // The envelope was readable: name its request, so that the answer can fail it.
            var error = error
            error.clientMsgId = scanned.clientMsgId
            error.payloadType = scanned.payloadType
            throw error
        }
        var envelope = Envelope(message, clientMsgId: scanned.clientMsgId)
        envelope.payloadType = scanned.payloadType
        return envelope
    }

    /// Decodes one envelope from UTF-8 JSON.
    ///
    /// - Throws: ``MessagingError``; see ``decode(_:)-(ArraySlice<UInt8>)``.
    public func decode(_ bytes: [UInt8]) throws(MessagingError) -> Envelope {
        try decode(bytes[...])
    }

    /// Decodes one envelope from a JSON string (a WebSocket text frame).
    ///
    /// - Throws: ``MessagingError``; see ``decode(_:)-(ArraySlice<UInt8>)``.
    public func decode(_ text: String) throws(MessagingError) -> Envelope {
        try decode(Array(text.utf8)[...])
    }

    /// Decodes a payload object (without the envelope) as the message type of `payloadType`;
    /// what ``decode(_:)-(ArraySlice<UInt8>)`` does to the payload, for tools that validate a
    /// payload on its own.
    ///
    /// - Throws: ``MessagingError``: ``MessagingError/Code/unknownPayloadType`` if the
    ///   payloadType is not registered, ``MessagingError/Code/malformedJSON``,
    ///   ``MessagingError/Code/invalidPayload`` or ``MessagingError/Code/missingRequiredField``.
    public func decodePayload(_ json: String, payloadType: PayloadType) throws(MessagingError) -> any CTraderMessage {
        guard let type = registry.messageType(for: payloadType) else {
            var error = MessagingError(
                code: .unknownPayloadType,
                reason: "payloadType \(payloadType) is not registered"
            )
            error.payloadType = payloadType
            throw error
        }
        let bytes = Array(json.utf8)
        guard bytes.count <= maximumMessageSize else {
            throw MessagingError(code: .messageTooLarge, reason: "\(bytes.count) bytes is more than the maximum")
        }
        // Check the syntax first, for an error with line and column.
        var scanner = EnvelopeScanner(bytes: bytes)
        guard try scanner.validateObject() else {
            throw MessagingError(code: .invalidPayload, reason: "the payload is not a JSON object")
        }
        return try decodePayload(ContiguousByteSlice(bytes[...]), as: type, payloadType: payloadType)
    }

    /// The message decoded by a ``HotPayloadDecoder`` when `type` has one and the payload has
    /// the plain shape it handles; `nil` otherwise (decode it with the generic path).
    private static func decodeHotPayload(
        _ bytes: ArraySlice<UInt8>,
        as type: any CTraderMessage.Type
    ) -> (any CTraderMessage)? {
        if type == ProtoOASpotEvent.self {
            return HotPayloadDecoder.spotEvent(bytes)
        }
        return nil
    }

    private func decodePayload(
        _ slice: ContiguousByteSlice,
        as type: any CTraderMessage.Type,
        payloadType: PayloadType
    ) throws(MessagingError) -> any CTraderMessage {
        var message: any CTraderMessage
        do {
            message = try type.init(jsonUTF8Bytes: slice, extensions: nil, options: decodingOptions)
        } catch {
            var failure = MessagingError(
                code: .invalidPayload,
                reason: "\(type.protoMessageName): \(Self.describe(error))"
            )
            failure.payloadType = payloadType
            failure.messageName = type.protoMessageName
            if case JSONDecodingError.unknownField(let name) = error { failure.fieldPath = name }
            throw failure
        }
        if !message.isInitialized, ignoreUnknownFields {
            message = Self.keepingUnrecognizedEnums(message, payload: slice.base)
        }
        try Self.checkRequiredFields(of: message, payloadType: payloadType)
        return message
    }

    /// The message with the unknown numbers the JSON gives its missing required enum fields put
    /// back, as protobuf decoding keeps them (in the unknown fields, see
    /// ``SwiftProtobuf/Message/unrecognizedEnumValue(field:)``). Only for a message that lacks a
    /// required field: a valid message never comes here. Fields under a repeated field stay
    /// missing.
    private static func keepingUnrecognizedEnums(
        _ message: any CTraderMessage,
        payload: ArraySlice<UInt8>
    ) -> any CTraderMessage {
        var message = message
        var object: Any?
        // Each round puts one field back; a message has far fewer required fields than this.
        for _ in 0..<64 {
            guard let missing = message.firstMissingRequiredField(countingUnrecognizedEnums: true),
                let numbers = missing.numbers
            else { break }
            if object == nil { object = try? JSONSerialization.jsonObject(with: Data(payload)) }
            var value = object
            for key in missing.path.split(separator: ".") {
                value = (value as? [String: Any])?[String(key)]
            }
            // A known number would have been decoded: a number here is one the enum lacks.
            guard let number = value as? NSNumber, let raw = Int32(exactly: number.doubleValue) else { break }
            guard let patched = merging(UnknownFieldScanner.patch(numbers: numbers, value: Int64(raw)), into: message)
            else { break }
            message = patched
        }
        return message
    }

    private static func merging<M: CTraderMessage>(_ bytes: [UInt8], into message: M) -> M? {
        var message = message
        do {
            try message.merge(serializedBytes: bytes, partial: true)
        } catch {
            return nil
        }
        return message
    }

    /// Throws ``MessagingError/Code/missingRequiredField`` naming the first missing field.
    ///
    /// - Parameter countingUnrecognizedEnums: whether a required enum field holding an unknown
    ///   number counts as set (decoding: `true`); encoding is strict (`false`).
    static func checkRequiredFields(
        of message: any CTraderMessage,
        payloadType: PayloadType?,
        countingUnrecognizedEnums: Bool = true
    ) throws(MessagingError) {
        guard !message.isInitialized else { return }
        let missing = message.firstMissingRequiredField(countingUnrecognizedEnums: countingUnrecognizedEnums)
        if countingUnrecognizedEnums && missing == nil { return }
        let name = type(of: message).protoMessageName
        let path = missing?.path ?? "?"
        var error = MessagingError(code: .missingRequiredField, reason: "\(name): required field '\(path)' is missing")
        error.payloadType = payloadType
        error.messageName = name
        error.fieldPath = path
        throw error
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case JSONDecodingError.unknownField(let name): return "unknown field '\(name)'"
        case JSONDecodingError.unrecognizedEnumValue: return "unrecognized enum value"
        case JSONDecodingError.numberRange: return "number out of range"
        case JSONDecodingError.malformedNumber: return "malformed number"
        case JSONDecodingError.schemaMismatch: return "a value does not match its field's type"
        case JSONDecodingError.illegalNull: return "illegal null"
        default: return String(describing: error)
        }
    }

    // MARK: - Encoding

    /// Encodes an envelope as UTF-8 JSON: `{"clientMsgId":"…","payloadType":N,"payload":{…}}`,
    /// without `clientMsgId` when it is `nil`; an empty payload is `{}` or, with
    /// ``omitsEmptyPayload``, left out.
    ///
    /// - Throws: ``MessagingError`` with code ``MessagingError/Code/missingRequiredField`` when a
    ///   required field is not set, or ``MessagingError/Code/encodingFailed`` for a raw protobuf
    ///   payload (it cannot travel as JSON) or an envelope with neither message nor raw payload
    ///   of a registered type.
    public func encode(_ envelope: Envelope) throws(MessagingError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.append(UInt8(ascii: "{"))
        if let clientMsgId = envelope.clientMsgId {
            out.append(contentsOf: "\"clientMsgId\":".utf8)
            Self.appendJSONString(clientMsgId, to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: "\"payloadType\":".utf8)
        out.append(contentsOf: String(envelope.payloadType.rawValue).utf8)
        let payload = try encodedPayload(of: envelope)
        if let payload, !(omitsEmptyPayload && payload.elementsEqual("{}".utf8)) {
            out.append(contentsOf: ",\"payload\":".utf8)
            out.append(contentsOf: payload)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Encodes a message in an envelope; see ``encode(_:)-(Envelope)``.
    public func encode(_ message: some CTraderMessage, clientMsgId: String? = nil) throws(MessagingError) -> [UInt8] {
        try encode(Envelope(message, clientMsgId: clientMsgId))
    }

    /// Encodes an envelope as a JSON string, ready for a WebSocket text frame.
    public func encodeString(_ envelope: Envelope) throws(MessagingError) -> String {
        String(decoding: try encode(envelope), as: UTF8.self)
    }

    /// The canonical JSON of a message alone (the `payload` object), as this codec writes it.
    ///
    /// - Throws: ``MessagingError/Code/missingRequiredField`` or ``MessagingError/Code/encodingFailed``.
    public func encodePayload(_ message: any CTraderMessage) throws(MessagingError) -> [UInt8] {
        try Self.checkRequiredFields(of: message, payloadType: nil, countingUnrecognizedEnums: false)
        do {
            return try message.jsonUTF8Bytes(options: Self.encodingOptions)
        } catch {
            throw MessagingError(code: .encodingFailed, reason: "\(type(of: message).protoMessageName): \(error)")
        }
    }

    private func encodedPayload(of envelope: Envelope) throws(MessagingError) -> [UInt8]? {
        if let message = envelope.message {
            do {
                return try encodePayload(message)
            } catch {
                var error = error
                error.payloadType = envelope.payloadType
                throw error
            }
        }
        if let raw = envelope.rawPayload {
            guard raw.format == .json else {
                throw MessagingError(code: .encodingFailed, reason: "a protobuf payload cannot be written as JSON")
            }
            return raw.bytes
        }
        return nil
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends a JSON string literal: quotes, backslashes and control characters escaped.
    static func appendJSONString(_ string: String, to out: inout [UInt8]) {
        let hex = hexDigits
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
