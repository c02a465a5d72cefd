// swift-ctrader: session tapes, a recording of every message of a session as JSON Lines.

public import CTraderMessaging
import Logging

/// A ``CTraderChannel`` that tapes every envelope going through another channel, in both
/// directions, into a ``CTraderTapeRecorder``; otherwise it forwards everything unchanged.
///
/// A sent envelope is taped just before it is written (so that the tape keeps a request before
/// its answer), a received one as soon as it arrived; taping never waits for the disk.
public final class RecordingChannel: CTraderChannel {
    /// The channel that carries the messages.
    public let base: any CTraderChannel
    /// Where the envelopes go.
    public let recorder: CTraderTapeRecorder
    /// This connection's number on the tape.
    public let connection: Int

    /// Wraps `base`; the connection gets the recorder's next number.
    public init(_ base: any CTraderChannel, recorder: CTraderTapeRecorder) {
        self.base = base
        self.recorder = recorder
        self.connection = recorder.makeConnectionID()
    }

    /// Tapes the envelope, then sends it.
    public func send(_ envelope: Envelope) async throws {
        recorder.record(envelope, direction: .sent, connection: connection)
        try await base.send(envelope)
    }

    /// Receives the next message and tapes it (an undecodable one as `undecodable`).
    public func next() async throws -> CTraderChannelElement? {
        let element = try await base.next()
        switch element {
        case .envelope(let envelope):
            recorder.record(envelope, direction: .received, connection: connection)
        case .undecodable(let error, let bytes):
            recorder.record(
                .undecodable(reason: "\(error)", bytes: bytes), direction: .received, connection: connection)
        case nil:
            break
        }
        return element
    }

    /// Closes the wrapped channel.
    public func close() async {
        await base.close()
    }

    /// Aborts the wrapped channel.
    public func abort() async {
        await base.abort()
    }
}

extension CTraderConnector {
    /// This connector, with every channel it opens taped into `recorder` (each connection, a
    /// reconnect included, gets the next connection number).
    ///
    /// ```swift
    /// configuration.endpoint = .custom(configuration.connector.recording(into: recorder))
    /// ```
    public func recording(into recorder: CTraderTapeRecorder) -> CTraderConnector {
        let base = self
        return CTraderConnector(description: description) { (logger: Logger) in
            RecordingChannel(try await base.open(logger: logger), recorder: recorder)
        }
    }
}
