import CTraderMessaging
import CTraderSession
import Foundation
import _CTraderLocking

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--token-file`: the client's ``CTraderTokenStore``, a `CTraderFileTokenStore`. A pair that
/// cannot be saved is printed to standard error instead, as without `--token-file`: its old
/// refresh token is spent, so that print is its only copy.
struct TokenFileStore: CTraderTokenStore {
    let file: CTraderFileTokenStore
    private let failedSaves = Locked(0)

    /// The store of the file at `path`, checked first: a file that exists must be a regular file
    /// the CLI can read and write; otherwise its directory must exist and be writable. A file
    /// others may read gets a warning on standard error.
    ///
    /// - Throws: a usage ``CLIError`` naming the path.
    init(checking path: String) throws {
        var status = stat()
        if stat(path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFREG else {
                throw CLIError.usage("the token file \(path) is not a regular file")
            }
            guard access(path, R_OK | W_OK) == 0 else {
                throw CLIError.usage("cannot read and write the token file \(path)")
            }
            if status.st_mode & 0o077 != 0 {
                FileHandle.standardError.write(
                    Data(
                        "ctrader: warning: others may read the token file \(path) (chmod 600 \(path))\n".utf8))
            }
        } else {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
                access(directory, W_OK | X_OK) == 0
            else {
                throw CLIError.usage("cannot create the token file \(path): its directory is missing or not writable")
            }
        }
        file = CTraderFileTokenStore(path: path)
    }

    /// Whether a save failed (its pair was printed to standard error).
    var saveFailed: Bool { failedSaves.withLock { $0 > 0 } }

    func load(account: Int64?) async throws -> CTraderTokenPair? {
        try await file.load(account: account)
    }

    func newestPair(account: Int64?) async throws -> CTraderTokenPair? {
        try await file.newestPair(account: account)
    }

    func save(_ pair: CTraderTokenPair) async throws {
        do {
            try await file.save(pair)
        } catch {
            failedSaves.withLock { $0 += 1 }
            FileHandle.standardError.write(
                Data("ctrader: the refreshed tokens could not be saved in the token file: \(error)\n".utf8))
            Session.reportRefreshedTokens(pair)
            throw error
        }
    }
}

extension CTraderError {
    /// Whether the server refused an access token (invalid, or expired): a refresh may help.
    var refusedTheAccessToken: Bool {
        code == .serverError && (errorCode == .chAccessTokenInvalid || errorCode == .oaAuthTokenExpired)
    }
}
