import _CTraderLocking

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The readiness a waiter asks for.
enum PollInterest: Sendable {
    case readable
    case writable

    var events: Int16 { self == .readable ? Int16(POLLIN) : Int16(POLLOUT) }
}

/// The deadline given to ``Poller/wait(for:on:deadline:)`` passed.
struct PollerTimeout: Error {}

/// A task parked on the poller: its socket, the readiness it waits for (in the poller's own
/// event bits: `poll`'s or `epoll`'s), its deadline, and how to resume it.
struct PollWaiter<Events> {
    var socket: SocketHandle
    var events: Events
    var deadline: ContinuousClock.Instant?
    var continuation: CheckedContinuation<Void, any Error>
}

/// A waiter's life: registered before the continuation exists (so that a cancellation arriving
/// first is not lost), then waiting, then removed by whoever resumes it.
enum PollSlot<Events> {
    case pending
    case cancelled
    case waiting(PollWaiter<Events>)
}

/// Under the poller's lock, before waiter `id` parks: the error to resume it with at once, its
/// slot removed, when it was cancelled before it got here or its socket is closed; `nil` to park.
///
/// The closed flag is checked under the poller lock: `SocketHandle.close` sets it before it takes
/// that lock to fail the waiters, so either it sees this waiter or the waiter sees the flag.
func parkingFailure<Events>(
    _ id: UInt64, socket: SocketHandle, in slots: inout [UInt64: PollSlot<Events>]
) -> (any Error)? {
    guard case .pending = slots[id] else {
        slots[id] = nil
        return CancellationError()
    }
    if socket.isClosed {
        slots[id] = nil
        return TransportError.closed()
    }
    return nil
}

/// How many of `slots` wait on `descriptor` for `events` (the pollers' test hook).
func waitingCount<Events: Equatable>(
    in slots: some Sequence<PollSlot<Events>>, on descriptor: Int32, for events: Events
) -> Int {
    slots.reduce(0) { count, slot in
        if case .waiting(let waiter) = slot, waiter.socket.descriptor == descriptor, waiter.events == events {
            return count + 1
        }
        return count
    }
}

#if !os(Linux)
/// The module's one I/O thread: it runs `poll(2)` over the descriptors that tasks wait on and
/// resumes each waiting task's continuation when its descriptor is ready, its deadline passed, or
/// its socket was closed.
///
/// Sockets are non-blocking: a read or write tries the system call first and only parks here on
/// `EAGAIN`, so no cooperative-pool thread ever blocks. The thread starts on first use and lives
/// as long as the process; a pipe wakes it when the set of waiters changes. Readiness is level
/// triggered and one-shot: a woken waiter is removed and retries its system call.
final class Poller: @unchecked Sendable {
    // @unchecked Sendable: `slots`, `nextID` and `wakePending` are guarded by `lock`; the pipe
    // descriptors are immutable.

    /// The process-wide poller.
    static let shared = Poller()

    private typealias Waiter = PollWaiter<Int16>
    private typealias Slot = PollSlot<Int16>

    private let lock = Lock()
    private var slots: [UInt64: Slot] = [:]
    private var nextID: UInt64 = 0
    private var wakePending = false
    private let wakeReadEnd: Int32
    private let wakeWriteEnd: Int32

    private init() {
        var fds: [Int32] = [-1, -1]
        // safe because: `fds` has room for the two descriptors pipe(2) writes.
        let result = fds.withUnsafeMutableBufferPointer { pipe($0.baseAddress!) }
        precondition(result == 0, "pipe failed: \(errnoDescription(currentErrno))")
        for fd in fds {
            SocketHandle.setNonBlockingAndCloseOnExec(fd)
        }
        wakeReadEnd = fds[0]
        wakeWriteEnd = fds[1]
        startDetachedThread { [self] in run() }
    }

    /// Waits until `socket` is ready for `interest`, or it is closed, or `deadline` passes.
    ///
    /// A successful return means "try the system call again"; it may still say `EAGAIN`.
    /// - Throws: ``TransportError/Code/closed`` if the socket is (or becomes) closed,
    ///   ``PollerTimeout`` when the deadline passes, `CancellationError` if the task is cancelled.
    func wait(
        for interest: PollInterest, on socket: SocketHandle, deadline: ContinuousClock.Instant? = nil
    ) async throws {
        let id: UInt64 = lock.withLock {
            nextID &+= 1  // safe because: wrapping after 2^64 waits is harmless for a key.
            slots[nextID] = .pending
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if let failure = parkingFailure(id, socket: socket, in: &slots) {
                    lock.unlock()
                    continuation.resume(throwing: failure)
                    return
                }
                slots[id] = .waiting(
                    Waiter(socket: socket, events: interest.events, deadline: deadline, continuation: continuation))
                let mustWake = !wakePending
                wakePending = true
                lock.unlock()
                if mustWake { wake() }
            }
        } onCancel: {
            lock.lock()
            switch slots[id] {
            case .pending:
                slots[id] = .cancelled
                lock.unlock()
            case .waiting(let waiter):
                slots[id] = nil
                lock.unlock()
                waiter.continuation.resume(throwing: CancellationError())
            case .cancelled, nil:
                lock.unlock()
            }
        }
    }

    /// Wakes every waiter on `socket` with ``TransportError/Code/closed``. Called by
    /// ``SocketHandle/close()`` after it set its closed flag.
    func failWaiters(on socket: SocketHandle) {
        var woken: [CheckedContinuation<Void, any Error>] = []
        lock.withLock {
            for (id, slot) in slots {
                if case .waiting(let waiter) = slot, waiter.socket === socket {
                    slots[id] = nil
                    woken.append(waiter.continuation)
                }
            }
        }
        for continuation in woken { continuation.resume(throwing: TransportError.closed()) }
    }

    /// How many tasks wait on `descriptor` for `interest` now (for tests).
    func waiterCount(on descriptor: Int32, for interest: PollInterest) -> Int {
        lock.withLock { waitingCount(in: slots.values, on: descriptor, for: interest.events) }
    }

    private func wake() {
        var byte: UInt8 = 1
        // safe because: one byte from a local; EAGAIN (pipe full) means a wake-up is pending anyway.
        _ = systemWrite(wakeWriteEnd, &byte, 1)
    }

    /// The thread's loop.
    private func run() {
        var pollSet: [pollfd] = []
        var readyEvents: [Int32: Int16] = [:]
        while true {
            // 1. Snapshot the descriptors and the nearest deadline.
            pollSet.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wakeReadEnd, events: Int16(POLLIN), revents: 0))
            var timeout: Int32 = -1
            lock.withLock {
                wakePending = false
                var interests: [Int32: Int16] = [:]
                var nearest: ContinuousClock.Instant?
                for slot in slots.values {
                    guard case .waiting(let waiter) = slot else { continue }
                    interests[waiter.socket.descriptor, default: 0] |= waiter.events
                    if let deadline = waiter.deadline, nearest.map({ deadline < $0 }) ?? true { nearest = deadline }
                }
                for (fd, events) in interests { pollSet.append(pollfd(fd: fd, events: events, revents: 0)) }
                if let nearest {
                    let remaining = ContinuousClock.now.duration(to: nearest)
                    let milliseconds =
                        remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
                        + 1
                    timeout = Int32(clamping: max(0, milliseconds))
                }
            }

            // 2. Wait.
            // safe because: `pollSet` is a contiguous array of `pollfd` that outlives the call.
            let count = pollSet.withUnsafeMutableBufferPointer { poll($0.baseAddress!, nfds_t($0.count), timeout) }
            if count < 0 && currentErrno != EINTR {
                preconditionFailure("poll failed: \(errnoDescription(currentErrno))")
            }
            if pollSet[0].revents != 0 { drainWakePipe() }

            // 3. Resume whoever is ready or out of time.
            readyEvents.removeAll(keepingCapacity: true)
            for entry in pollSet.dropFirst() where entry.revents != 0 { readyEvents[entry.fd] = entry.revents }
            var ready: [CheckedContinuation<Void, any Error>] = []
            var timedOut: [CheckedContinuation<Void, any Error>] = []
            let now = ContinuousClock.now
            let failureEvents = Int16(POLLERR) | Int16(POLLHUP) | Int16(POLLNVAL)
            lock.withLock {
                for (id, slot) in slots {
                    guard case .waiting(let waiter) = slot else { continue }
                    if let revents = readyEvents[waiter.socket.descriptor],
                        revents & (waiter.events | failureEvents) != 0
                    {
                        slots[id] = nil
                        ready.append(waiter.continuation)
                    } else if let deadline = waiter.deadline, deadline <= now {
                        slots[id] = nil
                        timedOut.append(waiter.continuation)
                    }
                }
            }
            for continuation in ready { continuation.resume() }
            for continuation in timedOut { continuation.resume(throwing: PollerTimeout()) }
        }
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while true {
            // safe because: reads at most `scratch.count` bytes into `scratch`.
            let n = scratch.withUnsafeMutableBytes { systemRead(wakeReadEnd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
        }
    }
}
#endif

/// `write(2)`, named so that it does not clash with ``Transport/write(_:)`` inside types.
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// `read(2)`, named so that it does not clash with ``Transport/read(into:maxLength:)`` inside types.
func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
