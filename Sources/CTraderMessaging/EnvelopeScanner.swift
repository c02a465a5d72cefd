// swift-ctrader: the cTrader Open API message layer.

/// The top-level fields of a JSON envelope, found in one pass over the bytes.
struct ScannedEnvelope {
    var payloadType: PayloadType
    var clientMsgId: String?
    /// The byte range of the `payload` object (braces included); `nil` when absent or `null`.
    var payloadRange: Range<Int>?
}

/// A single-pass scanner for `{"clientMsgId":"…","payloadType":N,"payload":{…}}`.
///
/// It reads the envelope's own keys, checks the syntax of every value it passes over (so a
/// malformed payload is reported with its line and column), and only records where the payload
/// object starts and ends: the payload is decoded once, by swift-protobuf, from that range.
/// Unknown top-level keys are checked for syntax and ignored.
struct EnvelopeScanner<Bytes: RandomAccessCollection<UInt8>> where Bytes.Index == Int {
    private let bytes: Bytes
    private var index: Int
    private let maximumDepth: Int

    init(bytes: Bytes, maximumDepth: Int = 100) {
        self.bytes = bytes
        self.index = bytes.startIndex
        self.maximumDepth = maximumDepth
    }

    mutating func scan() throws(MessagingError) -> ScannedEnvelope {
        skipWhitespace()
        guard index < bytes.endIndex else { throw malformed("no JSON value") }
        guard bytes[index] == UInt8(ascii: "{") else {
            if isValueStart(bytes[index]) {
                try skipValue(depth: 0)
                skipWhitespace()
                if index < bytes.endIndex { throw malformed("unexpected character after the JSON value") }
                throw .invalidEnvelope("the envelope is not a JSON object")
            }
            throw invalidToken()
        }
        index += 1
        var payloadType: PayloadType?
        var clientMsgId: String??
        var payloadRange: Range<Int>??
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw expected("a string key") }
                let key = try readKey()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw expected("':'") }
                index += 1
                skipWhitespace()
                switch key {
                case .payloadType:
                    guard payloadType == nil else { throw .invalidEnvelope("payloadType appears twice") }
                    payloadType = try readPayloadType()
                case .clientMsgId:
                    guard clientMsgId == nil else { throw .invalidEnvelope("clientMsgId appears twice") }
                    if peek() == UInt8(ascii: "\"") {
                        clientMsgId = .some(try readString())
                    } else if try skipNull() {
                        clientMsgId = .some(nil)
                    } else {
                        try skipValue(depth: 1)
                        throw .invalidEnvelope("clientMsgId is not a string")
                    }
                case .payload:
                    guard payloadRange == nil else { throw .invalidEnvelope("payload appears twice") }
                    let start = index
                    if peek() == UInt8(ascii: "{") {
                        try skipValue(depth: 1)
                        payloadRange = .some(start..<index)
                    } else if try skipNull() {
                        payloadRange = .some(nil)
                    } else {
                        try skipValue(depth: 1)
                        throw .invalidEnvelope("payload is not a JSON object")
                    }
                default:
                    try skipValue(depth: 1)
                }
                skipWhitespace()
                guard let next = peek() else { throw malformed("unexpected end of input") }
                index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else {
                    index -= 1
                    throw expected("',' or '}'")
                }
            }
        }
        skipWhitespace()
        if index < bytes.endIndex { throw malformed("unexpected character after the JSON object") }
        guard let payloadType else { throw .invalidEnvelope("payloadType is missing") }
        return ScannedEnvelope(
            payloadType: payloadType,
            clientMsgId: clientMsgId ?? nil,
            payloadRange: payloadRange ?? nil
        )
    }

    /// Checks that the bytes hold exactly one JSON object; returns `false` for another valid
    /// value.
    mutating func validateObject() throws(MessagingError) -> Bool {
        skipWhitespace()
        let isObject = peek() == UInt8(ascii: "{")
        try skipValue(depth: 0)
        skipWhitespace()
        if index < bytes.endIndex { throw malformed("unexpected character after the JSON value") }
        return isObject
    }

    // MARK: - Values

    /// An integer payloadType, as a JSON number or a numeric string.
    private mutating func readPayloadType() throws(MessagingError) -> PayloadType {
        let start = index
        if peek() == UInt8(ascii: "\"") {
            let text = try readString()
            guard let value = Int(text) else { throw .invalidEnvelope("payloadType is not an integer") }
            return PayloadType(rawValue: value)
        }
        try skipValue(depth: 1)
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Int(text) else { throw .invalidEnvelope("payloadType is not an integer") }
        return PayloadType(rawValue: value)
    }

    private func isValueStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return true
        default:
            return false
        }
    }

    /// Passes over one JSON value, checking its syntax.
    private mutating func skipValue(depth: Int) throws(MessagingError) {
        guard depth <= maximumDepth else { throw malformed("nested deeper than \(maximumDepth) levels") }
        guard let byte = peek() else { throw malformed("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw expected("a string key") }
                try skipString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw expected("':'") }
                index += 1
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw malformed("unexpected end of input") }
                if next == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                guard next == UInt8(ascii: ",") else { throw expected("',' or '}'") }
                index += 1
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw malformed("unexpected end of input") }
                if next == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                guard next == UInt8(ascii: ",") else { throw expected("',' or ']'") }
                index += 1
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        case UInt8(ascii: "t"):
            try skipLiteral("true")
        case UInt8(ascii: "f"):
            try skipLiteral("false")
        case UInt8(ascii: "n"):
            try skipLiteral("null")
        default:
            throw invalidToken()
        }
    }

    /// Skips `null` if it is next.
    private mutating func skipNull() throws(MessagingError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try skipLiteral("null")
        return true
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(MessagingError) {
        let utf8 = literal.withUTF8Buffer { Array($0) }
        let end = index + utf8.count
        guard end <= bytes.endIndex, bytes[index..<end].elementsEqual(utf8) else { throw invalidToken() }
        index = end
        if let next = peek(), isWordByte(next) { throw invalidToken() }
    }

    private mutating func skipNumber() throws(MessagingError) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw malformed("invalid number") }
        index += 1
        if first != UInt8(ascii: "0") {
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let byte = peek(), isDigit(byte) else { throw malformed("invalid number") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek(), isDigit(byte) else { throw malformed("invalid number") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if let next = peek(), isWordByte(next) { throw invalidToken() }
    }

    private mutating func skipString() throws(MessagingError) {
        _ = try scanString(decode: false)
    }

    private mutating func readString() throws(MessagingError) -> String {
        try scanString(decode: true)
    }

    /// The envelope keys the scanner acts on; every other key is `other`.
    private enum Key {
        case payloadType, clientMsgId, payload, other
    }

    /// Reads an object key. A key without escapes (every key the server writes) is matched on
    /// its bytes, without making a `String`; one with escapes is decoded first.
    private mutating func readKey() throws(MessagingError) -> Key {
        let start = index + 1
        _ = try scanString(decode: false)
        let end = index - 1  // the closing quote
        if bytes[start..<end].contains(UInt8(ascii: "\\")) {
            index = start - 1
            switch try readString() {
            case "payloadType": return .payloadType
            case "clientMsgId": return .clientMsgId
            case "payload": return .payload
            default: return .other
            }
        }
        switch end - start {
        case 11 where matches(start, "payloadType"): return .payloadType
        case 11 where matches(start, "clientMsgId"): return .clientMsgId
        case 7 where matches(start, "payload"): return .payload
        default: return .other
        }
    }

    /// Whether the bytes at `start` are `name`'s (the caller checked the length).
    private func matches(_ start: Int, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { utf8 in
            var offset = 0
            while offset < utf8.count {
                if bytes[start + offset] != utf8[offset] { return false }
                offset += 1
            }
            return true
        }
    }

    /// Passes over a string starting at its opening quote; returns its decoded value when asked.
    private mutating func scanString(decode: Bool) throws(MessagingError) -> String {
        index += 1  // the opening quote
        let start = index
        var hasEscapes = false
        while true {
            guard let byte = peek() else { throw malformed("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                let end = index
                index += 1
                guard decode else { return "" }
                if !hasEscapes { return String(decoding: bytes[start..<end], as: UTF8.self) }
                return unescape(start..<end)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                index += 1
                guard let escaped = peek() else { throw malformed("unterminated string") }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let hex = peek(), hexValue(hex) != nil else { throw malformed("invalid \\u escape") }
                        index += 1
                    }
                default:
                    throw malformed("invalid escape in string")
                }
            case 0..<0x20:
                throw malformed("control character in string")
            default:
                index += 1
            }
        }
    }

    /// Decodes the escapes of an already validated string body.
    private func unescape(_ range: Range<Int>) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var i = range.lowerBound
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        func hex4(at position: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 { value = value << 4 | UInt32(hexValue(bytes[position + offset]) ?? 0) }
            return value
        }
        while i < range.upperBound {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                i += 1
                continue
            }
            flush()
            let escaped = bytes[i + 1]
            i += 2
            switch escaped {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(at: i)
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 6 <= range.upperBound, bytes[i] == UInt8(ascii: "\\"),
                    bytes[i + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(at: i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(escaped))
            }
        }
        flush()
        return String(scalars)
    }

    // MARK: - Bytes

    private func peek() -> UInt8? {
        index < bytes.endIndex ? bytes[index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func isWordByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "_")
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Errors

    private func malformed(_ reason: String) -> MessagingError {
        .malformedJSON(reason, at: index - bytes.startIndex, in: bytes)
    }

    private mutating func expected(_ what: String) -> MessagingError {
        if index >= bytes.endIndex { return malformed("unexpected end of input, expected \(what)") }
        if isWordByte(bytes[index]) { return invalidToken() }
        return malformed("expected \(what)")
    }

    /// An unrecognized bare word such as `hello`: like the server (Jackson), the position is the
    /// end of the word, so `hello` is reported at 1:6.
    private mutating func invalidToken() -> MessagingError {
        let start = index
        while let byte = peek(), isWordByte(byte) { index += 1 }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        return malformed("unrecognized token '\(token)'")
    }
}
