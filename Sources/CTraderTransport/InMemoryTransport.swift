import _CTraderLocking

/// How an in-memory transport splits the byte stream into reads.
public struct InMemoryChunking: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Hashable {
        case asWritten
        case fixed(Int)
        case random(seed: UInt64, maxChunk: Int)
    }

    let kind: Kind

    /// A read returns at most what one write put in (the default): message boundaries survive, as
    /// on a fast local socket.
    public static let asWritten = InMemoryChunking(kind: .asWritten)

    /// A read returns at most `size` bytes (`1`: byte by byte), to show a parser copes with any split.
    public static func fixed(_ size: Int) -> InMemoryChunking {
        precondition(size > 0, "the chunk size must be positive")
        return InMemoryChunking(kind: .fixed(size))
    }

    /// A read returns one byte at a time.
    public static let oneByte = fixed(1)

    /// A read returns a pseudo-random 1...`maxChunk` bytes (never more than are buffered), drawn
    /// from a generator seeded with `seed`: the same seed and the same buffered bytes at each read
    /// give the same split.
    public static func random(seed: UInt64, maxChunk: Int = 1024) -> InMemoryChunking {
        precondition(maxChunk > 0, "maxChunk must be positive")
        return InMemoryChunking(kind: .random(seed: seed, maxChunk: maxChunk))
    }

    /// E.g. `asWritten`, `fixed(1)`, `random(seed: 7, maxChunk: 1024)`.
    public var description: String {
        switch kind {
        case .asWritten: "asWritten"
        case .fixed(let size): "fixed(\(size))"
        case .random(let seed, let maxChunk): "random(seed: \(seed), maxChunk: \(maxChunk))"
        }
    }
}

/// One direction of an in-memory pair: a bounded byte buffer with its reader's and writer's flags.
final class MemoryPipe: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `lock`.
    let lock = Lock()
    private let readers: WaitQueue
    private let writers: WaitQueue
    private let capacity: Int
    private let chunking: InMemoryChunking
    private var random: SplitMix64

    private var storage: [UInt8] = []
    private var readIndex = 0
    /// Absolute stream offsets at which a write ended (for ``InMemoryChunking/asWritten``).
    private var boundaries: [Int] = []
    private var totalRead = 0
    private var totalWritten = 0

    /// The writer shut down its side: the reader gets end of stream after the buffer.
    private var writeShutdown = false
    /// The writing transport was closed: its writes throw `closed`.
    private var writerClosed = false
    /// The reading transport was closed: its reads throw `closed`; the writer's throw `connectionReset`.
    private var readerClosed = false
    /// A fault: everything on both ends throws `connectionReset`.
    private var reset = false
    /// A fault: reads wait even when bytes are buffered.
    private var stalled = false

    init(capacity: Int, chunking: InMemoryChunking, salt: UInt64) {
        self.capacity = capacity
        self.chunking = chunking
        if case .random(let seed, _) = chunking.kind {
            random = SplitMix64(seed: seed ^ salt)
        } else {
            random = SplitMix64(seed: 0)
        }
        readers = WaitQueue(lock: lock)
        writers = WaitQueue(lock: lock)
    }

    /// The next number of the chunking's reproducible generator.
    private func nextRandom() -> UInt64 {
        random.next()
    }

    private var bufferedLocked: Int { totalWritten - totalRead }

    /// Bytes written and not yet read.
    var bufferedByteCount: Int { lock.withLock { bufferedLocked } }

    /// Tasks waiting to write (for tests).
    var waitingWriterCount: Int { lock.withLock { writers.waitingCountLocked } }

    /// Tasks waiting to read (for tests).
    var waitingReaderCount: Int { lock.withLock { readers.waitingCountLocked } }

    private enum Outcome {
        case done(Int)
        case wait
    }

    func read(into buffer: inout [UInt8], maxLength: Int) async throws -> Int {
        precondition(maxLength > 0, "maxLength must be positive")
        while true {
            try Task.checkCancellation()
            var woken: [CheckedContinuation<Void, any Error>] = []
            let outcome: Outcome = try lock.withLock {
                if readerClosed { throw TransportError.closed() }
                if reset { throw TransportError(.connectionReset, reason: "the connection was reset (injected fault)") }
                if stalled { return .wait }
                let available = bufferedLocked
                if available == 0 { return writeShutdown || writerClosed ? .done(0) : .wait }
                var count = min(maxLength, available)
                switch chunking.kind {
                case .asWritten:
                    if let end = boundaries.first(where: { $0 > totalRead }) { count = min(count, end - totalRead) }
                case .fixed(let size):
                    count = min(count, size)
                case .random(_, let maxChunk):
                    count = min(count, 1 + Int(nextRandom() % UInt64(maxChunk)))
                }
                buffer.append(contentsOf: storage[readIndex..<(readIndex + count)])
                readIndex += count
                totalRead += count
                while let first = boundaries.first, first <= totalRead { boundaries.removeFirst() }
                if readIndex > 4096, readIndex * 2 > storage.count {
                    storage.removeFirst(readIndex)
                    readIndex = 0
                }
                woken = writers.takeAllLocked()
                return .done(count)
            }
            WaitQueue.resumeAll(woken)
            if case .done(let count) = outcome { return count }
            try await readers.wait {
                readerClosed || reset || (!stalled && (bufferedLocked > 0 || writeShutdown || writerClosed))
            }
        }
    }

    func write(_ bytes: ArraySlice<UInt8>) async throws {
        var remaining = bytes
        while !remaining.isEmpty {
            try Task.checkCancellation()
            var woken: [CheckedContinuation<Void, any Error>] = []
            let outcome: Outcome = try lock.withLock {
                if writerClosed { throw TransportError.closed() }
                if writeShutdown { throw TransportError(.closed, reason: "the transport's writing side was shut down") }
                if reset { throw TransportError(.connectionReset, reason: "the connection was reset (injected fault)") }
                if readerClosed { throw TransportError(.connectionReset, reason: "the peer closed the connection") }
                let space = capacity - bufferedLocked
                guard space > 0 else { return .wait }
                let count = min(space, remaining.count)
                storage.append(contentsOf: remaining.prefix(count))
                totalWritten += count
                boundaries.append(totalWritten)
                woken = readers.takeAllLocked()
                return .done(count)
            }
            WaitQueue.resumeAll(woken)
            if case .done(let count) = outcome {
                remaining = remaining.dropFirst(count)
                continue
            }
            try await writers.wait {
                writerClosed || writeShutdown || reset || readerClosed || bufferedLocked < capacity
            }
        }
    }

    /// Changes flags under the lock, then wakes every waiter to re-check.
    func update(_ change: (MemoryPipe) -> Void) {
        let woken: [CheckedContinuation<Void, any Error>] = lock.withLock {
            change(self)
            return readers.takeAllLocked() + writers.takeAllLocked()
        }
        WaitQueue.resumeAll(woken)
    }

    func shutdownWriteLocked() { writeShutdown = true }
    func closeWriterLocked() { writerClosed = true }
    func closeReaderLocked() { readerClosed = true }
    func resetLocked() { reset = true }
    func setStalledLocked(_ value: Bool) { stalled = value }
    var isWriterClosedLocked: Bool { writerClosed }
}

/// One end of an in-memory connection, for tests: no sockets, deterministic, with configurable
/// chunking, a bounded buffer per direction (so backpressure is real) and fault injection.
///
/// Make a connected pair with ``makePair(chunking:bufferCapacity:)`` or connect through an
/// ``InMemoryListener``. A class because the two ends share identity-bearing buffers.
public final class InMemoryTransport: Transport {
    /// The per-direction buffer used when none is given: 64 KiB, like a small socket buffer, so
    /// large writes exercise backpressure.
    public static let defaultBufferCapacity = 64 * 1024

    let inbound: MemoryPipe
    let outbound: MemoryPipe
    /// E.g. `memory:1/client`.
    public let localAddress: String
    /// E.g. `memory:1/server`.
    public let remoteAddress: String

    init(inbound: MemoryPipe, outbound: MemoryPipe, localAddress: String, remoteAddress: String) {
        self.inbound = inbound
        self.outbound = outbound
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    /// Makes a connected pair.
    ///
    /// - Parameters:
    ///   - chunking: How the byte stream is split into reads, in both directions; default
    ///     ``InMemoryChunking/asWritten``.
    ///   - bufferCapacity: The bytes one direction buffers before a writer waits; default
    ///     ``defaultBufferCapacity``.
    /// - Returns: The two ends; what one writes the other reads.
    public static func makePair(
        chunking: InMemoryChunking = .asWritten,
        bufferCapacity: Int = defaultBufferCapacity
    ) -> (client: InMemoryTransport, server: InMemoryTransport) {
        makePair(chunking: chunking, bufferCapacity: bufferCapacity, name: "memory:\(PairCounter.next())")
    }

    static func makePair(
        chunking: InMemoryChunking,
        bufferCapacity: Int,
        name: String
    ) -> (client: InMemoryTransport, server: InMemoryTransport) {
        precondition(bufferCapacity > 0, "bufferCapacity must be positive")
        let toServer = MemoryPipe(capacity: bufferCapacity, chunking: chunking, salt: 1)
        let toClient = MemoryPipe(capacity: bufferCapacity, chunking: chunking, salt: 2)
        let client = InMemoryTransport(
            inbound: toClient, outbound: toServer, localAddress: "\(name)/client", remoteAddress: "\(name)/server")
        let server = InMemoryTransport(
            inbound: toServer, outbound: toClient, localAddress: "\(name)/server", remoteAddress: "\(name)/client")
        return (client, server)
    }

    /// Reads at least one and at most `maxLength` bytes (fewer as ``InMemoryChunking`` dictates).
    public func read(into buffer: inout [UInt8], maxLength: Int) async throws -> Int {
        try await inbound.read(into: &buffer, maxLength: maxLength)
    }

    /// Writes all of `bytes`, waiting while the peer's bounded buffer is full.
    public func write(_ bytes: ArraySlice<UInt8>) async throws {
        try await outbound.write(bytes)
    }

    /// The peer reads end of stream once it has read everything written before.
    public func shutdownWrite() async throws {
        let alreadyClosed = outbound.lock.withLock { outbound.isWriterClosedLocked }
        if alreadyClosed { throw TransportError.closed() }
        outbound.update { $0.shutdownWriteLocked() }
    }

    /// Closes this end: its pending and later operations throw ``TransportError/Code/closed``; the
    /// peer reads what was buffered, then end of stream, and its writes throw
    /// ``TransportError/Code/connectionReset``.
    public func close() async {
        outbound.update { $0.closeWriterLocked() }
        inbound.update { $0.closeReaderLocked() }
    }

    /// Fault: an abrupt reset. Every pending and later operation on both ends throws
    /// ``TransportError/Code/connectionReset``, even with bytes still buffered.
    public func injectReset() {
        outbound.update { $0.resetLocked() }
        inbound.update { $0.resetLocked() }
    }

    /// Fault: this end's reads hang (even with bytes buffered) until ``endStall()`` or ``close()``.
    public func injectStall() {
        inbound.update { $0.setStalledLocked(true) }
    }

    /// Ends a stall begun by ``injectStall()``; waiting reads proceed.
    public func endStall() {
        inbound.update { $0.setStalledLocked(false) }
    }
}

/// Numbers in-memory pairs and listeners for their address descriptions.
enum PairCounter {
    private static let lock = Lock()
    nonisolated(unsafe) private static var value = 0

    static func next() -> Int {
        // safe because: `value` is only touched with `lock` held.
        lock.withLock {
            value += 1
            return value
        }
    }
}
