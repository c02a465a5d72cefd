// swift-ctrader: the JSON file token store: private, atomic, typed errors.

import CTraderSession
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct CTraderFileTokenStoreTests {
    /// A fresh empty directory.
    private func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ctrader-tokens-\(UInt64.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func pair(_ account: Int64?, _ n: Int) -> CTraderTokenPair {
        CTraderTokenPair(
            ctidTraderAccountId: account,
            accessToken: "access-\(n)-abcdefghijkl",
            refreshToken: "refresh-\(n)-abcdefghijkl",
            expiresIn: Int64(3600 * n)
        )
    }

    @Test func aMissingFileLoadsNothing() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CTraderFileTokenStore(path: directory + "/tokens.json")
        #expect(try await store.load(account: 5) == nil)
    }

    @Test func aPairRoundTripsInAPrivateFile() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.json"
        let store = CTraderFileTokenStore(path: path)
        try await store.save(pair(5, 1))
        try await store.save(pair(nil, 2))
        #expect(try await store.load(account: 5) == pair(5, 1))
        #expect(try await store.load(account: nil) == pair(nil, 2))
        #expect(try await store.load(account: 6) == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = try #require(attributes[.posixPermissions] as? NSNumber).intValue
        #expect(mode & 0o777 == 0o600)
        // Another store on the same file reads it.
        #expect(try await CTraderFileTokenStore(path: path).load(account: 5) == pair(5, 1))
    }

    @Test func theNewestPairIsTheOneSavedLastForAnyAccount() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CTraderFileTokenStore(path: directory + "/tokens.json")
        #expect(try await store.newestPair(account: 5) == nil)
        try await store.save(pair(5, 1))
        try await store.save(pair(nil, 2))
        // The account-less refresh spent account 5's refresh token: its pair is stale.
        #expect(try await store.newestPair(account: 5) == pair(nil, 2))
        try await store.save(pair(7, 3))
        #expect(try await store.newestPair(account: nil) == pair(7, 3))
        try await store.save(pair(5, 4))
        #expect(try await store.newestPair(account: 7) == pair(5, 4))
    }

    @Test func aSecondSaveReplacesTheFileAndLeavesNoTemporaryFile() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.json"
        let store = CTraderFileTokenStore(path: path)
        try await store.save(pair(5, 1))
        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber
        try await store.save(pair(5, 2))
        let after = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber
        #expect(try await store.load(account: 5) == pair(5, 2))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("refresh-2-abcdefghijkl"))
        #expect(!text.contains("refresh-1-abcdefghijkl"))
        // Renamed over, not rewritten in place: a new inode.
        #expect(before != after)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["tokens.json"])
    }

    @Test func aCorruptFileIsATypedErrorAndIsLeftAlone() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokens.json"
        try "{not json secret-abcdefghijkl".write(toFile: path, atomically: false, encoding: .utf8)
        let store = CTraderFileTokenStore(path: path)
        await #expect {
            _ = try await store.load(account: 5)
        } throws: { error in
            guard let error = error as? CTraderTokenStoreError else { return false }
            return error.code == .corruptFile && error.path == path && !"\(error)".contains("secret")
        }
        await #expect(throws: CTraderTokenStoreError.self) { try await store.save(pair(5, 1)) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{not json secret-abcdefghijkl")
    }

    @Test func aMissingDirectoryIsAFileSystemError() async throws {
        let store = CTraderFileTokenStore(path: "/nonexistent-\(UInt64.random(in: 0 ... .max))/tokens.json")
        await #expect {
            try await store.save(pair(5, 1))
        } throws: { error in
            (error as? CTraderTokenStoreError)?.code == .fileSystem
        }
    }
}
