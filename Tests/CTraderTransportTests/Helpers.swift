import Logging
import Testing

@testable import CTraderTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A logger that drops everything (tests assert behaviour, not logs).
let testLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Deterministic bytes `0, 1, …, 250, 0, 1, …` (a prime period exposes reordering and loss).
func pattern(_ count: Int, offset: Int = 0) -> [UInt8] {
    let period = (0..<(251 * 2)).map { UInt8(truncatingIfNeeded: $0 % 251) }
    var result: [UInt8] = []
    result.reserveCapacity(count + period.count)
    let start = offset % 251
    result.append(contentsOf: period[start..<251])
    while result.count < count { result.append(contentsOf: period[0..<251]) }
    return Array(result.prefix(count))
}

/// Reads until end of stream.
func readToEnd(_ transport: any Transport, chunk: Int = 65536) async throws -> [UInt8] {
    var buffer: [UInt8] = []
    while try await transport.read(into: &buffer, maxLength: chunk) > 0 {}
    return buffer
}

/// A connected TCP pair over loopback: (client, server).
func makeTCPPair(host: String = "127.0.0.1") async throws -> (TCPTransport, TCPTransport) {
    let listener = try await TCPListener.bind(host: host, port: 0, logger: testLogger)
    async let accepted = listener.acceptConnection()
    let client = try await TCPTransport.connect(host: host, port: listener.port, logger: testLogger)
    let server = try await accepted
    await listener.close()
    return (client, server)
}

/// Entries of the open-descriptor directory.
func openDescriptorCount() -> Int {
    #if os(Linux)
    let path = "/proc/self/fd"
    #else
    let path = "/dev/fd"
    #endif
    guard let dir = opendir(path) else { return -1 }
    defer { closedir(dir) }
    var count = 0
    while readdir(dir) != nil { count += 1 }
    return count
}

/// The process's thread count from /proc/self/status (Linux), or nil.
func threadCount() -> Int? {
    #if os(Linux)
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("Threads:") {
            return Int(text.dropFirst("Threads:".count).trimmingCharacters(in: " \t\n"))
        }
    }
    return nil
    #else
    return nil
    #endif
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}

/// Bytes waiting in a socket's receive queue (`FIONREAD`).
func queuedBytes(_ fd: Int32) -> Int {
    var count: Int32 = 0
    _ = ioctl(fd, UInt(FIONREAD), &count)
    return Int(count)
}
