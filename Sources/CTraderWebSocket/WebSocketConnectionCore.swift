import CTraderFraming
import CTraderTransport
import Logging
import _CTraderLocking

/// The engine behind a ``WebSocketConnection``: the read loop, the serialized write side, the
/// inbound queue and the timer, around one ``WebSocketConnectionStateMachine``.
///
/// Writes: one task at a time owns the write side (`State.writerBusy`). Control frames decided by
/// the state machine are queued in `State.pendingControl` under the same lock as the decision, so
/// they reach the wire in decision order; whoever owns the write side flushes them before it lets
/// go, and a data message's sender flushes them between its fragments. So a pong or close frame
/// waits at most for the one frame being written, and data messages never interleave.
final class WebSocketConnectionCore: @unchecked Sendable {
    // @unchecked Sendable: `state` is guarded by its lock; `writeBuffer`, `controlBuffer` and
    // `deflater` are touched only by the task that owns the write side (`State.writerBusy`),
    // which hands ownership over through the lock (a happens-before edge).

    struct PendingControl {
        /// What follows the frame's write.
        enum After {
            case nothing
            case closeTransport
            /// Half-close; the read loop drains until end of stream (or the close timeout).
            case shutdownWrite
        }

        var frame: WebSocketFrame
        var after: After
    }

    struct State {
        var machine: WebSocketConnectionStateMachine
        var pendingControl: [PendingControl] = []
        var writerBusy = false
        var writerWaiters: [CheckedContinuation<Void, Never>] = []
        /// Received messages not yet taken; full means the read loop waits (backpressure).
        var inbound: SingleConsumerBuffer<WebSocketMessage>
        var consumer: CheckedContinuation<WebSocketMessage?, Never>?
        /// An iterator of ``WebSocketConnection/messages`` took the messages and still exists.
        var consumerClaimed = false
        var producer: CheckedContinuation<Void, Never>?
        var finalStatus: WebSocketCloseStatus?
        var closeWaiters: [CheckedContinuation<WebSocketCloseStatus, Never>] = []
        var timer: Task<Void, Never>?
        var timerDeadline: ContinuousClock.Instant?
        /// The last handle was released: nobody will take messages any more.
        var abandoned = false

    }

    let transport: any Transport
    let role: WebSocketRole
    let configuration: WebSocketConfiguration
    let logger: Logger
    private let encoder: WebSocketFrameEncoder
    /// Guarded state; the inbound queue's side is in WebSocketConnectionCore+Inbound.swift.
    let state: Locked<State>
    private var writeBuffer: [UInt8] = []
    private var controlBuffer: [UInt8] = []
    private var deflater: PerMessageDeflateDeflater?

    /// The largest write buffer kept between messages; a bigger one (after a big message) is freed.
    private static let retainedWriteBufferCapacity = 1 << 20
    /// The largest read buffer kept between reads. A bigger one (after a burst) is freed, so an
    /// idle connection does not hold heap it no longer uses: allocated but untouched heap becomes
    /// resident later, as connections come and go, which the soak measured as a rising trend.
    private static let keptReadCapacity = 8 * 1024

    init(
        transport: any Transport,
        role: WebSocketRole,
        configuration: WebSocketConfiguration,
        deflater: PerMessageDeflateDeflater?,
        logger: Logger
    ) {
        self.transport = transport
        self.role = role
        self.configuration = configuration
        self.logger = logger
        self.encoder = WebSocketFrameEncoder(role: role)
        self.deflater = deflater
        self.state = Locked(
            State(
                machine: WebSocketConnectionStateMachine(
                    role: role,
                    closeTimeout: configuration.closeTimeout,
                    autoPing: configuration.autoPing,
                    now: .now
                ),
                inbound: SingleConsumerBuffer(limit: configuration.inboundQueueDepth, policy: .backpressure)
            ))
        controlBuffer.reserveCapacity(256)
    }

    // MARK: - Start and finish

    /// Starts the read loop over `reader` (fed first with `initialBytes`, the bytes that followed
    /// the handshake) and the timer. The read loop owns the connection's lifetime: it ends when the
    /// transport ends, and then closes it and publishes the final status.
    func start(reader: sending WebSocketFrameReader, initialBytes: [UInt8]) {
        // The reader holds a non-Sendable inflater; it moves into the read task and stays there.
        // The task runs on the transport's I/O thread where there is one: the poller then resumes
        // it after a read without a switch to another thread.
        Task(executorPreference: TransportExecutor.preferred) {
            await self.readLoop(reader: reader, initialBytes: initialBytes)
        }
        rescheduleTimer()
    }

    /// Closes the transport without a closing handshake (the last handle was released).
    func abandon() {
        let finished = state.withLock { state in
            // Nobody can take messages any more: a read task waiting for queue space must not
            // wait forever (it would never see the transport close).
            state.abandoned = true
            state.producer?.resume()
            state.producer = nil
            return state.finalStatus != nil
        }
        guard !finished else { return }
        let transport = self.transport
        Task { await transport.close() }
    }

    private func finish() async {
        let status = state.withLock { $0.machine.transportClosed() }
        await transport.close()
        state.withLock { state in
            state.finalStatus = status
            state.timer?.cancel()
            state.timer = nil
            state.consumer?.resume(returning: nil)
            state.consumer = nil
            state.producer?.resume()
            state.producer = nil
            for waiter in state.closeWaiters { waiter.resume(returning: status) }
            state.closeWaiters.removeAll()
        }
        logger.debug("WebSocket closed", metadata: ["status": "\(status)"])
    }

    // MARK: - Reading

    private func readLoop(reader initialReader: WebSocketFrameReader, initialBytes: [UInt8]) async {
        var reader = initialReader
        // Grown by the transport to what a read brings, never reserved up front: an idle
        // connection holds only what its largest recent read needed (see `keptReadCapacity`).
        var buffer: [UInt8] = []
        let chunk = max(1, configuration.readChunkSize)
        var failed = false
        var pendingInput = initialBytes
        while true {
            if !pendingInput.isEmpty {
                reader.append(pendingInput)
                pendingInput = []
            } else {
                buffer.removeAll(keepingCapacity: buffer.capacity <= Self.keptReadCapacity)
                let count: Int
                do {
                    count = try await transport.read(into: &buffer, maxLength: chunk)
                } catch {
                    logger.trace("WebSocket read ended", metadata: ["error": "\(error)"])
                    break
                }
                if count == 0 { break }
                // After a failure: discard what the peer still sends until it closes (or the
                // close timeout closes the transport), so that our close frame is not lost to a
                // reset caused by unread data.
                if failed { continue }
                if configuration.autoPing.interval != nil {
                    // Any bytes prove the peer alive.
                    state.withLock { _ = $0.machine.receivedPong([], now: .now) }
                }
                reader.append(buffer)
            }
            // Whether this read gave the consumer a message (see the catch below).
            var delivered = false
            do {
                while let event = try reader.nextEvent() {
                    switch event {
                    case .message(let message):
                        delivered = true
                        await deliver(message)
                    case .ping(let payload):
                        await act { $0.receivedPing(payload, now: .now) }
                    case .pong(let payload):
                        state.withLock { _ = $0.machine.receivedPong(payload, now: .now) }
                    case .close(let close):
                        let code: WebSocketCloseCode? = close.code == .noStatusReceived ? nil : close.code
                        await act { $0.receivedClose(code: code, reason: close.reason, now: .now) }
                        wakeProducer()
                    }
                }
            } catch {
                logger.debug("WebSocket protocol error", metadata: ["error": "\(error)"])
                failed = true
                // The messages that came before the error in this read are the application's
                // first (RFC 6455 strictness: an echo of them precedes the close frame).
                if delivered { await awaitConsumerCaughtUp() }
                await act { $0.failed(error, now: .now) }
            }
        }
        await finish()
    }

    // MARK: - State machine actions

    /// Runs one state machine event and performs its action: queued control frames are written
    /// (by this task if the write side is free), the transport closed if asked.
    func act(_ event: (inout WebSocketConnectionStateMachine) -> WebSocketConnectionStateMachine.Action) async {
        let (becameWriter, closeNow): (Bool, Bool) = state.withLock { state in
            switch event(&state.machine) {
            case .none:
                return (false, false)
            case .send(let frame):
                state.pendingControl.append(PendingControl(frame: frame, after: .nothing))
            case .sendAndCloseTransport(let frame):
                state.pendingControl.append(PendingControl(frame: frame, after: .closeTransport))
            case .sendAndShutdownWrite(let frame):
                state.pendingControl.append(PendingControl(frame: frame, after: .shutdownWrite))
            case .closeTransport:
                return (false, true)
            }
            if state.writerBusy { return (false, false) }
            state.writerBusy = true
            return (true, false)
        }
        if becameWriter { await flushAndReleaseWriter() }
        if closeNow { await transport.close() }
        rescheduleTimer()
    }

    // MARK: - Writing

    private func acquireWriter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            state.withLock { state in
                if state.writerBusy {
                    state.writerWaiters.append(continuation)
                } else {
                    state.writerBusy = true
                    continuation.resume()
                }
            }
        }
    }

    /// Writes queued control frames until none is left, then gives up the write side (to the
    /// next waiting writer, if any). Call only while owning the write side.
    private func flushAndReleaseWriter() async {
        while true {
            let batch: [PendingControl]? = state.withLock { state in
                if state.pendingControl.isEmpty {
                    if state.writerWaiters.isEmpty {
                        state.writerBusy = false
                    } else {
                        state.writerWaiters.removeFirst().resume()
                    }
                    return nil
                }
                let batch = state.pendingControl
                state.pendingControl.removeAll()
                return batch
            }
            guard let batch else { return }
            await write(batch)
        }
    }

    /// Writes queued control frames without giving up the write side.
    private func flushPendingControl() async {
        while let batch = state.withLock({ state -> [PendingControl]? in
            if state.pendingControl.isEmpty { return nil }
            let batch = state.pendingControl
            state.pendingControl.removeAll()
            return batch
        }) {
            await write(batch)
        }
    }

    private func write(_ batch: [PendingControl]) async {
        for pending in batch {
            controlBuffer.removeAll(keepingCapacity: true)
            // Pongs are coalesced: the one written carries the latest ping's payload.
            let frame =
                pending.frame.opcode == .pong
                ? state.withLock { $0.machine.takeOwedPong() } ?? pending.frame : pending.frame
            do {
                try encoder.encode(frame, into: &controlBuffer)
                try await transport.write(controlBuffer[...])
            } catch {
                logger.debug("WebSocket control frame write failed", metadata: ["error": "\(error)"])
                await transport.close()
                return
            }
            switch pending.after {
            case .nothing:
                break
            case .closeTransport:
                await transport.close()
            case .shutdownWrite:
                do {
                    try await transport.shutdownWrite()
                } catch {
                    logger.debug("WebSocket half-close failed", metadata: ["error": "\(error)"])
                    await transport.close()
                }
            }
        }
    }

    private var canSendData: Bool {
        state.withLock { $0.machine.canSendData && $0.finalStatus == nil }
    }

    /// Sends one data message, fragmented into frames of at most `fragmentSize` payload bytes.
    func send(_ bytes: ArraySlice<UInt8>, opcode: WebSocketOpcode, fragmentSize: Int?) async throws(WebSocketError) {
        guard opcode == .text || opcode == .binary else {
            throw WebSocketError(
                code: .invalidFrame, detail: "a message's opcode must be text or binary, not \(opcode)",
                underlying: WebSocketFramingError.protocolError(.reservedOpcode, "opcode \(opcode)"))
        }
        guard canSendData else { throw .closed() }
        await acquireWriter()
        var failure: WebSocketError?
        do {
            await flushPendingControl()
            guard canSendData else { throw WebSocketError.closed() }
            var payload = bytes
            var compressed = false
            if deflater != nil {
                do {
                    if let deflated = try deflater!.deflate(bytes) {
                        payload = deflated[...]
                        compressed = true
                    }
                } catch {
                    deflater = nil
                    state.withLock { state in
                        let action = state.machine.fail(code: .internalServerError, reason: "", now: .now)
                        if case .sendAndShutdownWrite(let frame) = action {
                            state.pendingControl.append(PendingControl(frame: frame, after: .shutdownWrite))
                        }
                    }
                    throw WebSocketError(
                        code: .compressionFailed, detail: "compressing a message failed", underlying: error)
                }
            }
            let size = fragmentSize.map { max(1, $0) } ?? Int.max
            var start = payload.startIndex
            var first = true
            repeat {
                let end = payload.endIndex - start > size ? start + size : payload.endIndex
                if !first {
                    await flushPendingControl()
                    guard canSendData else {
                        throw WebSocketError.closed("the connection closed in the middle of a fragmented message")
                    }
                }
                writeBuffer.removeAll(keepingCapacity: true)
                try encoder.encode(
                    opcode: first ? opcode : .continuation,
                    payload: payload[start..<end],
                    fin: end == payload.endIndex,
                    rsv1: first && compressed,
                    into: &writeBuffer
                )
                do {
                    try await transport.write(writeBuffer[...])
                } catch {
                    await transport.close()
                    throw WebSocketError.transport(error, while: "sending a message")
                }
                start = end
                first = false
            } while start < payload.endIndex
        } catch let error as WebSocketError {
            failure = error
        } catch {
            failure = WebSocketError(
                code: .invalidFrame, detail: "cannot encode the message", underlying: error as? WebSocketFramingError)
        }
        if writeBuffer.capacity > Self.retainedWriteBufferCapacity { writeBuffer = [] }
        await flushAndReleaseWriter()
        rescheduleTimer()
        if let failure { throw failure }
    }

    /// Sends a ping with `payload` (at most 125 bytes).
    func ping(_ payload: [UInt8]) async throws(WebSocketError) {
        guard payload.count <= 125 else {
            throw WebSocketError(
                code: .invalidFrame, detail: "a ping payload is at most 125 bytes, not \(payload.count)",
                underlying: WebSocketFramingError.protocolError(.controlFrameTooLong, "ping of \(payload.count) bytes"))
        }
        guard canSendData else { throw .closed() }
        await act { machine in
            machine.canSendData ? .send(WebSocketFrame(opcode: .ping, payload: payload[...])) : .none
        }
    }

    /// Starts the closing handshake and waits until the transport is closed.
    func close(code: WebSocketCloseCode, reason: String) async -> WebSocketCloseStatus {
        await act { $0.close(code: code, reason: reason, now: .now) }
        wakeProducer()
        return await waitUntilClosed()
    }

    // MARK: - Status

    var finalStatus: WebSocketCloseStatus? { state.withLock { $0.finalStatus } }

    func waitUntilClosed() async -> WebSocketCloseStatus {
        await withCheckedContinuation { (continuation: CheckedContinuation<WebSocketCloseStatus, Never>) in
            state.withLock { state in
                if let status = state.finalStatus {
                    continuation.resume(returning: status)
                } else {
                    state.closeWaiters.append(continuation)
                }
            }
        }
    }

    // MARK: - Timer

    /// Starts a timer task when the state machine's deadline moved earlier than the one the
    /// current timer sleeps towards (or there is none). A deadline that moved later needs
    /// nothing: the timer wakes, ticks (a no-op) and sleeps again.
    private func rescheduleTimer() {
        state.withLock { state in
            guard state.finalStatus == nil, let deadline = state.machine.nextDeadline else { return }
            if let current = state.timerDeadline, current <= deadline, state.timer != nil { return }
            state.timer?.cancel()
            state.timerDeadline = deadline
            state.timer = Task { await self.runTimer(until: deadline) }
        }
    }

    private func runTimer(until firstDeadline: ContinuousClock.Instant) async {
        var deadline = firstDeadline
        while true {
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return
            }
            await act { $0.tick(now: .now) }
            wakeProducer()
            let next: ContinuousClock.Instant? = state.withLock { state in
                guard !Task.isCancelled, state.finalStatus == nil else { return nil }
                let next = state.machine.nextDeadline
                state.timerDeadline = next
                if next == nil { state.timer = nil }
                return next
            }
            guard let next else { return }
            deadline = next
        }
    }
}
