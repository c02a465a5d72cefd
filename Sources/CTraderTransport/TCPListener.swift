public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#if os(Linux)
import CSystemShims
#endif

/// Listens for TCP connections, for the server role.
///
/// A class because it owns the listening socket, closed by ``close()`` (or when it is released).
public final class TCPListener: TransportListener {
    /// The listen backlog used when none is given: 128, the traditional `SOMAXCONN`.
    public static let defaultBacklog = 128

    let socket: SocketHandle
    private let logger: Logger
    /// The bound port (the system's choice when bound to port `0`).
    public let port: Int
    /// The bound address, e.g. `127.0.0.1:50123` or `[::1]:50123`.
    public let localAddress: String

    private init(socket: SocketHandle, logger: Logger) {
        self.socket = socket
        self.logger = logger
        localAddress = socket.localAddressDescription()
        port = Self.boundPort(socket.descriptor)
    }

    /// Binds to `host:port` and listens. `SO_REUSEADDR` is on, so a restarted server can bind a
    /// port that still has connections in `TIME_WAIT`.
    ///
    /// - Parameters:
    ///   - host: The local address to bind: `127.0.0.1` (the default, loopback only), `::1`, `0.0.0.0`,
    ///     `::`, a local name such as `localhost` (the first address it resolves to), or empty for
    ///     every local address.
    ///   - port: The port; `0` lets the system choose a free one (read it back from ``port``).
    ///   - backlog: How many connections the kernel queues before ``accept()``; default ``defaultBacklog``.
    ///   - logger: Receives `debug` lines for accepted connections.
    /// - Throws: ``TransportError`` (e.g. ``TransportError/Code/addressUnavailable``).
    public static func bind(
        host: String = "127.0.0.1",
        port: Int,
        backlog: Int = defaultBacklog,
        logger: Logger
    ) async throws -> TCPListener {
        let addresses = try await Resolver.resolve(host: host, port: port, passive: true)
        var lastError: TransportError?
        for address in addresses {
            let fd = try SocketHandle.makeStreamSocket(family: address.family)
            let socket = SocketHandle(takingOwnershipOf: fd)
            SocketHandle.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            // safe because: the sockaddr pointer is valid for the duration of the call.
            let bound = address.withSockAddr { pointer, length in systemBind(fd, pointer, length) }
            if bound != 0 {
                lastError = TransportError.system(currentErrno, while: "bind \(address.description)")
                await socket.close()
                continue
            }
            if listen(fd, Int32(clamping: backlog)) != 0 {
                lastError = TransportError.system(currentErrno, while: "listen on \(address.description)")
                await socket.close()
                continue
            }
            let listener = TCPListener(socket: socket, logger: logger)
            logger.debug("TCP listening", metadata: ["address": "\(listener.localAddress)"])
            return listener
        }
        throw lastError ?? TransportError(.addressUnavailable, reason: "no address to bind for \(host)")
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // safe because: `storage` fits any address; the rebound pointers do not escape.
        return withUnsafeMutablePointer(to: &storage) { pointer in
            let ok = pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } == 0
            guard ok else { return 0 }
            if Int32(pointer.pointee.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    /// Waits for the next connection.
    public func accept() async throws -> any Transport {
        try await acceptConnection()
    }

    /// Waits for the next connection, as its concrete type (e.g. to wrap it in TLS).
    ///
    /// - Throws: ``TransportError/Code/closed`` once ``close()`` was called, `CancellationError`,
    ///   or another ``TransportError`` (e.g. out of file descriptors).
    public func acceptConnection() async throws -> TCPTransport {
        try socket.begin()
        defer { socket.end() }
        while true {
            try Task.checkCancellation()
            let fd = systemAccept(socket.descriptor)
            let number = currentErrno
            if fd >= 0 {
                #if canImport(Darwin)
                SocketHandle.setOption(fd, level: SOL_SOCKET, name: SO_NOSIGPIPE, value: 1)
                #endif
                let transport = TCPTransport(socket: SocketHandle(takingOwnershipOf: fd))
                logger.debug(
                    "TCP accepted",
                    metadata: ["local": "\(transport.localAddress)", "remote": "\(transport.remoteAddress)"])
                return transport
            }
            if number == EINTR || number == ECONNABORTED { continue }
            guard number == EAGAIN || number == EWOULDBLOCK else {
                throw TransportError.system(number, while: "accept")
            }
            try await Poller.shared.wait(for: .readable, on: socket)
        }
    }

    /// Stops listening and closes the socket; a pending accept ends with ``TransportError/Code/closed``.
    public func close() async {
        await socket.close()
    }
}

/// `bind(2)`, named so that it does not clash with ``TCPListener/bind(host:port:backlog:logger:)``.
func systemBind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    bind(fd, address, length)
}

/// `accept(2)` without the peer address, named so that it does not clash with ``TCPListener/accept()``.
///
/// On Linux, `accept4` makes the new descriptor non-blocking and close-on-exec atomically, so that a
/// process that another thread starts meanwhile cannot inherit it (and keep the connection open
/// after we close it). Elsewhere the flags are set right after `accept`.
func systemAccept(_ fd: Int32) -> Int32 {
    #if os(Linux)
    // safe because: no address is asked for (both pointers nil).
    return accept4(fd, nil, nil, CSystemShims_acceptFlags())
    #else
    let accepted = accept(fd, nil, nil)
    if accepted >= 0 { SocketHandle.setNonBlockingAndCloseOnExec(accepted) }
    return accepted
    #endif
}
