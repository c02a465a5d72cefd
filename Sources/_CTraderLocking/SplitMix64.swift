// swift-ctrader: the one seeded pseudo-random generator. Not API (see Locking.swift).

/// SplitMix64: a tiny, seedable, deterministic generator. The same seed gives the same numbers on
/// every platform, so tests and the simulator are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The generator's step: the golden-ratio increment added to the state before each number.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The state; the next number is `mix(state &+ increment)`.
    public var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= Self.increment  // safe because: wrapping arithmetic is the algorithm.
        return Self.mix(state)
    }

    /// The SplitMix64 finaliser: a bijective, well-mixing function of one word.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
