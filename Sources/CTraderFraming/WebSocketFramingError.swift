/// An error found while decoding, assembling, compressing or validating WebSocket data.
///
/// An open error struct (after swift-asn1's `ASN1Error`): callers match on ``code``, which can
/// grow without breaking them; ``closeCode`` is the status RFC 6455 names for the failure, the
/// one to put in the close frame; ``detail`` says what was seen, for people.
/// Two errors are equal when their codes are equal.
public struct WebSocketFramingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An opcode RFC 6455 reserves (0x3-0x7, 0xB-0xF). Close code 1002.
        public static let reservedOpcode = Code(rawValue: "reservedOpcode")
        /// An RSV bit set that no negotiated extension defines. Close code 1002.
        public static let reservedBitSet = Code(rawValue: "reservedBitSet")
        /// A control frame without FIN. Close code 1002.
        public static let fragmentedControlFrame = Code(rawValue: "fragmentedControlFrame")
        /// A control frame with a payload over 125 bytes. Close code 1002.
        public static let controlFrameTooLong = Code(rawValue: "controlFrameTooLong")
        /// A continuation frame with no fragmented message in progress. Close code 1002.
        public static let unexpectedContinuation = Code(rawValue: "unexpectedContinuation")
        /// A text or binary frame while a fragmented message is in progress. Close code 1002.
        public static let expectedContinuation = Code(rawValue: "expectedContinuation")
        /// A 64-bit payload length with the most significant bit set. Close code 1002.
        public static let invalidPayloadLength = Code(rawValue: "invalidPayloadLength")
        /// A payload length not in its minimal encoding. Close code 1002.
        public static let nonMinimalPayloadLength = Code(rawValue: "nonMinimalPayloadLength")
        /// A frame over the configured maximum frame size. Close code 1009.
        public static let frameTooLarge = Code(rawValue: "frameTooLarge")
        /// A message over the configured maximum message size. Close code 1009.
        public static let messageTooLarge = Code(rawValue: "messageTooLarge")
        /// A message of more fragments than the configured maximum. Close code 1009.
        public static let tooManyFragments = Code(rawValue: "tooManyFragments")
        /// An unmasked frame received by a server. Close code 1002.
        public static let unmaskedFrame = Code(rawValue: "unmaskedFrame")
        /// A masked frame received by a client. Close code 1002.
        public static let maskedFrame = Code(rawValue: "maskedFrame")
        /// Text (or a close reason) that is not valid UTF-8. Close code 1007.
        public static let invalidUTF8 = Code(rawValue: "invalidUTF8")
        /// A close frame with a 1-octet payload. Close code 1002.
        public static let invalidClosePayload = Code(rawValue: "invalidClosePayload")
        // swift-format-ignore: DontRepeatTypeInStaticProperties
        /// A close frame whose status code may not appear on the wire. Close code 1002.
        public static let invalidCloseCode = Code(rawValue: "invalidCloseCode")
        /// A compressed message that inflates past the configured limit. Close code 1009.
        public static let inflatedMessageTooLarge = Code(rawValue: "inflatedMessageTooLarge")
        /// Compressed data that zlib cannot inflate. Close code 1007.
        public static let invalidCompressedData = Code(rawValue: "invalidCompressedData")
        /// zlib failed for a reason other than the input (e.g. out of memory). Close code 1011.
        public static let compressionFailure = Code(rawValue: "compressionFailure")
    }

    /// What kind of failure this is.
    public let code: Code
    /// The close status RFC 6455 names for this failure.
    public let closeCode: WebSocketCloseCode
    /// What was seen, for people: e.g. "frame of 20000000 bytes exceeds the 16777216-byte limit".
    public let detail: String

    /// Creates an error.
    public init(code: Code, closeCode: WebSocketCloseCode, detail: String) {
        self.code = code
        self.closeCode = closeCode
        self.detail = detail
    }

    public var description: String {
        "WebSocketFramingError.\(code) (close \(closeCode.rawValue)): \(detail)"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension WebSocketFramingError {
    /// A protocol violation (close code 1002).
    @inline(never)
    public static func protocolError(_ code: Code, _ detail: String) -> Self {
        Self(code: code, closeCode: .protocolError, detail: detail)
    }

    /// A size limit exceeded (close code 1009).
    @inline(never)
    public static func tooBig(_ code: Code, _ detail: String) -> Self {
        Self(code: code, closeCode: .messageTooBig, detail: detail)
    }

    /// Data that does not match its message type (close code 1007).
    @inline(never)
    public static func invalidData(_ code: Code, _ detail: String) -> Self {
        Self(code: code, closeCode: .invalidFramePayloadData, detail: detail)
    }
}
