// swift-ctrader: the seeded generator gives the published SplitMix64 sequence.

import Testing
import _CTraderLocking

@Suite struct SplitMix64Tests {
    @Test func seedZeroGivesTheReferenceSequence() {
        // The first outputs of the reference implementation (Vigna) for seed 0.
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func theSameSeedGivesTheSameNumbers() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        for _ in 0..<100 { #expect(first.next() == second.next()) }
    }
}
