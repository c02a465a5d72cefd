import CTraderFraming
import Testing

@Suite(.timeLimit(.minutes(5))) struct UTF8ValidatorTests {
    static let multilingual = "Hello, мир! Γειά σου, 你好世界, こんにちは, שָׁלוֹם, 🌍🚀 e\u{301} 𝄞 \u{10FFFF}\u{FFFD}"

    @Test func validTextSplitAtEveryPosition() {
        let bytes = Array(Self.multilingual.utf8)
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            let first = validator.validate(bytes[..<split])
            let second = validator.validate(bytes[split...])
            #expect(first && second, "split at \(split)")
            #expect(validator.isComplete, "split at \(split)")
            let finished = validator.finish()
            #expect(finished)
        }
    }

    @Test func validTextOneByteAtATimeReportsMidSequence() {
        let bytes = Array("aé€𝄞".utf8)  // 1 + 2 + 3 + 4 octets
        var validator = UTF8Validator()
        var completeAfter: [Bool] = []
        for byte in bytes {
            let accepted = validator.validate([byte])
            #expect(accepted)
            completeAfter.append(validator.isComplete)
        }
        #expect(completeAfter == [true, false, true, false, false, true, false, false, false, true])
    }

    @Test(arguments: [
        ("C0 80", 0),  // overlong NUL
        ("C1 BF", 0),  // overlong 2-octet
        ("E0 80 80", 1),  // overlong 3-octet
        ("F0 80 80 80", 1),  // overlong 4-octet
        ("ED A0 80", 1),  // surrogate U+D800
        ("ED BF BF", 1),  // surrogate U+DFFF
        ("F4 90 80 80", 1),  // U+110000
        ("F5 80 80 80", 0),  // lead above F4
        ("FF", 0),
        ("80", 0),  // lone continuation
        ("61 62 BF", 2),  // continuation after ASCII
        ("E2 82 28", 2),  // a missing continuation
        ("C3 A9 C3 28", 3),
        ("41 42 43 44 45 46 47 48 49 80", 9),  // after an ASCII word
    ])
    func invalidSequenceFailsAtTheBadOctet(bytes: String, badIndex: Int) {
        let input = hex(bytes)
        var validator = UTF8Validator()
        for (index, byte) in input.enumerated() {
            let accepted = validator.validate([byte])
            #expect(accepted == (index < badIndex), "octet \(index) of \(bytes)")
            if !accepted { break }
        }
        #expect(validator.hasFailed)
        let later = validator.validate([0x41])
        #expect(!later, "a failed validator stays failed")
        #expect(!UTF8Validator.isValid(input))
    }

    @Test(arguments: ["C2 80", "DF BF", "E0 A0 80", "ED 9F BF", "EE 80 80", "EF BF BF", "F0 90 80 80", "F4 8F BF BF"])
    func boundaryScalarsAreValid(bytes: String) {
        #expect(UTF8Validator.isValid(hex(bytes)))
    }

    @Test func truncatedSequenceIsIncomplete() {
        var validator = UTF8Validator()
        let accepted = validator.validate(hex("61 E2 82"))
        #expect(accepted)
        #expect(!validator.isComplete)
        let finished = validator.finish()
        #expect(!finished)
        // finish() resets.
        let again = validator.validate(hex("61"))
        let finishedAgain = validator.finish()
        #expect(again && finishedAgain)
    }

    @Test func invalidOctetAcrossChunkBoundaryFailsInTheSecondChunk() {
        var validator = UTF8Validator()
        let first = validator.validate(hex("68 69 F0 9F"))
        let second = validator.validate(hex("41"))
        #expect(first)
        #expect(!second)
    }

    @Test func agreesWithTheStandardLibraryOnRandomInput() {
        var generator = SeededGenerator(seed: 42)
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
            0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<length).map { _ in interesting.randomElement(using: &generator)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            let split = Int.random(in: 0...length, using: &generator)
            var validator = UTF8Validator()
            let result =
                validator.validate(bytes[..<split]) && validator.validate(bytes[split...]) && validator.finish()
            #expect(result == expected, "\(bytes) split at \(split)")
        }
    }
}
