import _CTraderLocking

/// Accepts in-memory connections, so a server role can be tested without sockets: clients call
/// ``connect()``, the server calls ``accept()``.
///
/// A class because connecting clients and the accepting server share its queue.
public final class InMemoryListener: TransportListener, @unchecked Sendable {
    // @unchecked Sendable: `queue` and `closed` are guarded by `lock`.

    /// The queue length used when none is given: 128, like ``TCPListener/defaultBacklog``.
    public static let defaultBacklog = 128

    private let lock = Lock()
    private let acceptors: WaitQueue
    private var queue: [InMemoryTransport] = []
    private var closed = false
    private let chunking: InMemoryChunking
    private let bufferCapacity: Int
    private let backlog: Int

    /// A made-up port, unique among this process's in-memory listeners (for descriptions).
    public let port: Int

    /// Makes a listener whose connections use `chunking` and `bufferCapacity` (see
    /// ``InMemoryTransport/makePair(chunking:bufferCapacity:)``) and which queues at most
    /// `backlog` connections not yet accepted.
    public init(
        chunking: InMemoryChunking = .asWritten,
        bufferCapacity: Int = InMemoryTransport.defaultBufferCapacity,
        backlog: Int = defaultBacklog
    ) {
        self.chunking = chunking
        self.bufferCapacity = bufferCapacity
        self.backlog = backlog
        self.port = PairCounter.next()
        acceptors = WaitQueue(lock: lock)
    }

    /// Connects a client: returns its end at once and queues the server's end for ``accept()``.
    ///
    /// - Throws: ``TransportError/Code/connectionRefused`` when the listener is closed or its
    ///   backlog is full.
    public func connect() throws -> InMemoryTransport {
        let (client, server) = InMemoryTransport.makePair(
            chunking: chunking, bufferCapacity: bufferCapacity, name: "memory:\(port)#\(PairCounter.next())")
        let woken: [CheckedContinuation<Void, any Error>] = try lock.withLock {
            if closed { throw TransportError(.connectionRefused, reason: "the in-memory listener \(port) is closed") }
            if queue.count >= backlog {
                throw TransportError(.connectionRefused, reason: "the in-memory listener \(port)'s backlog is full")
            }
            queue.append(server)
            return acceptors.takeAllLocked()
        }
        WaitQueue.resumeAll(woken)
        return client
    }

    /// Waits for the next connection.
    public func accept() async throws -> any Transport {
        try await acceptConnection()
    }

    /// ``accept()``, as the concrete type.
    public func acceptConnection() async throws -> InMemoryTransport {
        while true {
            try Task.checkCancellation()
            let next: InMemoryTransport? = try lock.withLock {
                if closed { throw TransportError.closed("listener") }
                return queue.isEmpty ? nil : queue.removeFirst()
            }
            if let next { return next }
            try await acceptors.wait { closed || !queue.isEmpty }
        }
    }

    /// Stops accepting; a pending ``accept()`` throws ``TransportError/Code/closed`` and queued,
    /// never-accepted connections are closed (their clients read end of stream).
    public func close() async {
        let (pending, woken): ([InMemoryTransport], [CheckedContinuation<Void, any Error>]) = lock.withLock {
            closed = true
            defer { queue = [] }
            return (queue, acceptors.takeAllLocked())
        }
        WaitQueue.resumeAll(woken)
        for connection in pending { await connection.close() }
    }
}
