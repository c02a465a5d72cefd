public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP connection over a non-blocking socket, driven by the module's poller thread.
///
/// Make one with ``connect(host:port:connectTimeout:logger:)`` or accept one from a
/// ``TCPListener``. `TCP_NODELAY` is on (the WebSocket layer writes whole frames), and a write to a
/// closed peer fails with ``TransportError/Code/connectionReset`` instead of raising `SIGPIPE`.
/// A class because it owns a file descriptor, closed by ``close()`` (or when it is released).
public final class TCPTransport: Transport {
    /// The connect timeout used when none is given: 10 seconds, long enough for a slow mobile or
    /// intercontinental handshake, short enough to fail over to another endpoint promptly.
    public static let defaultConnectTimeout: Duration = .seconds(10)

    /// The most one read asks the kernel for (larger requests return at most this much).
    private static let maxReadChunk = 1 << 20

    let socket: SocketHandle
    /// This end's address, e.g. `127.0.0.1:50123`.
    public let localAddress: String
    /// The peer's address, e.g. `127.0.0.1:5036`.
    public let remoteAddress: String

    init(socket: SocketHandle) {
        self.socket = socket
        SocketHandle.setOption(socket.descriptor, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
        localAddress = socket.localAddressDescription()
        remoteAddress = socket.remoteAddressDescription()
    }

    /// Connects to `host:port`, trying each address `getaddrinfo` gives (IPv4 and IPv6) in turn.
    ///
    /// - Parameters:
    ///   - host: A name (`localhost`, `live.ctraderapi.com`) or a numeric IPv4/IPv6 address
    ///     (`127.0.0.1`, `::1`, without brackets).
    ///   - port: The TCP port.
    ///   - connectTimeout: How long resolving the name and the connect attempts together may
    ///     take; default ``defaultConnectTimeout``. A lookup still running at the deadline is
    ///     abandoned (`getaddrinfo` cannot be interrupted; it finishes on its own thread).
    ///   - logger: Receives one `debug` line per failed address and one per connection.
    /// - Throws: ``TransportError`` with ``TransportError/Code/hostNotFound``,
    ///   ``TransportError/Code/connectionRefused``, ``TransportError/Code/connectTimeout`` (or
    ///   another code: the last address's failure), or `CancellationError`.
    public static func connect(
        host: String,
        port: Int,
        connectTimeout: Duration = defaultConnectTimeout,
        logger: Logger
    ) async throws -> TCPTransport {
        let deadline = ContinuousClock.now + connectTimeout
        let addresses = try await Resolver.resolve(host: host, port: port, deadline: deadline)
        var lastError: TransportError?
        for address in addresses {
            try Task.checkCancellation()
            do {
                let transport = try await connect(to: address, deadline: deadline, host: host, timeout: connectTimeout)
                logger.debug(
                    "TCP connected",
                    metadata: ["local": "\(transport.localAddress)", "remote": "\(transport.remoteAddress)"])
                return transport
            } catch let error as TransportError {
                logger.debug(
                    "TCP connect failed", metadata: ["address": "\(address.description)", "error": "\(error)"])
                if error.code == .connectTimeout { throw error }
                lastError = error
            }
        }
        throw lastError ?? TransportError(.hostNotFound, reason: "no address for \(host)")
    }

    /// One connect attempt to one address.
    private static func connect(
        to address: SocketAddress,
        deadline: ContinuousClock.Instant,
        host: String,
        timeout: Duration
    ) async throws -> TCPTransport {
        let socket = SocketHandle(takingOwnershipOf: try SocketHandle.makeStreamSocket(family: address.family))
        do {
            // safe because: the sockaddr pointer is valid for the duration of the call.
            let result = address.withSockAddr { pointer, length in systemConnect(socket.descriptor, pointer, length) }
            if result != 0 {
                let number = currentErrno
                guard number == EINPROGRESS || number == EINTR else {
                    throw TransportError.system(number, while: "connect to \(address.description)")
                }
                do {
                    try await Poller.shared.wait(for: .writable, on: socket, deadline: deadline)
                } catch is PollerTimeout {
                    throw TransportError(
                        .connectTimeout, reason: "no connection to \(host) (\(address.description)) within \(timeout)")
                }
                let pending = socketError(socket.descriptor)
                if pending != 0 {
                    throw TransportError.system(pending, while: "connect to \(address.description)")
                }
            }
            return TCPTransport(socket: socket)
        } catch {
            await socket.close()
            throw error
        }
    }

    /// Reads the pending error of a socket (`SO_ERROR`).
    private static func socketError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        // safe because: passes a local `Int32` and its size.
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return currentErrno }
        return value
    }

    /// Reads at least one and at most `maxLength` bytes into the end of `buffer`; `0` at end of stream.
    public func read(into buffer: inout [UInt8], maxLength: Int) async throws -> Int {
        precondition(maxLength > 0, "maxLength must be positive")
        // After a read that drained the receive queue, wait for new bytes before asking: a `recv`
        // now would most likely say EAGAIN (one system call per message saved).
        var waitFirst = try socket.beginRead()
        var drained = false
        defer { socket.endRead(drained: drained) }
        let maxLength = min(maxLength, Self.maxReadChunk)
        while true {
            try Task.checkCancellation()
            if waitFirst {
                waitFirst = false
                try await Poller.shared.wait(for: .readable, on: socket)
            }
            let fd = socket.descriptor
            // safe because: recv writes at most `maxLength` bytes into the temporary, and only the
            // `count` bytes it wrote are copied out; the pointer does not escape the closure.
            let (count, number) = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { scratch in
                let count = recv(fd, scratch.baseAddress, maxLength, 0)
                let number = currentErrno
                if count > 0 { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count])) }
                return (count, number)
            }
            if count >= 0 {
                drained = count > 0 && count < maxLength
                return count
            }
            if number == EINTR { continue }
            guard number == EAGAIN || number == EWOULDBLOCK else { throw TransportError.system(number, while: "read") }
            try await Poller.shared.wait(for: .readable, on: socket)
        }
    }

    /// Writes all of `bytes`, waiting whenever the kernel's send buffer is full.
    public func write(_ bytes: ArraySlice<UInt8>) async throws {
        try socket.begin()
        defer { socket.end() }
        var remaining = bytes
        while !remaining.isEmpty {
            try Task.checkCancellation()
            let fd = socket.descriptor
            // safe because: reads only the slice's own bytes.
            let count = remaining.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, SocketHandle.sendFlags) }
            let number = currentErrno
            if count >= 0 {
                remaining = remaining.dropFirst(count)
                continue
            }
            if number == EINTR { continue }
            guard number == EAGAIN || number == EWOULDBLOCK else { throw TransportError.system(number, while: "write") }
            try await Poller.shared.wait(for: .writable, on: socket)
        }
    }

    /// Sends FIN: the peer reads end of stream; this side can still read.
    public func shutdownWrite() async throws {
        try socket.begin()
        defer { socket.end() }
        if systemShutdown(socket.descriptor, Int32(SHUT_WR)) != 0 {
            throw TransportError.system(currentErrno, while: "shutdown")
        }
    }

    /// Closes the socket; pending reads and writes end with ``TransportError/Code/closed``.
    public func close() async {
        await socket.close()
    }
}

/// `connect(2)`, named so that it does not clash with ``TCPTransport/connect(host:port:connectTimeout:logger:)``.
func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

/// `shutdown(2)`, named so that it does not clash with methods inside types.
func systemShutdown(_ fd: Int32, _ how: Int32) -> Int32 {
    shutdown(fd, how)
}
