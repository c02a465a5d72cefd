// swift-ctrader: tasks waiting for a condition under an owner's lock. Not API (see Locking.swift).

/// Tasks waiting for a condition on state guarded by an owner's ``Lock``, with cancellation that
/// leaks neither a continuation nor a slot.
///
/// A waiter's slot exists before its continuation does, so a cancellation that arrives first is
/// remembered; whoever resumes a continuation removes its slot.
public final class WaitQueue: @unchecked Sendable {
    // @unchecked Sendable: `slots` and `nextID` are guarded by `lock`, the owner's lock.
    private enum Slot {
        case pending
        case cancelled
        case waiting(CheckedContinuation<Void, any Error>)
    }

    private let lock: Lock
    private var slots: [UInt64: Slot] = [:]
    private var nextID: UInt64 = 0

    /// Makes a queue whose state is guarded by `lock` (the same lock that guards the condition).
    public init(lock: Lock) {
        self.lock = lock
    }

    /// Suspends until ``wakeAll()`` runs after `isReady` was false (or returns at once if it is
    /// true). `isReady` is evaluated with the lock held. A normal return means "check again".
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func wait(until isReady: () -> Bool) async throws {
        let id: UInt64 = lock.withLock {
            nextID &+= 1  // safe because: wrapping after 2^64 waits is harmless for a key.
            slots[nextID] = .pending
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if case .cancelled = slots[id] {
                    slots[id] = nil
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                } else if isReady() {
                    slots[id] = nil
                    lock.unlock()
                    continuation.resume()
                } else {
                    slots[id] = .waiting(continuation)
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            switch slots[id] {
            case .pending:
                slots[id] = .cancelled
                lock.unlock()
            case .waiting(let continuation):
                slots[id] = nil
                lock.unlock()
                continuation.resume(throwing: CancellationError())
            case .cancelled, nil:
                lock.unlock()
            }
        }
    }

    /// Removes every waiting task and returns the continuations; call with the lock held, and
    /// resume them (``resumeAll(_:)``) after unlocking.
    public func takeAllLocked() -> [CheckedContinuation<Void, any Error>] {
        var woken: [CheckedContinuation<Void, any Error>] = []
        for (id, slot) in slots {
            if case .waiting(let continuation) = slot {
                slots[id] = nil
                woken.append(continuation)
            }
        }
        return woken
    }

    /// Resumes continuations taken by ``takeAllLocked()``.
    public static func resumeAll(_ continuations: [CheckedContinuation<Void, any Error>]) {
        for continuation in continuations { continuation.resume() }
    }

    /// How many tasks are suspended now (for tests); call with the lock held.
    public var waitingCountLocked: Int {
        slots.values.reduce(0) { count, slot in
            if case .waiting = slot { return count + 1 }
            return count
        }
    }
}
