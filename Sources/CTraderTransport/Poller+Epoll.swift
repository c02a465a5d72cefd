#if os(Linux)
import CSystemShims
import Glibc
import _CTraderLocking

/// The module's one I/O thread on Linux: it waits in `epoll_wait(2)` and resumes each waiting
/// task's continuation when its descriptor is ready, its deadline passed, or its socket was closed.
///
/// Sockets are non-blocking: a read or write tries the system call first and only parks here on
/// `EAGAIN`. Parking costs one `epoll_ctl` by the parking task, under the poller's lock; the
/// thread is not woken for it (unlike `poll(2)`, whose descriptor set only the polling thread can
/// change). Each descriptor is armed one-shot (`EPOLLONESHOT`) with the union of its waiters'
/// interests, and re-armed while waiters remain, so an event wakes the thread once. The thread
/// starts on first use and lives as long as the process; an `eventfd` wakes it only when a waiter
/// brings a deadline earlier than the one it sleeps towards.
final class Poller: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: every `var` is guarded by `lock`; the descriptors are immutable.

    /// The process-wide poller.
    static let shared = Poller()

    private typealias Waiter = PollWaiter<UInt32>
    private typealias Slot = PollSlot<UInt32>

    private let lock = Lock()
    private var slots: [UInt64: Slot] = [:]
    private var nextID: UInt64 = 0
    /// The waiting ids per descriptor.
    private var waitersByDescriptor: [Int32: [UInt64]] = [:]
    /// The waiting ids with a deadline.
    private var deadlineWaiters: Set<UInt64> = []
    /// Descriptors in the epoll set (armed, or disarmed by a one-shot event).
    private var registered: Set<Int32> = []
    /// Whether the thread sleeps in `epoll_wait` (or is about to), and the deadline it sleeps
    /// towards (`nil`: none).
    private var isSleeping = false
    private var sleepDeadline: ContinuousClock.Instant?
    /// Jobs of tasks that prefer this thread as their executor (see ``TransportExecutor``).
    private var jobs: [UnownedJob] = []
    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    /// The thread's id, once it runs.
    private var thread: pthread_t?

    private static let failureEvents: UInt32 = EPOLLERR.rawValue | EPOLLHUP.rawValue

    private init() {
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollDescriptor >= 0, "epoll_create1 failed: \(errnoDescription(currentErrno))")
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        precondition(wakeDescriptor >= 0, "eventfd failed: \(errnoDescription(currentErrno))")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeDescriptor
        // safe because: `event` is a local that the call only reads.
        let added = epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)
        precondition(added == 0, "epoll_ctl failed: \(errnoDescription(currentErrno))")
        startDetachedThread { [self] in run() }
    }

    /// Waits until `socket` is ready for `interest`, or it is closed, or `deadline` passes.
    ///
    /// A successful return means "try the system call again"; it may still say `EAGAIN`.
    /// - Throws: ``TransportError/Code/closed`` if the socket is (or becomes) closed,
    ///   ``PollerTimeout`` when the deadline passes, `CancellationError` if the task is cancelled.
    func wait(for interest: PollInterest, on socket: SocketHandle, deadline: ContinuousClock.Instant? = nil) async throws {
        let id: UInt64 = lock.withLock {
            nextID &+= 1  // safe because: wrapping after 2^64 waits is harmless for a key.
            slots[nextID] = .pending
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                park(id, interest: interest, socket: socket, deadline: deadline, continuation: continuation)
            }
        } onCancel: {
            lock.lock()
            switch slots[id] {
            case .pending:
                slots[id] = .cancelled
                lock.unlock()
            case .waiting(let waiter):
                slots[id] = nil
                removeLocked(id, from: waiter.socket.descriptor)
                deadlineWaiters.remove(id)
                lock.unlock()
                waiter.continuation.resume(throwing: CancellationError())
            case .cancelled, nil:
                lock.unlock()
            }
        }
    }

    /// Runs `job` on the poller thread, after the I/O events at hand.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let mustWake: Bool = lock.withLock {
            jobs.append(unowned)
            guard isSleeping else { return false }
            isSleeping = false
            return true
        }
        if mustWake { wake() }
    }

    /// Registers the waiter `id` and arms its descriptor, or resumes it at once (cancelled, closed,
    /// or `epoll_ctl` failed).
    private func park(
        _ id: UInt64,
        interest: PollInterest,
        socket: SocketHandle,
        deadline: ContinuousClock.Instant?,
        continuation: CheckedContinuation<Void, any Error>
    ) {
        lock.lock()
        guard case .pending = slots[id] else {
            // Cancelled before we got here.
            slots[id] = nil
            lock.unlock()
            continuation.resume(throwing: CancellationError())
            return
        }
        // Checked under the poller lock: `SocketHandle.close` sets the flag before it takes this
        // lock to fail the waiters, so either it sees this waiter or we see the flag.
        if socket.isClosed {
            slots[id] = nil
            lock.unlock()
            continuation.resume(throwing: TransportError.closed())
            return
        }
        let fd = socket.descriptor
        slots[id] = .waiting(Waiter(socket: socket, events: interest.epollEvents, deadline: deadline, continuation: continuation))
        waitersByDescriptor[fd, default: []].append(id)
        if let failure = armLocked(fd) {
            slots[id] = nil
            removeLocked(id, from: fd)
            lock.unlock()
            continuation.resume(throwing: TransportError.system(failure, while: "epoll_ctl"))
            return
        }
        var mustWake = false
        if let deadline {
            deadlineWaiters.insert(id)
            if isSleeping, sleepDeadline == nil || deadline < sleepDeadline! {
                mustWake = true
                isSleeping = false
            }
        }
        lock.unlock()
        if mustWake { wake() }
    }

    /// Wakes every waiter on `socket` with ``TransportError/Code/closed`` and takes its descriptor
    /// out of the epoll set. Called by ``SocketHandle/close()`` after it set its closed flag and
    /// before it closes the descriptor.
    func failWaiters(on socket: SocketHandle) {
        let fd = socket.descriptor
        var woken: [CheckedContinuation<Void, any Error>] = []
        lock.withLock {
            var left: [UInt64] = []
            for id in waitersByDescriptor[fd] ?? [] {
                if case .waiting(let waiter) = slots[id], waiter.socket === socket {
                    slots[id] = nil
                    deadlineWaiters.remove(id)
                    woken.append(waiter.continuation)
                } else {
                    left.append(id)  // another socket's, should the number be in use again
                }
            }
            waitersByDescriptor[fd] = left.isEmpty ? nil : left
            if left.isEmpty, registered.remove(fd) != nil {
                // safe because: EPOLL_CTL_DEL reads no event.
                _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, fd, nil)
            }
        }
        for continuation in woken { continuation.resume(throwing: TransportError.closed()) }
    }

    /// How many tasks wait on `descriptor` for `interest` now (for tests).
    func waiterCount(on descriptor: Int32, for interest: PollInterest) -> Int {
        lock.withLock {
            var count = 0
            for id in waitersByDescriptor[descriptor] ?? [] {
                if case .waiting(let waiter) = slots[id], waiter.events == interest.epollEvents { count += 1 }
            }
            return count
        }
    }

    /// Arms `fd` one-shot for the union of its waiters' interests; returns `errno` on failure.
    private func armLocked(_ fd: Int32) -> Int32? {
        var mask: UInt32 = 0
        for id in waitersByDescriptor[fd] ?? [] {
            if case .waiting(let waiter) = slots[id] { mask |= waiter.events }
        }
        var event = epoll_event()
        event.events = mask | EPOLLONESHOT.rawValue
        event.data.fd = fd
        // A descriptor closed without `SocketHandle.close` (its handle was released) left the set
        // by itself, and its number may be in use again: MOD then fails with ENOENT, and ADD works.
        let isRegistered = registered.contains(fd)
        let first: Int32 = isRegistered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        // safe because: `event` is a local that the calls only read.
        if epoll_ctl(epollDescriptor, first, fd, &event) == 0 {
            registered.insert(fd)
            return nil
        }
        let number = currentErrno
        guard number == ENOENT || number == EEXIST else { return number }
        let second: Int32 = isRegistered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        if epoll_ctl(epollDescriptor, second, fd, &event) == 0 {
            registered.insert(fd)
            return nil
        }
        return currentErrno
    }

    private func removeLocked(_ id: UInt64, from fd: Int32) {
        guard var ids = waitersByDescriptor[fd], let index = ids.firstIndex(of: id) else { return }
        ids.remove(at: index)
        waitersByDescriptor[fd] = ids.isEmpty ? nil : ids
    }

    private func wake() {
        var one: UInt64 = 1
        // safe because: eight bytes from a local; EAGAIN (counter full) means a wake-up is pending.
        _ = systemWrite(wakeDescriptor, &one, 8)
    }

    /// Whole milliseconds from now until `deadline`, rounded up, at least 0: `epoll_wait`'s timeout.
    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let (seconds, attoseconds) = ContinuousClock.now.duration(to: deadline).components
        let milliseconds: Int64 = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: max(0, milliseconds))
    }

    /// The nearest deadline of a waiter; marks the thread as about to sleep towards it. With jobs
    /// queued it does not sleep: 0.
    private func prepareToSleep() -> Int32 {
        lock.withLock {
            if !jobs.isEmpty { return 0 }
            var nearest: ContinuousClock.Instant?
            for id in deadlineWaiters {
                guard case .waiting(let waiter) = slots[id], let deadline = waiter.deadline else { continue }
                if nearest == nil || deadline < nearest! { nearest = deadline }
            }
            isSleeping = true
            sleepDeadline = nearest
            guard let nearest else { return -1 }
            return Self.milliseconds(until: nearest)
        }
    }

    /// Whether the caller runs on the poller's thread.
    var isCurrentThread: Bool {
        lock.withLock { thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// The thread's loop.
    private func run() {
        lock.withLock { thread = pthread_self() }
        let capacity = 256
        var events = [epoll_event](repeating: epoll_event(), count: capacity)
        var ready: [CheckedContinuation<Void, any Error>] = []
        var timedOut: [CheckedContinuation<Void, any Error>] = []
        var runnable: [UnownedJob] = []
        while true {
            let timeout = prepareToSleep()
            // safe because: `events` is a contiguous array of `capacity` entries that outlives the call.
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epollDescriptor, $0.baseAddress!, Int32(capacity), timeout) }
            if count < 0 && currentErrno != EINTR {
                preconditionFailure("epoll_wait failed: \(errnoDescription(currentErrno))")
            }
            let now = ContinuousClock.now
            var drainWake = false
            lock.withLock {
                isSleeping = false
                for index in 0..<max(0, Int(count)) {
                    let fd = events[index].data.fd
                    if fd == wakeDescriptor {
                        drainWake = true
                    } else {
                        collectReadyLocked(fd, events: events[index].events, into: &ready)
                    }
                }
                for id in deadlineWaiters {
                    guard case .waiting(let waiter) = slots[id], let deadline = waiter.deadline, deadline <= now else { continue }
                    slots[id] = nil
                    deadlineWaiters.remove(id)
                    removeLocked(id, from: waiter.socket.descriptor)
                    timedOut.append(waiter.continuation)
                }
            }
            if drainWake {
                var value: UInt64 = 0
                // safe because: reads eight bytes into a local.
                _ = systemRead(wakeDescriptor, &value, 8)
            }
            for continuation in ready { continuation.resume() }
            for continuation in timedOut { continuation.resume(throwing: PollerTimeout()) }
            ready.removeAll(keepingCapacity: true)
            timedOut.removeAll(keepingCapacity: true)

            // Run the jobs queued so far (those they queue run on the next turn, after the I/O
            // events: a busy task cannot starve the others' I/O).
            lock.withLock { swap(&runnable, &jobs) }
            for job in runnable { job.runSynchronously(on: asUnownedTaskExecutor()) }
            runnable.removeAll(keepingCapacity: true)
        }
    }

    /// Takes the waiters on `fd` that `events` satisfies (all of them on an error or hang-up) and
    /// re-arms `fd` for the others.
    private func collectReadyLocked(_ fd: Int32, events: UInt32, into ready: inout [CheckedContinuation<Void, any Error>]) {
        guard let ids = waitersByDescriptor[fd] else { return }
        var left: [UInt64] = []
        for id in ids {
            guard case .waiting(let waiter) = slots[id] else { continue }
            if events & (waiter.events | Self.failureEvents) != 0 {
                slots[id] = nil
                deadlineWaiters.remove(id)
                ready.append(waiter.continuation)
            } else {
                left.append(id)
            }
        }
        waitersByDescriptor[fd] = left.isEmpty ? nil : left
        guard !left.isEmpty, armLocked(fd) != nil else { return }
        // The others cannot wait: wake them to retry their system call, which reports the socket's
        // error (or they fail when they park again).
        for id in left {
            if case .waiting(let waiter) = slots[id] {
                slots[id] = nil
                deadlineWaiters.remove(id)
                ready.append(waiter.continuation)
            }
        }
        waitersByDescriptor[fd] = nil
    }
}

extension PollInterest {
    /// The `epoll_event` bits for this interest.
    var epollEvents: UInt32 { self == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue }
}
#endif
