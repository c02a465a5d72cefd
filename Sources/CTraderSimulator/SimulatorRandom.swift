// swift-ctrader: the local cTrader-compatible simulator.

import _CTraderLocking

/// A small, seedable, deterministic pseudo-random generator (SplitMix64).
///
/// `SystemRandomNumberGenerator` cannot be seeded; the simulator needs the same numbers for the
/// same seed on every platform, so that a test can run the engine twice and compare outputs.
public struct SimulatorRandom: RandomNumberGenerator, Sendable, Hashable {
    private var generator: SplitMix64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        generator.next()
    }

    /// The SplitMix64 finaliser: a bijective, well-mixing function of one word.
    static func mix(_ value: UInt64) -> UInt64 {
        SplitMix64.mix(value)
    }

    /// A stateless hash of several words: the basis of the history generator, which must give the
    /// same value for the same (seed, symbol, time) whatever was asked before.
    static func hash(_ words: UInt64...) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for word in words {
            h = mix(h ^ mix(word &+ SplitMix64.increment))
        }
        return h
    }

    /// A hash mapped to `[-1, 1]`.
    static func unit(_ words: UInt64...) -> Double {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for word in words {
            h = mix(h ^ mix(word &+ SplitMix64.increment))
        }
        return Double(h >> 11) / Double(1 << 53) * 2 - 1
    }
}
