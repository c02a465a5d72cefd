/// The payload of a close frame (RFC 6455 §5.5.1): an optional status code and a UTF-8 reason.
///
/// An empty payload means "no status code"; it decodes to ``WebSocketCloseCode/noStatusReceived``
/// (1005), the code RFC 6455 §7.1.5 says to report to the application, and encodes back to an
/// empty payload.
public struct WebSocketClosePayload: Hashable, Sendable {
    /// The most bytes a close reason may take: 125 (a control frame's limit) minus 2 for the code.
    public static let maxReasonLength: Int = 123

    /// The status code; ``WebSocketCloseCode/noStatusReceived`` when the payload had none.
    public var code: WebSocketCloseCode
    /// The reason, possibly empty.
    public var reason: String

    /// Creates a close payload.
    /// - Parameters:
    ///   - code: the status code; ``WebSocketCloseCode/noStatusReceived`` for none.
    ///   - reason: the reason; empty by default. At most ``maxReasonLength`` bytes of UTF-8.
    public init(code: WebSocketCloseCode, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// Parses and validates a received close frame's payload.
    ///
    /// - Throws: ``WebSocketFramingError``: ``WebSocketFramingError/Code/invalidClosePayload``
    ///   (1002) for a 1-octet payload, ``WebSocketFramingError/Code/invalidCloseCode`` (1002) for
    ///   a code that may not appear on the wire (``WebSocketCloseCode/isValidOnWire``),
    ///   ``WebSocketFramingError/Code/invalidUTF8`` (1007) for a reason that is not UTF-8, and
    ///   ``WebSocketFramingError/Code/controlFrameTooLong`` (1002) for a payload over 125 bytes.
    public init(decoding payload: ArraySlice<UInt8>) throws(WebSocketFramingError) {
        switch payload.count {
        case 0:
            self.init(code: .noStatusReceived)
            return
        case 1:
            throw .protocolError(.invalidClosePayload, "close payload of 1 byte")
        case 126...:
            throw .protocolError(.controlFrameTooLong, "close payload of \(payload.count) bytes")
        default:
            break
        }
        let start = payload.startIndex
        let code = WebSocketCloseCode(rawValue: UInt16(payload[start]) << 8 | UInt16(payload[start + 1]))
        guard code.isValidOnWire else {
            throw .protocolError(.invalidCloseCode, "close code \(code) may not be sent")
        }
        let reasonBytes = payload[(start + 2)...]
        guard UTF8Validator.isValid(reasonBytes) else {
            throw .invalidData(.invalidUTF8, "close reason is not valid UTF-8")
        }
        self.init(code: code, reason: String(decoding: reasonBytes, as: UTF8.self))
    }

    /// Appends the payload's wire form to `output`: nothing for
    /// ``WebSocketCloseCode/noStatusReceived``, else the code (big-endian) and the reason.
    ///
    /// - Throws: ``WebSocketFramingError/Code/invalidCloseCode`` for a code that may not be sent
    ///   (or a reason without a code), ``WebSocketFramingError/Code/controlFrameTooLong`` for a
    ///   reason over ``maxReasonLength`` bytes. `output` is unchanged then.
    public func encode(into output: inout [UInt8]) throws(WebSocketFramingError) {
        if code == .noStatusReceived {
            guard reason.isEmpty else {
                throw .protocolError(.invalidCloseCode, "a close reason needs a status code")
            }
            return
        }
        guard code.isValidOnWire else {
            throw .protocolError(.invalidCloseCode, "close code \(code) may not be sent")
        }
        let reasonLength = reason.utf8.count
        guard reasonLength <= Self.maxReasonLength else {
            throw .protocolError(
                .controlFrameTooLong,
                "close reason of \(reasonLength) bytes exceeds \(Self.maxReasonLength)"
            )
        }
        output.append(UInt8(truncatingIfNeeded: code.rawValue >> 8))
        output.append(UInt8(truncatingIfNeeded: code.rawValue))
        output.append(contentsOf: reason.utf8)
    }

    /// The payload's wire form; see ``encode(into:)``.
    /// - Throws: as ``encode(into:)``.
    public func encoded() throws(WebSocketFramingError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(into: &bytes)
        return bytes
    }
}
