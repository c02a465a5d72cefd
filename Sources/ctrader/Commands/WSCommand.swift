import ArgumentParser
import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging
import _CTraderLocking

/// `ctrader ws URL`: the official tutorial's first example as a tool.
struct WSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws",
        abstract: "Talk to any WebSocket server: each line of standard input goes as a text message.",
        discussion: """
            Prints each message received as `text: …` or `binary: <hex> (N bytes)`; the connection and its \
            end go to standard error. After the end of standard input the answers still come in until \
            --linger seconds pass without one (or --count messages arrived); then the connection closes \
            (1000). \
            Example: echo '{"payloadType":51}' | ctrader ws wss://demo.ctraderapi.com:5036
            """
    )

    @Argument(help: "A ws:// or wss:// URL.") var url: String
    @Flag(help: "Offer permessage-deflate compression.") var deflate = false
    @Option(name: .customLong("ca-file"), help: "A PEM file of CA certificates to trust for wss://.")
    var caFile: String?
    @Option(help: ArgumentHelp("How long to wait for the TCP, TLS and WebSocket handshakes.", valueName: "seconds"))
    var timeout: Double = 20
    @Option(help: ArgumentHelp("Record every message in a tape (JSON Lines; secrets redacted).", valueName: "file"))
    var record: String?
    @Option(
        help: ArgumentHelp(
            "After the end of input, close once this long passed without a message.", valueName: "seconds"))
    var linger: Double = 1
    @Option(help: "Close once this many messages were received.") var count: Int?

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds, not \(timeout)")
        }
        guard linger >= 0, linger <= 3600 else {
            throw ValidationError("--linger must be 0 to 3600 seconds, not \(linger)")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1, not \(count)") }
        guard url.lowercased().hasPrefix("ws://") || url.lowercased().hasPrefix("wss://") else {
            throw ValidationError("the URL must start with ws:// or wss://, not '\(url)'")
        }
    }

    func run() async throws {
        let recorder = try TapeRecording.open(record)
        let handshake = Duration.milliseconds(Int64(timeout * 1000))
        var webSocket = WebSocketConfiguration(userAgent: CTraderVersion.userAgent)
        webSocket.handshakeTimeout = handshake
        if deflate { webSocket.perMessageDeflateOffer = .perMessageDeflate(PerMessageDeflateClientConfiguration()) }
        var tls = TLSConfiguration.client(handshakeTimeout: handshake)
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw CLIError.usage("cannot read the CA file \(caFile)")
            }
            tls = .client(trustedCAFile: caFile, handshakeTimeout: handshake)
        }
        var logger = Logger(label: "ctrader.ws")
        logger.logLevel = .critical
        let connection: WebSocketConnection
        do {
            connection = try await WebSocketConnection.connect(
                to: url, configuration: webSocket, tls: tls, logger: logger)
        } catch {
            await recorder?.close()
            throw error
        }
        Self.standardError("connected to \(url); extensions: \(connection.negotiatedExtensions ?? "none")")
        let tape = recorder.map { TapeWriter(recorder: $0) }
        let lines = Self.standardInputLines()
        let signals = SignalHandler { Task { await connection.close(code: .goingAway) } }
        // The reader ends once the connection is closed and every message was printed: after
        // the end of input (the writer closes), a server's close, or a signal.
        let received = Locked((count: 0, last: ContinuousClock.now))
        let limit = count
        let reader = Task {
            for await message in connection.messages {
                tape?.record(message, direction: .received)
                Self.standardOutput(Self.describe(message))
                let total = received.withLock { state in
                    state.count += 1
                    state.last = .now
                    return state.count
                }
                if let limit, total >= limit { await connection.close() }
            }
        }
        let quiet = Duration.milliseconds(Int64(linger * 1000))
        let writer = Task {
            for await line in lines {
                do {
                    try await connection.send(text: line)
                } catch {
                    break
                }
                tape?.record(WebSocketMessage(text: line), direction: .sent)
            }
            // The answers to the last lines may still be on their way: wait for a quiet spell.
            received.withLock { $0.last = .now }
            while !Task.isCancelled {
                let due = received.withLock { $0.last }.advanced(by: quiet)
                if ContinuousClock.now >= due { break }
                try? await Task.sleep(until: due, clock: .continuous)
            }
            await connection.close()
        }
        await reader.value
        writer.cancel()
        signals.cancel()
        let status = await connection.waitUntilClosed()
        Self.standardError("closed: \(status)")
        await recorder?.close()
    }

    /// `text: …`, or `binary: 0a1b… (N bytes)`.
    static func describe(_ message: WebSocketMessage) -> String {
        if let text = message.text, message.isText { return "text: \(text)" }
        let hex = message.data.prefix(64).map { String(format: "%02x", $0) }.joined()
        return "binary: \(hex)\(message.data.count > 64 ? "…" : "") (\(message.data.count) bytes)"
    }

    /// Standard input's lines, read by a thread of their own (never a task of the cooperative
    /// pool); the stream ends at the end of input. Unbounded: a line read is never dropped.
    static func standardInputLines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        Thread.detachNewThread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        return stream
    }

    static func standardOutput(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Tapes the messages of `ctrader ws`: one that is a cTrader envelope as an envelope (its
/// secrets redacted), any other as text or binary.
struct TapeWriter: Sendable {
    let recorder: CTraderTapeRecorder
    let codec = JSONEnvelopeCodec()

    func record(_ message: WebSocketMessage, direction: CTraderTapeDirection) {
        guard message.isText else {
            recorder.record(.binary(message.data), direction: direction, connection: 1)
            return
        }
        if let envelope = try? codec.decode(message.data) {
            recorder.record(envelope, direction: direction, connection: 1)
        } else {
            recorder.record(.text(message.text ?? ""), direction: direction, connection: 1)
        }
    }
}
