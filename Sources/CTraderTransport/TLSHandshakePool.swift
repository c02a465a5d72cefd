import Logging
import _CTraderLocking

/// The accept loop behind ``TLSListener/accept()``: it accepts TCP connections and runs their
/// server handshakes concurrently, at most `limit` at a time, and hands the connections whose
/// handshake succeeded to ``next()`` in the order their handshakes completed.
///
/// A slot is held from the TCP accept until ``next()`` returns the connection (or its handshake
/// fails), so handshakes in progress plus connections waiting to be returned never exceed
/// `limit`. While every slot is held the loop does not call `accept(2)`: further clients wait in
/// the kernel's listen backlog.
///
/// Nothing here blocks a thread: the TCP accept and the handshakes park on the module's
/// ``Poller`` like every other transport operation; the lock guards only bookkeeping.
///
/// A class: it owns the loop task, the handshake tasks and the connections not yet returned.
final class TLSHandshakePool: @unchecked Sendable {
    // @unchecked Sendable: `state` is guarded by `lock`; the rest is immutable.

    private struct State {
        var closed = false
        /// The accept loop, started by the first ``next()``.
        var loop: Task<Void, Never>?
        /// Handshakes in progress, by number.
        var handshakes: [UInt64: Task<Void, Never>] = [:]
        var nextHandshake: UInt64 = 0
        /// Handshaken connections not yet returned, oldest first.
        var ready: [TLSTransport] = []
        /// A failed TCP accept, for the next ``next()`` call (the loop waits until it is taken).
        var acceptFailure: (any Error)?
        /// Whether the loop has stopped accepting because every slot is held (for tests).
        var waitsForSlot = false

        /// Whether the loop may accept another connection.
        func hasFreeSlot(limit: Int) -> Bool {
            acceptFailure == nil && handshakes.count + ready.count < limit
        }
    }

    /// What the pool is doing, for tests.
    struct Snapshot: Sendable, Hashable {
        /// Handshakes in progress.
        var handshakesInProgress: Int
        /// Handshaken connections not yet returned by ``next()``.
        var readyConnections: Int
        /// Whether the accept loop stopped accepting because every slot is held.
        var waitsForSlot: Bool
    }

    private let lock = Lock()
    private var state = State()
    /// ``next()`` callers, waiting for a connection, a failure or the close.
    private let consumers: WaitQueue
    /// The accept loop, waiting for a free slot.
    private let slots: WaitQueue
    /// Tests, waiting for a ``Snapshot``.
    private let observers: WaitQueue

    private let tcp: TCPListener
    private let context: TLSContext
    private let logger: Logger
    /// The most handshakes in progress plus connections waiting to be returned.
    let limit: Int

    init(tcp: TCPListener, context: TLSContext, limit: Int, logger: Logger) {
        self.tcp = tcp
        self.context = context
        self.limit = max(1, limit)
        self.logger = logger
        consumers = WaitQueue(lock: lock)
        slots = WaitQueue(lock: lock)
        observers = WaitQueue(lock: lock)
    }

    // MARK: - State changes

    /// Runs `body` on the state under the lock, then wakes every waiter to check again.
    private func update<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        let result = body(&state)
        let woken = consumers.takeAllLocked() + slots.takeAllLocked() + observers.takeAllLocked()
        lock.unlock()
        WaitQueue.resumeAll(woken)
        return result
    }

    private var snapshotLocked: Snapshot {
        Snapshot(
            handshakesInProgress: state.handshakes.count, readyConnections: state.ready.count,
            waitsForSlot: state.waitsForSlot)
    }

    // MARK: - Consumers

    /// The next connection whose handshake succeeded, in completion order. The first call starts
    /// the accept loop.
    ///
    /// - Throws: ``TransportError/Code/closed`` once ``close()`` was called, `CancellationError`
    ///   when the calling task is cancelled while waiting (the loop goes on), or the error of a
    ///   failed TCP accept (e.g. out of file descriptors).
    func next() async throws -> TLSTransport {
        while true {
            // Only a change wakes the other waiters: a wake-up for nothing would make a waiting
            // loop and a waiting consumer wake each other forever.
            let (outcome, changed): (Result<TLSTransport, any Error>?, Bool) = lock.withLock {
                if state.closed { return (.failure(TransportError.closed()), false) }
                if !state.ready.isEmpty { return (.success(state.ready.removeFirst()), true) }
                if let failure = state.acceptFailure {
                    state.acceptFailure = nil
                    return (.failure(failure), true)
                }
                if state.loop == nil {
                    state.loop = Task { await self.run() }
                }
                return (nil, false)
            }
            if changed { update { _ in } }
            if let outcome { return try outcome.get() }
            try await consumers.wait { state.closed || !state.ready.isEmpty || state.acceptFailure != nil }
        }
    }

    /// What the pool is doing now (for tests).
    var snapshot: Snapshot { lock.withLock { snapshotLocked } }

    /// Suspends until `predicate` holds for the pool's ``Snapshot`` (for tests).
    func waitUntil(_ predicate: (Snapshot) -> Bool) async throws {
        while !lock.withLock({ predicate(snapshotLocked) }) {
            try await observers.wait { predicate(snapshotLocked) }
        }
    }

    // MARK: - The loop

    private func run() async {
        while true {
            if !lock.withLock({ state.closed || state.hasFreeSlot(limit: limit) }) {
                update { $0.waitsForSlot = true }
                do {
                    // A wake-up means "check again"; only a free slot (or the close) ends the wait.
                    repeat {
                        try await slots.wait { state.closed || state.hasFreeSlot(limit: limit) }
                    } while !lock.withLock({ state.closed || state.hasFreeSlot(limit: limit) })
                } catch {
                    return  // cancelled: the pool is closing or released
                }
                update { $0.waitsForSlot = false }
            }
            if lock.withLock({ state.closed }) || Task.isCancelled { return }
            let connection: TCPTransport
            do {
                connection = try await tcp.acceptConnection()
            } catch {
                if error is CancellationError || (error as? TransportError)?.code == .closed { return }
                update { $0.acceptFailure = error }
                continue
            }
            let started = update { state in
                guard !state.closed else { return false }
                state.nextHandshake &+= 1  // safe because: wrapping after 2^64 handshakes is harmless for a key.
                let number = state.nextHandshake
                // The task removes its own entry under the lock, which is held until it is added.
                state.handshakes[number] = Task { await self.handshake(over: connection, number: number) }
                return true
            }
            if !started {
                await connection.close()
                return
            }
        }
    }

    private func handshake(over connection: TCPTransport, number: UInt64) async {
        let remote = connection.remoteAddress
        do {
            // It closes `connection` when it fails or is cancelled.
            let transport = try await TLSTransport.accept(over: connection, context: context, logger: logger)
            let kept = update { state in
                state.handshakes[number] = nil
                guard !state.closed else { return false }
                state.ready.append(transport)
                return true
            }
            if !kept { await transport.close() }
        } catch {
            let closing = update { state in
                state.handshakes[number] = nil
                return state.closed
            }
            if !closing {
                logger.info("TLS handshake failed", metadata: ["remote": "\(remote)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Closing

    /// Stops accepting, cancels the handshakes in progress (closing their connections), closes the
    /// connections not yet returned and ends waiting ``next()`` calls with
    /// ``TransportError/Code/closed``. Returns once every task of the pool has ended.
    func close() async {
        let (loop, handshakes, ready) = update { state in
            state.closed = true
            let taken = (state.loop, Array(state.handshakes.values), state.ready)
            state.ready = []
            return taken
        }
        loop?.cancel()
        for handshake in handshakes { handshake.cancel() }
        await tcp.close()
        for connection in ready { await connection.close() }
        await loop?.value
        for handshake in handshakes { await handshake.value }
    }

    /// Cancels the loop and the handshakes without waiting for them (when the listener is released
    /// without ``close()``); the tasks close what they own as they end.
    func cancel() {
        let (loop, handshakes) = update { state in
            state.closed = true
            return (state.loop, Array(state.handshakes.values))
        }
        loop?.cancel()
        for handshake in handshakes { handshake.cancel() }
    }
}
