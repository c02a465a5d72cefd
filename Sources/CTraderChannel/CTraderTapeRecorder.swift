// swift-ctrader: session tapes, a recording of every message of a session as JSON Lines.

public import CTraderMessaging
public import Foundation

/// Records messages into a tape file (JSON Lines, see ``CTraderTapeEntry``), off the hot path.
///
/// ``record(_:direction:connection:)-(Envelope,_,_)`` only appends to a bounded in-memory queue; one dedicated
/// thread encodes the entries, redacts them and writes the file, so no task of Swift's
/// cooperative pool ever waits on file I/O. When the queue is full (the disk cannot keep up)
/// further entries are dropped and counted (``droppedEntries``), never waited for.
///
/// ```swift
/// let recorder = try CTraderTapeRecorder(path: "session.jsonl")
/// var configuration = CTraderClientConfiguration(credentials: credentials)
/// configuration.endpoint = .custom(configuration.connector.recording(into: recorder))
/// // … run the client …
/// await recorder.close()
/// ```
///
/// Secrets (client secret, access and refresh tokens) are redacted unless the configuration
/// says otherwise; see ``CTraderTapeRedaction``. Call ``close()`` at the end: the writer thread
/// (and the recorder) live until then.
public final class CTraderTapeRecorder: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `condition` (an NSCondition, whose
    // lock it is); the file handle is touched only by the writer thread.

    /// How a recorder behaves.
    public struct Configuration: Sendable {
        /// Whether secrets are replaced by ``CTraderTapeRedaction/marker``; default `true`.
        /// `false` keeps them, for a tape that must be replayed against a real server: keep such
        /// a tape as secret as the credentials themselves.
        public var redactsSecrets: Bool
        /// The most entries waiting to be written; default 65,536. More are dropped and counted.
        public var maximumQueuedEntries: Int
        /// Encodes the taped envelopes; default `JSONEnvelopeCodec()`.
        public var codec: JSONEnvelopeCodec
        /// The time of an entry, in milliseconds since 1970; default the system clock. Tests
        /// inject a fixed one.
        public var now: @Sendable () -> Int64

        /// Makes a configuration; every limit has a documented default.
        public init(
            redactsSecrets: Bool = true,
            maximumQueuedEntries: Int = 65_536,
            codec: JSONEnvelopeCodec = JSONEnvelopeCodec(),
            now: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) }
        ) {
            self.redactsSecrets = redactsSecrets
            self.maximumQueuedEntries = max(1, maximumQueuedEntries)
            self.codec = codec
            self.now = now
        }
    }

    /// What waits for the writer: a message not yet encoded.
    private enum Pending {
        case envelope(Envelope)
        case entry(CTraderTapeEntry.Content)
    }

    private struct Item {
        var time: Int64
        var direction: CTraderTapeDirection
        var connection: Int
        var pending: Pending
    }

    /// The configuration.
    public let configuration: Configuration
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var enqueued = 0
    private var written = 0
    private var dropped = 0
    private var closing = false
    private var finished = false
    private var nextConnection = 1
    private var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var writeError: String?

    /// Creates (or truncates) the file at `path` and starts the writer thread.
    ///
    /// - Throws: `CTraderTapeError` when the file cannot be created.
    public convenience init(path: String, configuration: Configuration = Configuration()) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw CTraderTapeError(line: 0, reason: "cannot create the tape file \(path)")
        }
        self.init(handle: handle, configuration: configuration)
    }

    /// Writes to an open file handle (which the recorder closes in ``close()``) and starts the
    /// writer thread.
    public init(handle: FileHandle, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let thread = Thread { [self] in self.writerLoop(handle) }
        thread.name = "ctrader.tape"
        thread.start()
    }

    /// A new connection number: 1, 2, …, in the order connections open.
    public func makeConnectionID() -> Int {
        condition.lock()
        defer { condition.unlock() }
        defer { nextConnection += 1 }
        return nextConnection
    }

    /// Queues an envelope; returns at once. It is encoded (and redacted) by the writer thread.
    public func record(_ envelope: Envelope, direction: CTraderTapeDirection, connection: Int) {
        enqueue(.envelope(envelope), direction: direction, connection: connection)
    }

    /// Queues a message that is not an envelope (text, binary, undecodable); returns at once.
    public func record(_ content: CTraderTapeEntry.Content, direction: CTraderTapeDirection, connection: Int) {
        enqueue(.entry(content), direction: direction, connection: connection)
    }

    /// The entries dropped because the queue was full.
    public var droppedEntries: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// The last write error, if the file could not be written (later entries are then lost).
    public var lastWriteError: String? {
        condition.lock()
        defer { condition.unlock() }
        return writeError
    }

    /// Returns once every entry queued so far is written to the file.
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !addWaiter(continuation, untilFinished: false) { continuation.resume() }
        }
    }

    /// Queues the continuation of a flush (or, `untilFinished`, of a close: until the file is
    /// closed); `false` when there is nothing to wait for.
    private func addWaiter(_ continuation: CheckedContinuation<Void, Never>, untilFinished: Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if finished || (!untilFinished && written >= enqueued) { return false }
        waiters.append((untilFinished ? Int.max : enqueued, continuation))
        condition.signal()
        return true
    }

    /// Writes what is queued, closes the file and stops the thread; later entries are ignored.
    /// Idempotent.
    public func close() async {
        beginClosing()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !addWaiter(continuation, untilFinished: true) { continuation.resume() }
        }
    }

    private func beginClosing() {
        condition.lock()
        defer { condition.unlock() }
        closing = true
        condition.signal()
    }

    private func enqueue(_ pending: Pending, direction: CTraderTapeDirection, connection: Int) {
        let time = configuration.now()
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return }
        guard queue.count < configuration.maximumQueuedEntries else {
            dropped += 1
            return
        }
        queue.append(Item(time: time, direction: direction, connection: connection, pending: pending))
        enqueued += 1
        condition.signal()
    }

    /// The writer thread: takes everything queued, encodes it, writes it in one go.
    private func writerLoop(_ handle: FileHandle) {
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let ending = closing && batch.isEmpty
            condition.unlock()
            if ending { break }
            var bytes: [UInt8] = []
            for item in batch {
                bytes.append(contentsOf: line(for: item))
                bytes.append(UInt8(ascii: "\n"))
            }
            var failure: String?
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                failure = "\(error)"
            }
            condition.lock()
            written += batch.count
            if let failure { writeError = failure }
            let ready = takeWaiters()
            condition.unlock()
            for continuation in ready { continuation.resume() }
        }
        try? handle.close()
        condition.lock()
        finished = true
        let ready = waiters.map(\.continuation)
        waiters.removeAll()
        condition.unlock()
        for continuation in ready { continuation.resume() }
    }

    /// The waiters whose entries are all written (called with the lock held).
    private func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        var ready: [CheckedContinuation<Void, Never>] = []
        waiters.removeAll { waiter in
            guard waiter.target <= written else { return false }
            ready.append(waiter.continuation)
            return true
        }
        return ready
    }

    private func line(for item: Item) -> [UInt8] {
        let content: CTraderTapeEntry.Content
        switch item.pending {
        case .entry(let given):
            content = given
        case .envelope(let envelope):
            let taped = configuration.redactsSecrets ? CTraderTapeRedaction.redacted(envelope) : envelope
            do {
                content = .envelope(json: try configuration.codec.encode(taped))
            } catch {
                content = .undecodable(reason: "payloadType \(envelope.payloadType.rawValue): \(error)", bytes: [])
            }
        }
        return CTraderTapeEntry(
            time: item.time, direction: item.direction, connection: item.connection, content: content
        )
        .jsonLine
    }
}
