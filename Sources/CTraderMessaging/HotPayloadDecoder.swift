// swift-ctrader: the cTrader Open API message layer.

/// Specialised JSON decoders for the messages a connection receives by the thousand
/// (``ProtoOASpotEvent``), used by ``JSONEnvelopeCodec`` before the generic swift-protobuf path.
///
/// A hot decoder accepts only the plain shape the server writes: known keys without escapes, each
/// at most once; integers as plain decimal numbers (`123`, `-5`) or plain decimal strings
/// (`"123"`); enums as numbers of a known case. For anything else (an unknown key, `null`, a
/// fraction or exponent, a nested message such as a trendbar, an out-of-range value) it returns
/// `nil` and the generic path decodes the payload, with its own errors. So the result is always
/// the one the generic path gives; a test compares the two on many inputs.
///
/// The payload bytes have already been checked for JSON syntax by ``EnvelopeScanner``.
enum HotPayloadDecoder {
    /// Decodes a ``ProtoOASpotEvent`` payload without a trendbar, or returns `nil`.
    static func spotEvent(_ bytes: ArraySlice<UInt8>) -> ProtoOASpotEvent? {
        bytes.withUnsafeBufferPointer { buffer -> ProtoOASpotEvent? in
            var cursor = HotJSONCursor(buffer)
            var event = ProtoOASpotEvent()
            var seen: UInt16 = 0
            let complete = cursor.readObject { cursor, key in
                // Each key is matched by length first, then by its bytes.
                let field: UInt16
                switch key.count {
                case 3 where HotJSONCursor.equals(key, "bid"):
                    field = 1 << 4
                    guard let value = cursor.readUInt64() else { return false }
                    event.bid = value
                case 3 where HotJSONCursor.equals(key, "ask"):
                    field = 1 << 5
                    guard let value = cursor.readUInt64() else { return false }
                    event.ask = value
                case 8 where HotJSONCursor.equals(key, "symbolId"):
                    field = 1 << 3
                    guard let value = cursor.readInt64() else { return false }
                    event.symbolID = value
                case 9 where HotJSONCursor.equals(key, "timestamp"):
                    field = 1 << 8
                    guard let value = cursor.readInt64() else { return false }
                    event.timestamp = value
                case 11 where HotJSONCursor.equals(key, "payloadType"):
                    field = 1 << 1
                    guard let raw = cursor.readInt64(allowsString: false), let value = Int(exactly: raw),
                        let type = ProtoOAPayloadType(rawValue: value)
                    else { return false }
                    event.payloadType = type
                case 12 where HotJSONCursor.equals(key, "sessionClose"):
                    field = 1 << 7
                    guard let value = cursor.readUInt64() else { return false }
                    event.sessionClose = value
                case 19 where HotJSONCursor.equals(key, "ctidTraderAccountId"):
                    field = 1 << 2
                    guard let value = cursor.readInt64() else { return false }
                    event.ctidTraderAccountID = value
                default:
                    // Unknown keys, and trendbar (a nested message): the generic path.
                    return false
                }
                guard seen & field == 0 else { return false }
                seen |= field
                return true
            }
            return complete ? event : nil
        }
    }
}

/// A forward-only reader over the bytes of one JSON object, for ``HotPayloadDecoder``. Every
/// method returns `nil` or `false` for input it does not handle, never throws.
struct HotJSONCursor {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    /// Reads `{ "key": value, … }` up to the end of the bytes, calling `member` after each key's
    /// colon to read its value. Returns `false` as soon as `member` does, or on anything unexpected.
    mutating func readObject(_ member: (inout HotJSONCursor, UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return atEnd() }
        while true {
            skipWhitespace()
            guard let key = readKey() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            guard take(UInt8(ascii: "}")) else { return false }
            return atEnd()
        }
    }

    /// An `int64`: a plain decimal number, or (when `allowsString`) a plain decimal string.
    mutating func readInt64(allowsString: Bool = true) -> Int64? {
        let quoted = allowsString && take(UInt8(ascii: "\""))
        let negative = take(UInt8(ascii: "-"))
        guard let magnitude = readDigits() else { return nil }
        if quoted && !take(UInt8(ascii: "\"")) { return nil }
        if negative {
            // "-0" is left to the generic path.
            guard magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A `uint64`: a plain decimal number or a plain decimal string.
    mutating func readUInt64() -> UInt64? {
        let quoted = take(UInt8(ascii: "\""))
        guard let value = readDigits() else { return nil }
        if quoted && !take(UInt8(ascii: "\"")) { return nil }
        return value
    }

    /// One or more digits without a leading zero (a lone `0` is fine), not followed by a
    /// fraction, an exponent or another word character; `nil` on overflow.
    private mutating func readDigits() -> UInt64? {
        let start = index
        var value: UInt64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index &+= 1  // safe because index < bytes.count
        }
        let count = index - start
        guard count > 0, count == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return value
    }

    /// A key's bytes between its quotes; `nil` when it has an escape.
    private mutating func readKey() -> UnsafeBufferPointer<UInt8>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                let key = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index &+= 1  // safe because index < bytes.count
                return key
            case UInt8(ascii: "\\"):
                return nil
            default:
                index &+= 1  // safe because index < bytes.count
            }
        }
        return nil
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index &+= 1  // safe because index < bytes.count
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                index &+= 1  // safe because index < bytes.count
            default:
                return
            }
        }
    }

    private mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    /// Whether `key` is exactly the ASCII `name`.
    static func equals(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        // A plain loop: `elementsEqual` on these buffers is generic and was a fifth of the time.
        name.withUTF8Buffer { utf8 in
            guard key.count == utf8.count else { return false }
            var offset = 0
            while offset < utf8.count {
                if key[offset] != utf8[offset] { return false }
                offset &+= 1  // safe because offset < utf8.count
            }
            return true
        }
    }
}
