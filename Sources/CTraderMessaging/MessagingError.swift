// swift-ctrader: the cTrader Open API message layer.

/// An error of the message layer: malformed JSON, an envelope or frame that breaks the rules, a
/// payload that does not fit its message type.
///
/// Match on ``code``; the other properties give context and are set only where they apply.
/// Two errors are equal when their codes are equal, so a test can write
/// `#expect(throws: MessagingError(code: .malformedJSON))`-style checks on the code alone.
public struct MessagingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. An open set: new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The text is not valid JSON; ``MessagingError/line`` and ``MessagingError/column`` say
        /// where.
        public static let malformedJSON = Code("malformedJSON")
        /// The message (or binary frame) is longer than the configured maximum; checked before
        /// parsing.
        public static let messageTooLarge = Code("messageTooLarge")
        /// Valid JSON, but not a valid envelope: not an object, `payloadType` missing or not an
        /// integer, `clientMsgId` not a string, `payload` not an object, a key given twice.
        public static let invalidEnvelope = Code("invalidEnvelope")
        /// The payload does not decode as its message type: an unknown key, a value of the wrong
        /// type, an unknown enum name.
        public static let invalidPayload = Code("invalidPayload")
        /// A proto2 `required` field is not set; ``MessagingError/fieldPath`` names it.
        public static let missingRequiredField = Code("missingRequiredField")
        /// The payloadType is not in the registry where a typed message is required.
        public static let unknownPayloadType = Code("unknownPayloadType")
        /// A message could not be serialized, or a raw payload cannot travel in the requested wire
        /// format.
        public static let encodingFailed = Code("encodingFailed")
        /// A binary frame or `ProtoMessage` container is malformed.
        public static let invalidFrame = Code("invalidFrame")

        /// The code's name, e.g. `malformedJSON`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A one-line, human-readable explanation.
    public var reason: String
    /// The 1-based line of a JSON syntax error.
    public var line: Int?
    /// The 1-based column (in characters) of a JSON syntax error.
    public var column: Int?
    /// The payloadType of the envelope concerned, when known.
    public var payloadType: PayloadType?
    /// The proto name of the message type concerned, when known.
    public var messageName: String?
    /// The path of the field concerned from the payload's root, e.g. `volume` or
    /// `position.tradeData.symbolId`, when known.
    public var fieldPath: String?
    /// The `clientMsgId` of the envelope concerned, when its envelope was readable (the payload
    /// was not): a client can then fail the request it answers instead of waiting for a timeout.
    public var clientMsgId: String?

    /// Makes an error; the context properties may be set afterwards.
    public init(code: Code, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// `code: reason`, plus the position of a JSON syntax error.
    public var description: String {
        var text = "\(code)"
        if let line, let column { text += " at \(line):\(column)" }
        if !reason.isEmpty { text += ": \(reason)" }
        return text
    }

    /// Equal when the codes are equal; the context is ignored.
    public static func == (lhs: MessagingError, rhs: MessagingError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }
}

extension MessagingError {
    static func malformedJSON(_ reason: String, at offset: Int, in bytes: some Collection<UInt8>) -> MessagingError {
        let (line, column) = lineAndColumn(of: offset, in: bytes)
        var error = MessagingError(code: .malformedJSON, reason: reason)
        error.line = line
        error.column = column
        return error
    }

    /// The 1-based line and column of a byte offset; the column counts characters (UTF-8
    /// continuation bytes are not counted), like the server's "Malformed JSON message at 1:6".
    static func lineAndColumn(of offset: Int, in bytes: some Collection<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    static func invalidEnvelope(_ reason: String) -> MessagingError {
        MessagingError(code: .invalidEnvelope, reason: reason)
    }
}
