import CTraderTestSupport
import Testing
import _CTraderLocking

@testable import CTraderTransport

/// Waits (yielding, bounded by the caller's timeout) until `condition` holds.
func waitUntil(_ condition: () -> Bool) async throws {
    while !condition() {
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// A flag set from another task.
final class Flag: @unchecked Sendable {
    // @unchecked Sendable: `value` is guarded by `lock`.
    private let lock = Lock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

extension TransportTests {
    @Suite struct InMemory {
        @Test func oneByteChunkingPreservesTheStream() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair(chunking: .oneByte)
                let message = pattern(5000)
                async let written: Void = {
                    for start in stride(from: 0, to: message.count, by: 1000) {
                        try await client.write(message[start..<(start + 1000)])
                    }
                    try await client.shutdownWrite()
                }()
                var received: [UInt8] = []
                while true {
                    let count = try await server.read(into: &received, maxLength: 4096)
                    if count == 0 { break }
                    #expect(count == 1)
                }
                try await written
                #expect(received == message)
            }
        }

        @Test func randomChunkingPreservesTheStreamAndIsReproducible() async throws {
            @Sendable func run(seed: UInt64) async throws -> (bytes: [UInt8], sizes: [Int]) {
                // Everything is buffered before the first read, so the split depends on the seed only.
                let (client, server) = InMemoryTransport.makePair(
                    chunking: .random(seed: seed, maxChunk: 300), bufferCapacity: 100_000)
                let message = pattern(100_000)
                try await client.write(message)
                try await client.shutdownWrite()
                var received: [UInt8] = []
                var sizes: [Int] = []
                while true {
                    let count = try await server.read(into: &received, maxLength: 10_000)
                    if count == 0 { break }
                    sizes.append(count)
                }
                #expect(received == message)
                return (received, sizes)
            }
            try await withTimeout {
                let first = try await run(seed: 42)
                let again = try await run(seed: 42)
                #expect(Set(first.sizes).count > 10)
                #expect(first.sizes.allSatisfy { $0 >= 1 && $0 <= 300 })
                #expect(first.sizes == again.sizes)
                #expect(try await run(seed: 43).sizes != first.sizes)
            }
        }

        @Test func asWrittenKeepsWriteBoundaries() async throws {
            let (client, server) = InMemoryTransport.makePair()
            try await client.write([1, 2, 3])
            try await client.write([4, 5])
            #expect(try await server.read(maxLength: 100) == [1, 2, 3])
            #expect(try await server.read(maxLength: 100) == [4, 5])
        }

        @Test func abruptResetWakesAPendingReaderWithAnError() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair()
                let reader = Task { try await server.read(maxLength: 10) }
                try await waitUntil { server.inbound.waitingReaderCount == 1 }
                client.injectReset()
                let result = await reader.result
                #expect(throws: TransportError(.connectionReset, reason: "")) { try result.get() }
                await #expect(throws: TransportError(.connectionReset, reason: "")) { try await client.write([1]) }
            }
        }

        @Test func closeWakesOwnReaderAndPeerSeesEndOfStream() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair()
                try await client.write([9, 9])
                let reader = Task { try await client.read(maxLength: 10) }
                try await waitUntil { client.inbound.waitingReaderCount == 1 }
                await client.close()
                let result = await reader.result
                #expect(throws: TransportError(.closed, reason: "")) { try result.get() }
                #expect(try await readToEnd(server) == [9, 9])
                await #expect(throws: TransportError(.connectionReset, reason: "")) { try await server.write([1]) }
            }
        }

        @Test func halfCloseLetsThePeerKeepWriting() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair()
                try await server.write([1])
                try await server.shutdownWrite()
                #expect(try await readToEnd(client) == [1])
                await #expect(throws: TransportError(.closed, reason: "")) { try await server.write([2]) }
                try await client.write([3])
                #expect(try await server.read(maxLength: 10) == [3])
            }
        }

        @Test func stallThenResume() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair()
                server.injectStall()
                try await client.write([7, 8, 9])
                let reader = Task { try await server.read(maxLength: 10) }
                // The bytes are buffered, yet the reader waits.
                try await waitUntil { server.inbound.waitingReaderCount == 1 }
                #expect(server.inbound.bufferedByteCount == 3)
                server.endStall()
                #expect(try await reader.value == [7, 8, 9])
            }
        }

        @Test func stallEndsWithCloseToo() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair()
                server.injectStall()
                try await client.write([1])
                let reader = Task { try await server.read(maxLength: 10) }
                try await waitUntil { server.inbound.waitingReaderCount == 1 }
                await server.close()
                let result = await reader.result
                #expect(throws: TransportError(.closed, reason: "")) { try result.get() }
            }
        }

        @Test func cancelledReadEndsAndLeavesTheTransportUsable() async throws {
            try await withTimeout {
                let (client, server) = InMemoryTransport.makePair()
                let reader = Task { try await server.read(maxLength: 10) }
                try await waitUntil { server.inbound.waitingReaderCount == 1 }
                reader.cancel()
                let result = await reader.result
                #expect(throws: CancellationError.self) { try result.get() }
                #expect(server.inbound.waitingReaderCount == 0)
                try await client.write([5])
                #expect(try await server.read(maxLength: 10) == [5])
            }
        }

        @Test func listenerAcceptsConnectionsAndCloseWakesAccept() async throws {
            try await withTimeout {
                let listener = InMemoryListener(chunking: .oneByte)
                let client = try listener.connect()
                let server = try await listener.accept()
                try await client.write([1, 2])
                #expect(try await server.read(exactly: 2) == [1, 2])
                #expect(client.remoteAddress == server.localAddress)

                let accepting = Task { try await listener.accept() }
                await listener.close()
                let result = await accepting.result
                #expect(throws: TransportError(.closed, reason: "")) { try result.get() }
                #expect(throws: TransportError(.connectionRefused, reason: "")) { try listener.connect() }
            }
        }
    }

    @Suite struct Backpressure {
        @Test func inMemoryWriterWaitsForTheReaderThenCompletes() async throws {
            try await withTimeout {
                let capacity = 64 * 1024
                let (client, server) = InMemoryTransport.makePair(bufferCapacity: capacity)
                let total = 64 << 20
                let done = Flag()
                let writer = Task {
                    try await client.write([UInt8](repeating: 0xAB, count: total))
                    done.set()
                }
                // Readiness: the writer is parked on the full buffer.
                try await waitUntil { client.outbound.waitingWriterCount == 1 }
                #expect(client.outbound.bufferedByteCount == capacity)
                #expect(!done.isSet)
                var received = 0
                var buffer: [UInt8] = []
                while received < total {
                    buffer.removeAll(keepingCapacity: true)
                    received += try await server.read(into: &buffer, maxLength: 1 << 20)
                    #expect(client.outbound.bufferedByteCount <= capacity)
                }
                try await writer.value
                #expect(done.isSet)
                #expect(received == total)
            }
        }

        @Test func tcpWriterOf64MiBWaitsWhileThePeerDoesNotRead() async throws {
            // A generous hang guard: checking 64 MiB byte by byte takes ~50 s under ASan.
            try await withTimeout(.seconds(300)) {
                let (client, server) = try await makeTCPPair()
                let total = 64 << 20
                let done = Flag()
                let writer = Task {
                    try await client.write([UInt8](repeating: 0x5A, count: total))
                    done.set()
                }
                // Readiness: the writer is parked on the poller, waiting for the send buffer to drain.
                try await waitUntil { Poller.shared.waiterCount(on: client.socket.descriptor, for: .writable) == 1 }
                #expect(!done.isSet)
                // Only a bounded amount got through: what the peer's receive queue holds is far
                // below what was written.
                let queued = queuedBytes(server.socket.descriptor)
                #expect(queued > 0 && queued < total / 4, "queued \(queued)")
                var received = 0
                var buffer: [UInt8] = []
                while received < total {
                    buffer.removeAll(keepingCapacity: true)
                    let count = try await server.read(into: &buffer, maxLength: 1 << 20)
                    #expect(count > 0)
                    #expect(buffer.allSatisfy { $0 == 0x5A })
                    received += count
                }
                try await writer.value
                #expect(done.isSet)
                #expect(received == total)
                await client.close()
                await server.close()
            }
        }
    }
}
