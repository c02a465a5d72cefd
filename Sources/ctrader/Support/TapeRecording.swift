import CTraderSession
import Foundation

/// `--record FILE`: the tape recorder of a command.
enum TapeRecording {
    /// A recorder writing to `path`, or `nil` without `--record`.
    ///
    /// - Throws: a usage error when the file cannot be created.
    static func open(_ path: String?) throws -> CTraderTapeRecorder? {
        guard let path else { return nil }
        do {
            return try CTraderTapeRecorder(path: path)
        } catch {
            throw CLIError.usage("--record: cannot create the tape file \(path)")
        }
    }
}
