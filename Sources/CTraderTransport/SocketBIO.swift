import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An OpenSSL BIO over a non-blocking socket descriptor that writes with `MSG_NOSIGNAL`.
///
/// Why not `SSL_set_fd`: OpenSSL's socket BIO writes without `MSG_NOSIGNAL`, so on Linux a TLS
/// write to a peer that went away would raise `SIGPIPE` and kill the process. This BIO does the
/// same `recv`/`send` calls with our flags and reports `EAGAIN` as "retry", which OpenSSL turns into
/// `SSL_ERROR_WANT_READ` / `SSL_ERROR_WANT_WRITE`. `errno` is left as the system call set it, for
/// `SSL_ERROR_SYSCALL`.
enum SocketBIO {
    /// The method table, made once per process (never freed: BIOs made from it may live as long).
    private final class Method: @unchecked Sendable {
        // @unchecked Sendable: the BIO_METHOD is immutable after `init`.
        let pointer: OpaquePointer
        init() {
            guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "swift-ctrader socket") else {
                preconditionFailure("BIO_meth_new failed")
            }
            pointer = method
            _ = BIO_meth_set_create(method) { bio in
                BIO_set_init(bio, 1)
                return 1
            }
            _ = BIO_meth_set_ctrl(method) { _, command, _, _ in
                // Only flush matters (always done: writes go straight to the socket); every other
                // control is unsupported, as for a plain source/sink.
                command == BIO_CTRL_FLUSH ? 1 : 0
            }
            _ = BIO_meth_set_write(method) { bio, data, length in
                let fd = SocketBIO.descriptor(of: bio)
                BIO_clear_flags(bio, SocketBIO.retryFlags)
                let count = send(fd, data, Int(length), SocketHandle.sendFlags)
                if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                    BIO_set_flags(bio, SocketBIO.writeRetry)
                }
                return Int32(count)
            }
            _ = BIO_meth_set_read(method) { bio, data, length in
                let fd = SocketBIO.descriptor(of: bio)
                BIO_clear_flags(bio, SocketBIO.retryFlags)
                let count = recv(fd, data, Int(length), 0)
                if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                    BIO_set_flags(bio, SocketBIO.readRetry)
                }
                return Int32(count)
            }
        }
    }

    private static let method = Method()

    // BIO_FLAGS_READ | WRITE | IO_SPECIAL (= BIO_FLAGS_RWS) and BIO_FLAGS_SHOULD_RETRY, spelled out
    // because the compound macros are not imported.
    fileprivate static let retryFlags: Int32 = 0x07 | 0x08
    fileprivate static let readRetry: Int32 = 0x01 | 0x08
    fileprivate static let writeRetry: Int32 = 0x02 | 0x08

    /// The descriptor stored in a BIO's data pointer (as `fd + 1`, so that it is never null).
    fileprivate static func descriptor(of bio: OpaquePointer?) -> Int32 {
        Int32(truncatingIfNeeded: Int(bitPattern: BIO_get_data(bio)) - 1)
    }

    /// Makes a BIO over `fd`; the caller hands it to `SSL_set_bio`, which frees it with the SSL.
    /// The descriptor is not closed by the BIO.
    static func make(descriptor fd: Int32) -> OpaquePointer? {
        guard let bio = BIO_new(method.pointer) else { return nil }
        // safe because: the pointer is only a carrier for the descriptor number, never dereferenced.
        BIO_set_data(bio, UnsafeMutableRawPointer(bitPattern: Int(fd) + 1))
        return bio
    }
}
