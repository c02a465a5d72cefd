/// An incremental UTF-8 validator (RFC 3629, Unicode Table 3-7), for text that arrives in pieces.
///
/// Feed it chunks with ``validate(_:)-(UnsafeRawBufferPointer)``; it returns `false` as soon as an
/// invalid octet arrives (an overlong form, a surrogate `U+D800`-`U+DFFF`, a scalar above
/// `U+10FFFF`, a missing or stray continuation octet), keeping its state across chunk
/// boundaries, so where the text is split does not matter. At the end of the text,
/// ``isComplete`` or ``finish()`` tells whether it stopped in the middle of a sequence.
///
/// Runs of ASCII are checked 32 octets at a time.
public struct UTF8Validator: Hashable, Sendable {
    /// Continuation octets still expected for the current sequence.
    private var pending: UInt8 = 0
    /// The smallest value allowed for the next continuation octet.
    private var lower: UInt8 = 0x80
    /// The largest value allowed for the next continuation octet.
    private var upper: UInt8 = 0xBF

    /// Whether an invalid octet has been seen; once `true`, every ``validate(_:)-(UnsafeRawBufferPointer)``
    /// returns `false` until ``finish()`` or ``reset()``.
    public private(set) var hasFailed: Bool = false

    /// Creates a validator at the start of a text.
    public init() {}

    /// Whether everything fed so far is valid and ends on a character boundary.
    public var isComplete: Bool { !hasFailed && pending == 0 }

    /// Returns ``isComplete`` and resets the validator for the next text.
    public mutating func finish() -> Bool {
        let complete = isComplete
        reset()
        return complete
    }

    /// Forgets all state, as if newly created.
    public mutating func reset() {
        self = UTF8Validator()
    }

    /// Validates the next chunk of the text.
    ///
    /// - Returns: `false` as soon as an invalid octet is found (in this chunk or an earlier one);
    ///   `true` if the text so far is valid, possibly ending in the middle of a sequence.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !hasFailed else { return false }
        var pending = self.pending
        var lower = self.lower
        var upper = self.upper
        defer {
            self.pending = pending
            self.lower = lower
            self.upper = upper
        }
        let count = bytes.count
        var index = 0
        while index < count {
            if pending == 0 {
                // ASCII fast path, 32 octets per iteration (four words OR-ed, one test), then 8.
                // Safe because `index + 32 <= count` (then `index + 8 <= count`): every load lies
                // inside `bytes`.
                while count - index >= 32 {
                    let any =
                        bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                        | bytes.loadUnaligned(fromByteOffset: index &+ 8, as: UInt64.self)
                        | bytes.loadUnaligned(fromByteOffset: index &+ 16, as: UInt64.self)
                        | bytes.loadUnaligned(fromByteOffset: index &+ 24, as: UInt64.self)
                    if any & 0x8080_8080_8080_8080 != 0 { break }
                    index &+= 32
                }
                while count - index >= 8 {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index &+= 8
                }
                guard index < count else { break }
                let byte = bytes[index]
                index &+= 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: (pending, lower, upper) = (1, 0x80, 0xBF)
                case 0xE0: (pending, lower, upper) = (2, 0xA0, 0xBF)  // no overlong 3-octet forms
                case 0xE1...0xEC, 0xEE...0xEF: (pending, lower, upper) = (2, 0x80, 0xBF)
                case 0xED: (pending, lower, upper) = (2, 0x80, 0x9F)  // no surrogates
                case 0xF0: (pending, lower, upper) = (3, 0x90, 0xBF)  // no overlong 4-octet forms
                case 0xF1...0xF3: (pending, lower, upper) = (3, 0x80, 0xBF)
                case 0xF4: (pending, lower, upper) = (3, 0x80, 0x8F)  // nothing above U+10FFFF
                default:  // 0x80-0xC1 (stray continuation, overlong 2-octet lead), 0xF5-0xFF
                    hasFailed = true
                    return false
                }
            } else {
                let byte = bytes[index]
                guard byte >= lower && byte <= upper else {
                    hasFailed = true
                    return false
                }
                index &+= 1
                pending &-= 1  // safe because pending > 0 here
                (lower, upper) = (0x80, 0xBF)
            }
        }
        return true
    }

    /// Validates the next chunk of the text.
    /// - Returns: see ``validate(_:)-(UnsafeRawBufferPointer)``.
    public mutating func validate(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Validates the next chunk of the text.
    /// - Returns: see ``validate(_:)-(UnsafeRawBufferPointer)``.
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Validates the next chunk of the text, from any sequence of octets.
    /// - Returns: see ``validate(_:)-(UnsafeRawBufferPointer)``.
    public mutating func validate(_ bytes: some Sequence<UInt8>) -> Bool {
        if let result = bytes.withContiguousStorageIfAvailable({ validate(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return validate(Array(bytes))
    }

    /// Whether `bytes` is, on its own, complete and valid UTF-8.
    public static func isValid(_ bytes: some Sequence<UInt8>) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }
}
