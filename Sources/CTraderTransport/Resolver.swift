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
/// Names go to one resolver thread owned by the module (started on first use), because
/// `getaddrinfo` blocks while it reads files and asks DNS servers.
enum Resolver {
    /// Resolves `host` to stream-socket addresses for `port`, in `getaddrinfo`'s order.
    ///
    /// - Parameter passive: For a listener: an empty `host` then means every local address.
    static func resolve(host: String, port: Int, passive: Bool = false) async throws -> [SocketAddress] {
        if let numeric = try? lookUp(host: host, port: port, passive: passive, numericOnly: true) {
            return numeric
        }
        return try await ResolverThread.shared.run { try lookUp(host: host, port: port, passive: passive, numericOnly: false) }
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

/// One thread that runs blocking jobs one at a time, in order.
final class ResolverThread: @unchecked Sendable {
    // @unchecked Sendable: `jobs` is guarded by `mutex`/`condition`.

    /// The process-wide resolver thread.
    static let shared = ResolverThread()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        // safe because: both were just allocated and initialised and never move; this object lives
        // forever (it is a static), so they are never freed.
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        startDetachedThread { [self] in loop() }
    }

    /// Runs `job` on the thread and returns its result.
    ///
    /// A cancelled caller still waits for the job: a running `getaddrinfo` cannot be interrupted.
    func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            pthread_mutex_lock(mutex)
            jobs.append { continuation.resume(with: Result { try job() }) }
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while jobs.isEmpty { pthread_cond_wait(condition, mutex) }
            let job = jobs.removeFirst()
            pthread_mutex_unlock(mutex)
            job()
        }
    }
}
