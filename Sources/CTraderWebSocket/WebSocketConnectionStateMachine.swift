public import CTraderFraming

/// How a connection pings an idle peer and when it gives up on it.
public struct WebSocketAutoPing: Sendable, Hashable {
    /// How long the connection may stay without receiving anything before it sends a ping;
    /// `nil` when auto-ping is off.
    public let interval: Duration?
    /// How long after a ping the peer has to show any sign of life (a pong, or any frame) before
    /// the connection is declared dead and its transport closed.
    public let timeout: Duration

    /// No pings; an idle connection stays open.
    public static let disabled = WebSocketAutoPing(interval: nil, timeout: .zero)

    /// Pings after `interval` of silence and declares the connection dead `timeout` later.
    public static func enabled(interval: Duration, timeout: Duration) -> WebSocketAutoPing {
        WebSocketAutoPing(interval: interval, timeout: timeout)
    }
}

/// How a WebSocket connection ended, as the application sees it.
public struct WebSocketCloseStatus: Sendable, Hashable, CustomStringConvertible {
    /// The code from the close frame, 1005 (`noStatusReceived`) when the frame had none, or 1006
    /// (`abnormalClosure`) when the connection ended without a completed closing handshake.
    public let code: WebSocketCloseCode
    /// The reason from the close frame, if any.
    public let reason: String
    /// Whether both close frames were exchanged (the closing handshake completed).
    public let wasClean: Bool

    /// Creates a status.
    public init(code: WebSocketCloseCode, reason: String = "", wasClean: Bool) {
        self.code = code
        self.reason = reason
        self.wasClean = wasClean
    }

    /// The code, the reason if any, and "(not clean)" when the closing handshake did not complete.
    public var description: String {
        "\(code.rawValue)\(reason.isEmpty ? "" : " \(reason)")\(wasClean ? "" : " (not clean)")"
    }
}

/// The lifecycle of one established WebSocket connection: control frames, the closing handshake,
/// auto-ping and timeouts, as a pure state machine.
///
/// It does no I/O and reads no clock: every event carries the current time, and every answer is
/// an ``Action`` for the owner to perform (send a frame, close the transport). The owner asks
/// ``nextDeadline`` when to call ``tick(now:)`` next.
///
/// The closing handshake follows RFC 6455 §7: either side may start it; a close frame is echoed
/// with the received code; once both close frames are exchanged the server closes the TCP
/// connection first (§7.1.1) while the client waits up to the close timeout for it; after the
/// close timeout the transport is closed anyway.
public struct WebSocketConnectionStateMachine: Sendable {
    /// What the owner must do after an event.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Send this control frame (a pong, a ping or a close frame).
        case send(WebSocketFrame)
        /// Send this close frame, then close the transport.
        case sendAndCloseTransport(WebSocketFrame)
        /// Fail the connection: send this close frame, half-close the transport
        /// (`shutdownWrite()`), then read and discard until the peer closes or the close timeout
        /// passes, then close. Closing at once could make the kernel answer unread data with a
        /// reset, and the peer might never read the close frame.
        case sendAndShutdownWrite(WebSocketFrame)
        /// Close the transport now.
        case closeTransport
    }

    private enum State: Sendable {
        /// Data flows both ways.
        case open
        /// We sent a close frame and wait for the peer's until `deadline`.
        case closeSent(deadline: ContinuousClock.Instant)
        /// Both close frames are exchanged (or the connection failed); as a client we wait for the
        /// server to close the transport until `deadline`.
        case awaitingTransportClose(deadline: ContinuousClock.Instant)
        /// The transport is closed.
        case closed
    }

    /// This end's role.
    public let role: WebSocketRole
    /// How long the closing handshake may take before the transport is closed anyway.
    public let closeTimeout: Duration
    /// The auto-ping policy.
    public let autoPing: WebSocketAutoPing

    private var state: State = .open
    private var lastReceived: ContinuousClock.Instant
    private var outstandingPing: (payload: UInt64, sentAt: ContinuousClock.Instant)?
    private var pingCounter: UInt64 = 0
    /// The status to report once the transport is closed; set by the first close frame received
    /// or the first failure.
    private var status: WebSocketCloseStatus?
    private var peerCloseReceived = false
    private var ourCloseSent = false
    /// The payload of the pong owed to the peer and not yet taken by ``takeOwedPong()``: the
    /// latest ping's (RFC 6455 §5.5.3 lets an endpoint answer only the most recent ping).
    private var owedPong: [UInt8]?

    /// Creates the machine for a connection whose opening handshake completed at `now`.
    /// - Parameters:
    ///   - role: this end's role; it decides masking of the control frames it produces and who
    ///     closes TCP first.
    ///   - closeTimeout: how long to wait for the peer during the closing handshake before the
    ///     transport is closed anyway. Default 10 s.
    ///   - autoPing: the auto-ping policy. Default ``WebSocketAutoPing/disabled``.
    ///   - now: the current time.
    public init(
        role: WebSocketRole,
        closeTimeout: Duration = .seconds(10),
        autoPing: WebSocketAutoPing = .disabled,
        now: ContinuousClock.Instant
    ) {
        self.role = role
        self.closeTimeout = closeTimeout
        self.autoPing = autoPing
        self.lastReceived = now
    }

    /// Whether data frames may still be sent (no close frame sent yet, RFC 6455 §5.5.1).
    public var canSendData: Bool {
        if case .open = state { return true }
        return false
    }

    /// Whether the transport is closed and ``closeStatus`` is final.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// How the connection ended; `nil` while it is open and no close frame was exchanged.
    public var closeStatus: WebSocketCloseStatus? { status }

    /// When the owner must call ``tick(now:)`` next, or `nil` when no timer is needed.
    public var nextDeadline: ContinuousClock.Instant? {
        switch state {
        case .open:
            guard let interval = autoPing.interval else { return nil }
            if let ping = outstandingPing { return ping.sentAt + autoPing.timeout }
            return lastReceived + interval
        case .closeSent(let deadline), .awaitingTransportClose(let deadline):
            return deadline
        case .closed:
            return nil
        }
    }

    // MARK: - Events

    /// A data frame (text, binary or continuation) arrived. Returns whether to deliver it: data
    /// that arrives after the peer's close frame is dropped.
    public mutating func receivedData(now: ContinuousClock.Instant) -> Bool {
        lastReceived = now
        outstandingPing = nil
        return !peerCloseReceived
    }

    /// A ping arrived: answer with a pong carrying the same payload (RFC 6455 §5.5.2), unless a
    /// close frame was already received.
    ///
    /// Pongs owed are coalesced, so a flood of pings cannot queue up pongs without bound: while
    /// a pong is owed and not yet taken by the writer (``takeOwedPong()``), a new ping only
    /// replaces its payload and returns ``Action/none``. At most one pong is owed
    /// (``owedPongCount``); the owner writes the one it takes from ``takeOwedPong()`` in place of
    /// the frame in the ``Action/send(_:)``, which carries the payload of the ping that made the
    /// pong owed.
    public mutating func receivedPing(_ payload: ArraySlice<UInt8>, now: ContinuousClock.Instant) -> Action {
        lastReceived = now
        outstandingPing = nil
        switch state {
        case .open, .closeSent:
            let alreadyOwed = owedPong != nil
            owedPong = Array(payload)
            return alreadyOwed ? .none : .send(controlFrame(.pong, payload: payload))
        case .awaitingTransportClose, .closed:
            return .none
        }
    }

    /// The number of pongs owed and not yet taken for writing: 0 or 1.
    public var owedPongCount: Int { owedPong == nil ? 0 : 1 }

    /// Takes the owed pong, carrying the latest ping's payload, when the owner is about to write
    /// it; `nil` when none is owed. The next ping makes a new pong owed.
    public mutating func takeOwedPong() -> WebSocketFrame? {
        guard let payload = owedPong else { return nil }
        owedPong = nil
        return controlFrame(.pong, payload: payload[...])
    }

    /// A pong arrived. Any frame proves the peer alive, so it clears the outstanding ping whether
    /// or not its payload matches (an unsolicited pong is allowed, RFC 6455 §5.5.3).
    public mutating func receivedPong(_ payload: ArraySlice<UInt8>, now: ContinuousClock.Instant) -> Action {
        lastReceived = now
        outstandingPing = nil
        return .none
    }

    /// A valid close frame arrived with `code` (`nil` when its payload was empty) and `reason`.
    public mutating func receivedClose(
        code: WebSocketCloseCode?,
        reason: String,
        now: ContinuousClock.Instant
    ) -> Action {
        lastReceived = now
        switch state {
        case .open:
            peerCloseReceived = true
            status = WebSocketCloseStatus(code: code ?? .noStatusReceived, reason: reason, wasClean: true)
            // Echo the status code (RFC 6455 §5.5.1); an empty close is answered with an empty one.
            let echo = closeFrame(code: code, reason: "")
            ourCloseSent = true
            return finishHandshake(sending: echo, now: now)
        case .closeSent:
            peerCloseReceived = true
            // The connection's close code is the one in the first close frame received (RFC 6455 §7.1.5).
            status = WebSocketCloseStatus(code: code ?? .noStatusReceived, reason: reason, wasClean: true)
            return finishHandshake(sending: nil, now: now)
        case .awaitingTransportClose, .closed:
            return .none
        }
    }

    /// The application asks to close with `code` and `reason` (at most 123 UTF-8 bytes).
    public mutating func close(
        code: WebSocketCloseCode = .normalClosure,
        reason: String = "",
        now: ContinuousClock.Instant
    ) -> Action {
        guard case .open = state else { return .none }
        ourCloseSent = true
        status = WebSocketCloseStatus(code: code, reason: reason, wasClean: true)
        state = .closeSent(deadline: now + closeTimeout)
        return .send(closeFrame(code: code, reason: reason))
    }

    /// The peer broke the protocol: fail the connection (RFC 6455 §7.1.7) with the error's close
    /// code. A close frame goes out if none was sent yet, then the transport is closed.
    public mutating func failed(_ error: WebSocketFramingError, now: ContinuousClock.Instant) -> Action {
        fail(code: error.closeCode, reason: "", now: now)
    }

    /// Fails the connection with `code`, e.g. 1008 for a policy violation found above the codec.
    public mutating func fail(code: WebSocketCloseCode, reason: String, now: ContinuousClock.Instant) -> Action {
        switch state {
        case .open:
            status = WebSocketCloseStatus(code: code, reason: reason, wasClean: false)
            ourCloseSent = true
            // The action half-closes the transport after the close frame and drains what the
            // peer still sends; the deadline bounds that drain (and the wait when the frame is
            // queued behind a write that does not progress). A deadline of `now` would let the
            // timer close the transport before the close frame reached the wire.
            state = .awaitingTransportClose(deadline: now + closeTimeout)
            return .sendAndShutdownWrite(closeFrame(code: code, reason: reason))
        case .closeSent, .awaitingTransportClose:
            if status == nil || status?.wasClean == true {
                status = WebSocketCloseStatus(code: code, reason: reason, wasClean: false)
            }
            state = .awaitingTransportClose(deadline: now)
            return .closeTransport
        case .closed:
            return .none
        }
    }

    /// Time passed: send an auto-ping, declare a silent peer dead, or end a closing handshake
    /// that took too long.
    public mutating func tick(now: ContinuousClock.Instant) -> Action {
        switch state {
        case .open:
            guard let interval = autoPing.interval else { return .none }
            if let ping = outstandingPing {
                guard now >= ping.sentAt + autoPing.timeout else { return .none }
                status = WebSocketCloseStatus(
                    code: .abnormalClosure, reason: "no answer to ping within \(autoPing.timeout)", wasClean: false)
                state = .awaitingTransportClose(deadline: now)
                return .closeTransport
            }
            guard now >= lastReceived + interval else { return .none }
            pingCounter &+= 1
            outstandingPing = (pingCounter, now)
            var payload = [UInt8](repeating: 0, count: 8)
            for i in 0..<8 { payload[i] = UInt8(truncatingIfNeeded: pingCounter >> (56 - 8 * UInt64(i))) }
            return .send(controlFrame(.ping, payload: payload[...]))
        case .closeSent(let deadline), .awaitingTransportClose(let deadline):
            guard now >= deadline else { return .none }
            if status?.wasClean == true, !peerCloseReceived {
                status = WebSocketCloseStatus(
                    code: .abnormalClosure, reason: "no close frame from the peer within \(closeTimeout)",
                    wasClean: false)
            }
            state = .closed
            return .closeTransport
        case .closed:
            return .none
        }
    }

    /// The transport reached end of stream or failed. Returns the final status: the close frame's
    /// status when the closing handshake completed, 1006 otherwise.
    public mutating func transportClosed() -> WebSocketCloseStatus {
        state = .closed
        if let status, status.wasClean && peerCloseReceived && ourCloseSent { return status }
        if let status, !status.wasClean { return status }
        let final = WebSocketCloseStatus(code: .abnormalClosure, reason: status?.reason ?? "", wasClean: false)
        status = final
        return final
    }

    // MARK: - Helpers

    private mutating func finishHandshake(sending frame: WebSocketFrame?, now: ContinuousClock.Instant) -> Action {
        switch role {
        case .server:
            // The server closes the TCP connection first (RFC 6455 §7.1.1): the action closes it
            // right after the echoed close frame. The deadline only bounds the wait when that frame
            // is queued behind a write in progress; a deadline of `now` would let the owner's timer
            // close the transport before the echo reached the wire.
            state = .awaitingTransportClose(deadline: now + closeTimeout)
            if let frame { return .sendAndCloseTransport(frame) }
            return .closeTransport
        case .client:
            // The client waits for the server to close TCP, up to the close timeout.
            state = .awaitingTransportClose(deadline: now + closeTimeout)
            if let frame { return .send(frame) }
            return .none
        }
    }

    private func controlFrame(_ opcode: WebSocketOpcode, payload: ArraySlice<UInt8>) -> WebSocketFrame {
        WebSocketFrame(
            opcode: opcode,
            maskingKey: role == .client ? .random() : nil,
            payload: payload)
    }

    private func closeFrame(code: WebSocketCloseCode?, reason: String) -> WebSocketFrame {
        var payload: [UInt8] = []
        if let code {
            payload.reserveCapacity(2 + reason.utf8.count)
            payload.append(UInt8(truncatingIfNeeded: code.rawValue >> 8))
            payload.append(UInt8(truncatingIfNeeded: code.rawValue))
            // A control frame's payload is at most 125 bytes: the reason is cut at a UTF-8
            // character boundary to 123 bytes.
            var utf8 = Array(reason.utf8.prefix(123))
            while String(validating: utf8, as: UTF8.self) == nil { utf8.removeLast() }
            payload += utf8
        }
        return controlFrame(.close, payload: payload[...])
    }
}
