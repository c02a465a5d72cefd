#if os(Linux)
import CSystemShims
import Glibc
import _CTraderLocking

/// The module's one I/O thread on Linux: it waits in `epoll_wait(2)` and resumes each waiting
/// task's continuation when its descriptor is ready, its deadline passed, or its socket was closed.
///
/// Sockets are non-blocking: a read or write tries the system call first and only parks here on
/// `EAGAIN`. A socket enters the epoll set on its first wait, edge-triggered for reading and
/// writing, and stays there until it is closed: parking costs no system call. Each edge either
/// wakes the tasks waiting for that readiness or, when none waits, is kept as a flag that the next
/// wait for it takes at once. Because a task waits only after the kernel said `EAGAIN` (or after
/// a short read drained the socket), every byte that arrives later raises an edge that it sees:
/// no readiness is lost, and a stale flag costs one system call that says `EAGAIN` again. The end
/// of stream and errors are kept for good (their edge comes once, and the bytes before the end may
/// take several reads).
///
/// The thread starts on first use and lives as long as the process; an `eventfd` wakes it only when
/// a waiter brings a deadline earlier than the one it sleeps towards, or a job is queued for it
/// while it sleeps.
final class Poller: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: every `var` is guarded by `lock` (as is `SocketHandle.pollToken`); the
    // descriptors are immutable.

    /// The process-wide poller.
    static let shared = Poller()

    private typealias Waiter = PollWaiter<UInt32>
    private typealias Slot = PollSlot<UInt32>

    /// A socket in the epoll set: readiness that no waiter took yet, and the ids waiting on it.
    fileprivate struct Registration {
        var descriptor: Int32
        var readable = false
        var writable = false
        /// The peer closed its side (or the socket failed): reads never wait again. Sticky, because
        /// that edge comes once, and the bytes before the end of stream may take several reads.
        var readClosed = false
        /// The socket hung up or failed: writes never wait again.
        var writeClosed = false
        var waiters: [UInt64] = []

        /// Takes the kept readiness for `events` (`EPOLLIN` or `EPOLLOUT`), if any.
        mutating func take(_ events: UInt32) -> Bool {
            if events == EPOLLIN.rawValue {
                defer { readable = false }
                return readable || readClosed
            }
            defer { writable = false }
            return writable || writeClosed
        }
    }

    private let lock = Lock()
    private var slots: [UInt64: Slot] = [:]
    private var nextID: UInt64 = 0
    /// The registered sockets by token (`SocketHandle.pollToken`, the `epoll_event` data).
    private var registrations: [UInt64: Registration] = [:]
    private var nextToken: UInt64 = 0
    /// The waiting ids with a deadline.
    private var deadlineWaiters: Set<UInt64> = []
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

    /// The token of the wake-up `eventfd` in the epoll set (sockets' tokens start at 1).
    private static let wakeToken: UInt64 = 0
    /// How many times one turn of the loop runs the queued jobs (jobs that queue more jobs, e.g. a
    /// task that resumes another) before it looks at I/O again.
    private static let jobRoundsPerTurn = 16

    private init() {
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollDescriptor >= 0, "epoll_create1 failed: \(errnoDescription(currentErrno))")
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        precondition(wakeDescriptor >= 0, "eventfd failed: \(errnoDescription(currentErrno))")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        // safe because: `event` is a local that the call only reads.
        let added = epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)
        precondition(added == 0, "epoll_ctl failed: \(errnoDescription(currentErrno))")
        startDetachedThread { [self] in run() }
    }

    /// Waits until `socket` is ready for `interest`, or it is closed, or `deadline` passes.
    ///
    /// Call it only after the system call said `EAGAIN` (or a read returned less than it asked
    /// for): it waits for readiness that arrives after that. A successful return means "try the
    /// system call again"; it may still say `EAGAIN`.
    /// - Throws: ``TransportError/Code/closed`` if the socket is (or becomes) closed,
    ///   ``PollerTimeout`` when the deadline passes, `CancellationError` if the task is cancelled.
    func wait(
        for interest: PollInterest, on socket: SocketHandle, deadline: ContinuousClock.Instant? = nil
    ) async throws {
        let events = interest.epollEvents
        let id: UInt64? = lock.withLock {
            // An edge arrived since the last wait: no need to suspend.
            if socket.pollToken != 0, registrations[socket.pollToken]?.take(events) == true { return nil }
            nextID &+= 1  // safe because: wrapping after 2^64 waits is harmless for a key.
            slots[nextID] = .pending
            return nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                park(id, events: events, socket: socket, deadline: deadline, continuation: continuation)
            }
        } onCancel: {
            lock.lock()
            switch slots[id] {
            case .pending:
                slots[id] = .cancelled
                lock.unlock()
            case .waiting(let waiter):
                slots[id] = nil
                removeLocked(id, from: waiter.socket.pollToken)
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

    /// Registers the waiter `id`, adding its socket to the epoll set on its first wait, or resumes
    /// it at once (cancelled, closed, readiness already kept, or `epoll_ctl` failed).
    private func park(
        _ id: UInt64,
        events: UInt32,
        socket: SocketHandle,
        deadline: ContinuousClock.Instant?,
        continuation: CheckedContinuation<Void, any Error>
    ) {
        lock.lock()
        if let failure = parkingFailure(id, socket: socket, in: &slots) {
            lock.unlock()
            continuation.resume(throwing: failure)
            return
        }
        if socket.pollToken == 0, let failure = registerLocked(socket) {
            slots[id] = nil
            lock.unlock()
            continuation.resume(throwing: TransportError.system(failure, while: "epoll_ctl"))
            return
        }
        let token = socket.pollToken
        if registrations[token]!.take(events) {
            // An edge arrived between `wait`'s check and here (or with the registration).
            slots[id] = nil
            lock.unlock()
            continuation.resume()
            return
        }
        slots[id] = .waiting(Waiter(socket: socket, events: events, deadline: deadline, continuation: continuation))
        registrations[token]!.waiters.append(id)
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

    /// Adds `socket` to the epoll set, edge-triggered for reading and writing, under a new token;
    /// returns `errno` on failure.
    private func registerLocked(_ socket: SocketHandle) -> Int32? {
        nextToken += 1
        let token = nextToken
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = token
        let fd = socket.descriptor
        // safe because: `event` is a local that the calls only read.
        var result = epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, fd, &event)
        if result != 0 && currentErrno == EEXIST {
            // The number was in the set under a socket whose file outlives it (shared with a
            // forked child): take the entry over.
            result = epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, fd, &event)
        }
        if result != 0 { return currentErrno }
        registrations[token] = Registration(descriptor: fd)
        socket.pollToken = token
        return nil
    }

    /// Wakes every waiter on `socket` with ``TransportError/Code/closed`` and takes it out of the
    /// epoll set. Called by ``SocketHandle/close()`` after it set its closed flag and before it
    /// closes the descriptor.
    func failWaiters(on socket: SocketHandle) {
        var woken: [CheckedContinuation<Void, any Error>] = []
        lock.withLock {
            guard socket.pollToken != 0, let registration = registrations.removeValue(forKey: socket.pollToken) else {
                return
            }
            socket.pollToken = 0
            for id in registration.waiters {
                if case .waiting(let waiter) = slots[id] {
                    slots[id] = nil
                    deadlineWaiters.remove(id)
                    woken.append(waiter.continuation)
                }
            }
            // safe because: EPOLL_CTL_DEL reads no event.
            _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, registration.descriptor, nil)
        }
        for continuation in woken { continuation.resume(throwing: TransportError.closed()) }
    }

    /// Forgets a socket whose handle is released without ``SocketHandle/close()`` (no task waits on
    /// it: a waiter holds its handle). Called before the descriptor is closed.
    func unregister(token: UInt64) {
        lock.withLock {
            guard let registration = registrations.removeValue(forKey: token) else { return }
            // safe because: EPOLL_CTL_DEL reads no event.
            _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, registration.descriptor, nil)
        }
    }

    /// How many tasks wait on `descriptor` for `interest` now (for tests).
    func waiterCount(on descriptor: Int32, for interest: PollInterest) -> Int {
        lock.withLock { waitingCount(in: slots.values, on: descriptor, for: interest.epollEvents) }
    }

    private func removeLocked(_ id: UInt64, from token: UInt64) {
        guard let index = registrations[token]?.waiters.firstIndex(of: id) else { return }
        registrations[token]!.waiters.remove(at: index)
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
            let count = events.withUnsafeMutableBufferPointer {
                epoll_wait(epollDescriptor, $0.baseAddress!, Int32(capacity), timeout)
            }
            if count < 0 && currentErrno != EINTR {
                preconditionFailure("epoll_wait failed: \(errnoDescription(currentErrno))")
            }
            let now = ContinuousClock.now
            var drainWake = false
            lock.withLock {
                isSleeping = false
                for index in 0..<max(0, Int(count)) {
                    let token = events[index].data.u64
                    if token == Self.wakeToken {
                        drainWake = true
                    } else {
                        deliverLocked(events[index].events, to: token, into: &ready)
                    }
                }
                guard !deadlineWaiters.isEmpty else { return }
                for id in deadlineWaiters {
                    guard case .waiting(let waiter) = slots[id], let deadline = waiter.deadline, deadline <= now else {
                        continue
                    }
                    slots[id] = nil
                    deadlineWaiters.remove(id)
                    removeLocked(id, from: waiter.socket.pollToken)
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

            // Run the queued jobs, and those they queue (a task resuming another), a bounded number
            // of rounds: then I/O again, so that a busy task cannot starve the others' I/O.
            for _ in 0..<Self.jobRoundsPerTurn {
                lock.withLock { swap(&runnable, &jobs) }
                if runnable.isEmpty { break }
                for job in runnable { job.runSynchronously(on: asUnownedTaskExecutor()) }
                runnable.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Hands the readiness `events` of the socket registered as `token` to its waiters, or keeps it
    /// for the next wait when nobody waits for it.
    private func deliverLocked(
        _ events: UInt32, to token: UInt64, into ready: inout [CheckedContinuation<Void, any Error>]
    ) {
        // A token no longer registered: the socket was closed after the kernel reported the event.
        registrations[token]?.deliver(events, slots: &slots, deadlineWaiters: &deadlineWaiters, into: &ready)
    }
}

extension Poller.Registration {
    /// Wakes the waiters that `events` satisfies (all of them on an error or hang-up, which count
    /// as both readinesses); keeps each readiness that woke nobody for the next wait.
    fileprivate mutating func deliver(
        _ events: UInt32,
        slots: inout [UInt64: PollSlot<UInt32>],
        deadlineWaiters: inout Set<UInt64>,
        into ready: inout [CheckedContinuation<Void, any Error>]
    ) {
        let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        if failed || events & EPOLLRDHUP.rawValue != 0 { readClosed = true }
        if failed { writeClosed = true }
        let isReadable = readClosed || events & EPOLLIN.rawValue != 0
        let isWritable = writeClosed || events & EPOLLOUT.rawValue != 0
        var wokeReader = false
        var wokeWriter = false
        var index = 0
        while index < waiters.count {
            let id = waiters[index]
            guard case .waiting(let waiter) = slots[id] else {
                waiters.remove(at: index)
                continue
            }
            let isReader = waiter.events == EPOLLIN.rawValue
            guard isReader ? isReadable : isWritable else {
                index += 1
                continue
            }
            slots[id] = nil
            deadlineWaiters.remove(id)
            ready.append(waiter.continuation)
            waiters.remove(at: index)
            if isReader { wokeReader = true } else { wokeWriter = true }
        }
        if isReadable && !wokeReader { readable = true }
        if isWritable && !wokeWriter { writable = true }
    }
}

extension PollInterest {
    /// The `epoll_event` bits for this interest.
    var epollEvents: UInt32 { self == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue }
}
#endif
