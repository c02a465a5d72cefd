import _CTraderLocking

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one non-blocking socket descriptor and coordinates closing it with the operations in
/// flight, so that a descriptor is never closed (and its number reused) while a task still uses it.
///
/// Every operation brackets its system calls with ``begin()`` / ``end()``. ``close()`` marks the
/// handle closed, fails the poller's waiters on it, and closes the descriptor once the last
/// operation has ended; it returns only after that.
final class SocketHandle: @unchecked Sendable {
    // @unchecked Sendable: `closed`, `descriptorClosed`, `inFlight`, `readDrained` and
    // `drainWaiters` are guarded by `lock`, `pollToken` by the poller's lock; `descriptor` is
    // immutable.

    /// The socket descriptor. Valid until the handle is closed and drained.
    let descriptor: Int32
    /// The socket's registration with the epoll poller (0: none). Guarded by the poller's lock.
    var pollToken: UInt64 = 0
    private let lock = Lock()
    private var closed = false
    private var descriptorClosed = false
    private var inFlight = 0
    /// Whether the last read returned less than it asked for: the receive queue was empty then.
    private var readDrained = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    /// Takes ownership of `descriptor`, which must already be non-blocking and close-on-exec.
    init(takingOwnershipOf descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        #if os(Linux)
        // No other reference exists, so `pollToken` is read without the poller's lock.
        if pollToken != 0 { Poller.shared.unregister(token: pollToken) }
        #endif
        if !descriptorClosed { _ = systemClose(descriptor) }
    }

    /// Whether ``close()`` was called.
    var isClosed: Bool { lock.withLock { closed } }

    /// Starts an operation. - Throws: ``TransportError/Code/closed`` after ``close()``.
    func begin() throws {
        try lock.withLock {
            if closed { throw TransportError.closed() }
            inFlight += 1
        }
    }

    /// Starts a read: ``begin()``, and whether the previous read drained the receive queue (see
    /// ``endRead(drained:)``). The answer is taken: a read that ends otherwise leaves it `false`.
    func beginRead() throws -> Bool {
        try lock.withLock {
            if closed { throw TransportError.closed() }
            inFlight += 1
            defer { readDrained = false }
            return readDrained
        }
    }

    /// Ends a read started by ``beginRead()``. `drained`: the read returned fewer bytes than it
    /// asked for, so the kernel's receive queue was empty, and bytes that arrive later raise a
    /// readiness edge: the next read may wait for it before it tries `recv`.
    func endRead(drained: Bool) {
        end(readDrained: drained)
    }

    /// Ends an operation started by ``begin()``; the last one after ``close()`` closes the descriptor.
    func end() {
        end(readDrained: nil)
    }

    private func end(readDrained drained: Bool?) {
        let waiters: [CheckedContinuation<Void, Never>] = lock.withLock {
            if let drained { readDrained = drained }
            inFlight -= 1
            guard closed, inFlight == 0 else { return [] }
            closeDescriptorLocked()
            defer { drainWaiters = [] }
            return drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `body` between ``begin()`` and ``end()``.
    func withOperation<T>(_ body: () async throws -> T) async throws -> T {
        try begin()
        defer { end() }
        return try await body()
    }

    /// Closes the socket: wakes every waiting operation with ``TransportError/Code/closed`` and
    /// returns once the descriptor is closed. Idempotent.
    func close() async {
        let first: Bool = lock.withLock {
            defer { closed = true }
            return !closed
        }
        // Only the first close: by a later one the number may belong to another socket already.
        if first { Poller.shared.failWaiters(on: self) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if inFlight == 0 {
                closeDescriptorLocked()
                lock.unlock()
                continuation.resume()
            } else {
                drainWaiters.append(continuation)
                lock.unlock()
            }
        }
    }

    private func closeDescriptorLocked() {
        guard !descriptorClosed else { return }
        descriptorClosed = true
        _ = systemClose(descriptor)
    }

    // MARK: - Descriptor set-up

    /// Makes `fd` non-blocking and close-on-exec.
    static func setNonBlockingAndCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let fdFlags = fcntl(fd, F_GETFD)
        _ = fcntl(fd, F_SETFD, fdFlags | FD_CLOEXEC)
    }

    /// Sets an integer socket option, ignoring failure (the options used are advisory).
    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) {
        var value = value
        // safe because: passes a pointer to a local `Int32` and its size.
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Creates a non-blocking, close-on-exec stream socket for `family` that never raises SIGPIPE.
    static func makeStreamSocket(family: Int32) throws -> Int32 {
        #if os(Linux)
        let fd = socket(
            family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        #endif
        if fd < 0 { throw TransportError.system(currentErrno, while: "socket") }
        #if !os(Linux)
        setNonBlockingAndCloseOnExec(fd)
        #endif
        #if canImport(Darwin)
        // Darwin has no MSG_NOSIGNAL: SO_NOSIGPIPE keeps a write to a closed peer from raising SIGPIPE.
        setOption(fd, level: SOL_SOCKET, name: SO_NOSIGPIPE, value: 1)
        #endif
        return fd
    }

    /// The flags for send(2): MSG_NOSIGNAL on Linux, so that a write to a closed peer returns EPIPE
    /// instead of killing the process with SIGPIPE.
    static var sendFlags: Int32 {
        #if os(Linux)
        Int32(MSG_NOSIGNAL)
        #else
        0
        #endif
    }

    /// The socket's local address, e.g. `127.0.0.1:5036`.
    func localAddressDescription() -> String {
        SocketAddress.describe { getsockname(descriptor, $0, $1) }
    }

    /// The socket's peer address, e.g. `[::1]:5036`.
    func remoteAddressDescription() -> String {
        SocketAddress.describe { getpeername(descriptor, $0, $1) }
    }
}

/// `close(2)`, named so that it does not clash with methods named `close` inside types.
func systemClose(_ fd: Int32) -> Int32 { close(fd) }

/// A resolved socket address, copied out of `getaddrinfo`'s list.
struct SocketAddress: Sendable {
    /// `AF_INET` or `AF_INET6`.
    var family: Int32
    /// The raw `sockaddr` bytes.
    var bytes: [UInt8]

    /// Calls `body` with a `sockaddr` pointer and length for this address.
    func withSockAddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        // safe because: `bytes` holds a complete sockaddr copied from getaddrinfo; the pointer does
        // not escape `body`.
        bytes.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    /// `host:port`, with IPv6 hosts in brackets.
    var description: String {
        withSockAddr { address, length in SocketAddress.format(address, length) }
    }

    /// Formats the address a `getsockname`-like call fills in.
    static func describe(_ fill: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // safe because: `storage` is large enough for any socket address and outlives the calls.
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                fill(address, &length) == 0 ? format(address, length) : "unknown"
            }
        }
    }

    /// Formats a socket address numerically.
    static func format(_ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        // safe because: both buffers are passed with their sizes; getnameinfo NUL-terminates them.
        let result = getnameinfo(
            address, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
            NI_NUMERICHOST | NI_NUMERICSERV
        )
        guard result == 0 else { return "unknown" }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let serviceText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int32(address.pointee.sa_family) == AF_INET6
            ? "[\(hostText)]:\(serviceText)" : "\(hostText):\(serviceText)"
    }
}
