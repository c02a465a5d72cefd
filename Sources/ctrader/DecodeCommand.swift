import ArgumentParser
import CTraderMessaging
import Foundation

/// `ctrader decode [FILE]`: decodes JSON envelopes, one per line.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode cTrader JSON envelopes, one per line, from a file or standard input.",
        discussion: """
            Prints each message's payloadType name and typed content; a line that does not decode \
            gets a one-line error with its line number on standard error, and the rest is still \
            decoded. Exits non-zero if any line failed. Blank lines are skipped.
            """
    )

    @Argument(help: "The file to read; standard input when omitted or '-'.")
    var file: String?

    @Flag(help: "Print each message as canonical JSON (the envelope as this library writes it).")
    var json = false

    func run() throws {
        let input: Data
        if let file, file != "-" {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            input = contents
        } else {
            input = FileHandle.standardInput.readDataToEndOfFile()
        }
        let codec = JSONEnvelopeCodec()
        var failures = 0
        for (offset, line) in [UInt8](input).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            var bytes = line
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            guard bytes.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            do {
                let envelope = try codec.decode(bytes)
                print(json ? try codec.encodeString(envelope) : envelope.textSummary)
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("line \(offset + 1): \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
