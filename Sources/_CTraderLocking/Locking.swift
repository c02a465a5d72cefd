// swift-ctrader: the concurrency toolkit the layers share. Not API: the leading underscore says so
// (as NIO's `_NIODataStructures`); it is a module of its own so that the transport, the
// WebSocket, the session and the simulator use one audited set of pieces:
// - ``Lock``/``Locked`` (this file): the one lock vocabulary, and ``Condition`` for own threads;
// - ``FirstOutcome`` and ``withTimeout(_:timeoutError:_:)``: the first of result, timeout and
//   cancellation;
// - ``WaitQueue``: cancellable waits for a condition under an owner's lock;
// - ``SingleConsumerBuffer`` and its ``OverflowPolicy`` (plain values), and
//   ``AsyncSingleConsumerBuffer`` (the lock and the one waiting consumer around it);
// - ``SplitMix64``: the one seeded pseudo-random generator.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex. A class because the mutex must not move in memory: it lives in storage this
/// object allocates and frees.
public final class Lock: @unchecked Sendable {
    // @unchecked Sendable: the only state is the mutex, which is the synchronisation itself.
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Creates an unlocked mutex.
    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // safe because: `mutex` was just allocated and initialised, and is never moved.
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Takes the mutex, waiting for it. Never call it from code that may suspend while holding it.
    public func lock() { pthread_mutex_lock(mutex) }

    /// Releases the mutex.
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held. `body` must not suspend or block.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A condition variable, used with one ``Lock``: for threads of their own (a thread pool), never
/// for tasks of Swift's cooperative pool, since waiting blocks the thread.
public final class Condition: @unchecked Sendable {
    // @unchecked Sendable: the only state is the condition variable, itself a synchronisation.
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// Creates a condition variable.
    public init() {
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        // safe because: `condition` was just allocated and initialised, and is never moved.
        let result = pthread_cond_init(condition, nil)
        precondition(result == 0, "pthread_cond_init failed: \(result)")
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
    }

    /// Releases `lock`, waits for a signal and takes `lock` again. Call with `lock` held; wake-ups
    /// may be spurious, so wait in a loop over the condition.
    public func wait(_ lock: Lock) {
        pthread_cond_wait(condition, lock.mutex)
    }

    /// Wakes one waiting thread.
    public func signal() {
        pthread_cond_signal(condition)
    }
}

/// A value guarded by a ``Lock``.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched inside `withLock`, which holds the mutex.
    private let mutex = Lock()
    private var value: Value

    /// Guards `value`.
    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` on the value with the mutex held. `body` must not suspend or block.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body(&value)
    }
}
