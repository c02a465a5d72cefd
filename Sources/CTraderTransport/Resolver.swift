import _CTraderLocking

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves host names with `getaddrinfo` without blocking Swift's cooperative pool.
///
/// Numeric addresses (`127.0.0.1`, `::1`) resolve inline with `AI_NUMERICHOST`, which does no I/O.
/// Names go to the module's resolver threads (``ResolverPool``), because `getaddrinfo` blocks
/// while it reads files and asks DNS servers.
enum Resolver {
    /// Resolves `host` to stream-socket addresses for `port`, in `getaddrinfo`'s order.
    ///
    /// - Parameters:
    ///   - passive: For a listener: an empty `host` then means every local address.
    ///   - deadline: When to stop waiting for a name lookup; it then fails with
    ///     ``TransportError/Code/connectTimeout`` (the lookup itself cannot be interrupted and
    ///     finishes in the background).
    /// - Throws: ``TransportError``, or `CancellationError` when the task is cancelled meanwhile.
    static func resolve(
        host: String,
        port: Int,
        passive: Bool = false,
        deadline: ContinuousClock.Instant? = nil
    ) async throws -> [SocketAddress] {
        if let numeric = try? lookUp(host: host, port: port, passive: passive, numericOnly: true) {
            return numeric
        }
        return try await ResolverPool.shared.run(
            deadline: deadline,
            timeoutError: TransportError(.connectTimeout, reason: "resolving \(host) did not finish in time")
        ) {
            try lookUp(host: host, port: port, passive: passive, numericOnly: false)
        }
    }

    /// Calls `getaddrinfo` (blocking unless `numericOnly`).
    private static func lookUp(host: String, port: Int, passive: Bool, numericOnly: Bool) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_flags = (numericOnly ? AI_NUMERICHOST : 0) | (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let hostOrNil: String? = host.isEmpty ? nil : host
        // safe because: the strings outlive the call, and `list` is freed below with freeaddrinfo.
        let result = getaddrinfo(hostOrNil, String(port), &hints, &list)
        guard result == 0, let list else {
            let text = String(cString: gai_strerror(result))
            throw TransportError(.hostNotFound, reason: "cannot resolve \(host): \(text)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            let info = entry.pointee
            if let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6 {
                // safe because: getaddrinfo gives `ai_addrlen` valid bytes at `ai_addr`.
                let bytes = Array(UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))
                addresses.append(SocketAddress(family: info.ai_family, bytes: bytes))
            }
            cursor = info.ai_next
        }
        if addresses.isEmpty { throw TransportError(.hostNotFound, reason: "no IPv4 or IPv6 address for \(host)") }
        return addresses
    }
}

/// Threads that run blocking jobs (name lookups) in order of arrival: started on demand, at most
/// `maximumThreads` of them, so that one slow lookup does not hold up the others, and idle ones
/// wait for work.
final class ResolverPool: @unchecked Sendable {
    // @unchecked Sendable: `jobs`, `idle` and `threads` are guarded by `lock`.

    /// The process-wide pool.
    static let shared = ResolverPool(maximumThreads: 4)

    private let maximumThreads: Int
    private let lock = Lock()
    private let condition = Condition()
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0
    private var threads = 0

    private init(maximumThreads: Int) {
        self.maximumThreads = maximumThreads
    }

    /// Runs `job` on a pool thread and returns its result, unless `deadline` passes first (then
    /// `timeoutError` is thrown) or the calling task is cancelled (`CancellationError`). In those
    /// two cases the job still runs to its end, since `getaddrinfo` cannot be interrupted, and its
    /// result is dropped.
    func run<T: Sendable>(
        deadline: ContinuousClock.Instant?,
        timeoutError: any Error,
        _ job: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let outcome = FirstOutcome<T>()
        submit { outcome.settle(Result { try job() }) }
        return try await outcome.value(deadline: deadline, timeoutError: { timeoutError })
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        jobs.append(job)
        let startThread = idle == 0 && threads < maximumThreads
        if startThread { threads += 1 }
        condition.signal()
        lock.unlock()
        if startThread { startDetachedThread { [self] in loop() } }
    }

    private func loop() {
        while true {
            lock.lock()
            idle += 1
            while jobs.isEmpty { condition.wait(lock) }
            idle -= 1
            let job = jobs.removeFirst()
            lock.unlock()
            job()
        }
    }
}
