/// A reliable, ordered, bidirectional byte stream: TCP, TLS over TCP, or an in-memory pair.
///
/// Conformers apply backpressure: ``write(_:)`` returns only once its bytes were handed to a
/// bounded buffer (the kernel's socket buffer, or an in-memory pair's bounded buffer), so a writer
/// waits while the peer is not reading and nothing buffers without bound.
///
/// One task may read while another writes. Two concurrent reads (or two concurrent writes) on one
/// transport are allowed but interleave unpredictably; don't.
///
/// Cancelling a task that waits in ``read(into:maxLength:)`` or ``write(_:)`` ends the wait with
/// `CancellationError`; the transport stays usable for reading, but a cancelled write may have sent
/// part of its bytes (and for TLS, a write cancelled mid-record leaves the session unfit for further
/// writes), so treat a cancelled write as the end of the connection. ``close()`` wakes every pending operation with ``TransportError/Code/closed``.
public protocol Transport: AnyObject, Sendable {
    /// Reads at least one and at most `maxLength` bytes, appending them to `buffer`.
    ///
    /// Waits until some bytes arrive.
    /// - Returns: How many bytes were appended; `0` means the peer closed its writing side (clean
    ///   end of stream), and every later read returns `0` too.
    /// - Throws: ``TransportError`` (e.g. ``TransportError/Code/connectionReset``,
    ///   ``TransportError/Code/closed``), or `CancellationError`.
    func read(into buffer: inout [UInt8], maxLength: Int) async throws -> Int

    /// Writes all of `bytes`, waiting while the peer's buffer is full.
    ///
    /// Returns once every byte was handed to the kernel (or the in-memory peer's bounded buffer),
    /// not once the peer read it.
    /// - Throws: ``TransportError``, or `CancellationError` (some bytes may have been written).
    func write(_ bytes: ArraySlice<UInt8>) async throws

    /// Closes the writing direction only (half-close): the peer reads end of stream once it has read
    /// everything written before, while this side can still read. For TLS this sends close_notify.
    func shutdownWrite() async throws

    /// Closes both directions and releases the connection's resources.
    ///
    /// Idempotent. Every pending read or write ends with ``TransportError/Code/closed``, and later
    /// calls throw it. When `close()` returns, the file descriptor (if any) is closed.
    func close() async

    /// This end's address, e.g. `127.0.0.1:50123`, `[::1]:443`, or `memory:3/client`.
    var localAddress: String { get }

    /// The peer's address, in the same form as ``localAddress``.
    var remoteAddress: String { get }
}

extension Transport {
    /// Reads at least one and at most `maxLength` bytes.
    ///
    /// - Returns: The bytes read; an empty array means a clean end of stream.
    public func read(maxLength: Int) async throws -> [UInt8] {
        var buffer: [UInt8] = []
        _ = try await read(into: &buffer, maxLength: maxLength)
        return buffer
    }

    /// Writes all of `bytes`, waiting while the peer's buffer is full.
    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes[...])
    }

    /// Reads until exactly `count` bytes arrived.
    ///
    /// - Throws: ``TransportError/Code/connectionReset`` when the stream ends first.
    public func read(exactly count: Int) async throws -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(count)
        while buffer.count < count {
            if try await read(into: &buffer, maxLength: count - buffer.count) == 0 {
                throw TransportError(
                    .connectionReset,
                    reason: "end of stream after \(buffer.count) of \(count) bytes"
                )
            }
        }
        return buffer
    }
}

/// Accepts incoming connections for the server role.
public protocol TransportListener: AnyObject, Sendable {
    /// Waits for the next connection.
    ///
    /// - Throws: ``TransportError/Code/closed`` once the listener was closed (a pending `accept`
    ///   is woken by ``close()``), `CancellationError`, or another ``TransportError``.
    func accept() async throws -> any Transport

    /// Stops listening. Idempotent; wakes a pending ``accept()``. Connections already accepted stay
    /// open.
    func close() async

    /// The bound port: the one the system chose when the listener was created with port `0`.
    var port: Int { get }
}
