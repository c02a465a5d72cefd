// swift-ctrader: the cTrader Open API session layer.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``CTraderTokenStore`` in a JSON file: one pair per account (and one for
/// ``CTraderClient/refreshToken(_:timeout:)``'s pairs, which name no account), in the order they
/// were saved.
///
/// A save writes the whole file to a temporary file in the same directory (mode 0600), flushes it
/// to disk (`fsync`), renames it over the file (atomic: a reader or a crash sees the old file or
/// the new one, never a mix) and flushes the directory. The file's format:
/// `{"version":1,"pairs":[{"ctidTraderAccountId":5,"accessToken":"…","refreshToken":"…","expiresIn":2628000}]}`.
///
/// The file I/O runs on a serial dispatch queue of the store, off Swift's cooperative pool; saves
/// happen in the order they were made. Errors name the path, never the file's content.
public final class CTraderFileTokenStore: CTraderTokenStore, Sendable {
    /// The file's path.
    public let path: String
    private let queue: DispatchQueue

    /// A store in the file at `path` (created by the first save; its directory must exist).
    public init(path: String) {
        self.path = path
        self.queue = DispatchQueue(label: "ctrader.token-store")
    }

    /// The pair saved last for `account`, `nil` when the file does not exist or holds none.
    ///
    /// - Throws: ``CTraderTokenStoreError``: ``CTraderTokenStoreError/Code/corruptFile`` for a file
    ///   that is not a token file, ``CTraderTokenStoreError/Code/fileSystem`` when it cannot be read.
    public func load(account: Int64?) async throws -> CTraderTokenPair? {
        let path = self.path
        return try await onQueue {
            try TokenFile.read(path)?.pairs.first { $0.ctidTraderAccountId == account }?.pair
        }
    }

    /// The pair saved last, whichever account it was saved for (`account` is not consulted).
    ///
    /// A cTrader token pair belongs to a user, not to one of the user's accounts: a refresh made
    /// for any account spends the refresh token every account's pair holds. So the pair saved last
    /// is the only one known to be current. Keep one file per cTrader user.
    ///
    /// - Throws: as ``load(account:)``.
    public func newestPair(account: Int64?) async throws -> CTraderTokenPair? {
        let path = self.path
        return try await onQueue { try TokenFile.read(path)?.pairs.last?.pair }
    }

    /// Saves `pair` durably, replacing the pair saved for its account.
    ///
    /// - Throws: ``CTraderTokenStoreError``: ``CTraderTokenStoreError/Code/corruptFile`` when the
    ///   existing file is not a token file (it is left as it is),
    ///   ``CTraderTokenStoreError/Code/fileSystem`` when writing fails.
    public func save(_ pair: CTraderTokenPair) async throws {
        let path = self.path
        try await onQueue {
            var file = try TokenFile.read(path) ?? TokenFile(version: 1, pairs: [])
            file.pairs.removeAll { $0.ctidTraderAccountId == pair.ctidTraderAccountId }
            file.pairs.append(TokenFile.Entry(pair))
            try file.write(to: path)
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// A failure of ``CTraderFileTokenStore``. Its reason names the path and the system error, never
/// a token.
public struct CTraderTokenStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The file exists but is not a token file (not JSON of the documented shape).
        public static let corruptFile = Code("corruptFile")
        /// Reading or writing the file failed (permissions, a missing directory, a full disk …).
        public static let fileSystem = Code("fileSystem")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The token file's path.
    public var path: String
    /// What went wrong.
    public var reason: String

    /// Makes an error.
    public init(code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// `corruptFile (/path): reason`.
    public var description: String { "\(code) (\(path)): \(reason)" }
}

/// The file's content, and its reading and atomic writing.
private struct TokenFile: Codable {
    struct Entry: Codable {
        var ctidTraderAccountId: Int64?
        var accessToken: String
        var refreshToken: String
        var expiresIn: Int64

        init(_ pair: CTraderTokenPair) {
            ctidTraderAccountId = pair.ctidTraderAccountId
            accessToken = pair.accessToken.value
            refreshToken = pair.refreshToken.value
            expiresIn = pair.expiresIn
        }

        var pair: CTraderTokenPair {
            CTraderTokenPair(
                ctidTraderAccountId: ctidTraderAccountId,
                accessToken: accessToken,
                refreshToken: refreshToken,
                expiresIn: expiresIn
            )
        }
    }

    var version: Int
    var pairs: [Entry]

    /// The file at `path`; `nil` when there is none.
    static func read(_ path: String) throws -> TokenFile? {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch CocoaError.fileReadNoSuchFile {
            return nil
        } catch {
            throw CTraderTokenStoreError(code: .fileSystem, path: path, reason: "reading failed")
        }
        // No decoding details: they could quote the content.
        guard let file = try? JSONDecoder().decode(TokenFile.self, from: data), file.version == 1 else {
            throw CTraderTokenStoreError(code: .corruptFile, path: path, reason: "not a version 1 token file")
        }
        return file
    }

    /// Writes the file to a temporary file beside `path` (0600), fsyncs it, renames it over
    /// `path`, fsyncs the directory.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(UInt32.random(in: 0 ... .max))"
        func failure(_ step: String) -> CTraderTokenStoreError {
            CTraderTokenStoreError(code: .fileSystem, path: path, reason: "\(step) failed: errno \(errno)")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw failure("creating the temporary file") }
        var written = 0
        let ok = data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
        guard ok, fchmod(fd, 0o600) == 0, fsync(fd) == 0 else {
            let error = failure("writing the temporary file")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = failure("renaming the temporary file over the token file")
            unlink(temporary)
            throw error
        }
        // The rename is durable once the directory is; a directory that cannot be opened or
        // flushed (some file systems) leaves the rename as durable as the system makes it.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }
}

/// `write(2)`, named apart from Foundation's methods of the same name.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}
