import ArgumentParser
import CTraderFraming
import CTraderWebSocket
import Logging

/// `ws-echo-client URL AGENT [--offer EXTENSIONS]`: drives an Autobahn fuzzingserver.
///
/// Reads the case count from `URL/getCaseCount`, runs every case at
/// `URL/runCase?case=N&agent=AGENT` (echoing each text and binary message back unchanged until
/// the server closes), then asks for `URL/updateReports?agent=AGENT`. A case whose connection
/// fails is logged and the run goes on; the exit status is 0 once every case ran.
@main
struct WSEchoClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-echo-client",
        abstract: "Echo client for the Autobahn WebSocket fuzzingserver."
    )

    @Argument(help: "The fuzzingserver's base URL, e.g. ws://127.0.0.1:9001")
    var url: String

    @Argument(help: "The agent name the reports are filed under.")
    var agent: String

    @Option(help: "A raw Sec-WebSocket-Extensions offer, e.g. \"permessage-deflate; client_max_window_bits\".")
    var offer: String?

    @Flag(help: "Log every connection at debug level.")
    var verbose = false

    func run() async throws {
        var logger = Logger(label: "ws-echo-client")
        logger.logLevel = verbose ? .debug : .warning
        var configuration = WebSocketConfiguration(
            // Autobahn's largest cases: 16 MiB messages (case 9.x), 4 MiB in 64-byte frames.
            maxFrameSize: 64 << 20,
            maxMessageSize: 64 << 20,
            maxFragmentCount: 1 << 22,
            handshakeTimeout: .seconds(30),
            closeTimeout: .seconds(10)
        )
        if let offer { configuration.perMessageDeflateOffer = .raw(offer) }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let agentQuery = Self.percentEncoded(agent)

        let countConnection = try await WebSocketConnection.connect(
            to: base + "/getCaseCount", configuration: configuration, logger: logger)
        var countText: String?
        for await message in countConnection.messages where countText == nil {
            countText = message.text
        }
        await countConnection.close()
        guard let countText, let count = Int(countText) else {
            throw ValidationError("getCaseCount did not answer with a number (got \(countText ?? "nothing"))")
        }
        print("\(count) cases")

        var failed = 0
        for number in 1...max(count, 1) where count > 0 {
            let target = "\(base)/runCase?case=\(number)&agent=\(agentQuery)"
            do {
                let status = try await echo(target, configuration: configuration, logger: logger)
                print("case \(number): closed \(status)")
            } catch {
                failed += 1
                print("case \(number): connection failed: \(error)")
            }
        }

        let reports = try await WebSocketConnection.connect(
            to: "\(base)/updateReports?agent=\(agentQuery)", configuration: configuration, logger: logger)
        for await _ in reports.messages {}
        _ = await reports.waitUntilClosed()
        print("reports updated; \(count) cases ran, \(failed) connections failed")
    }

    /// Echoes every message of one case until the server closes.
    private func echo(
        _ target: String, configuration: WebSocketConfiguration, logger: Logger
    ) async throws -> WebSocketCloseStatus {
        let connection = try await WebSocketConnection.connect(to: target, configuration: configuration, logger: logger)
        for await message in connection.messages {
            do {
                try await connection.send(message.data, opcode: message.opcode)
            } catch {
                // Closing or closed: keep draining until the sequence ends.
                logger.debug("echo failed", metadata: ["error": "\(error)"])
            }
        }
        return await connection.waitUntilClosed()
    }

    /// `text` with everything but unreserved characters (RFC 3986 §2.3) percent-encoded.
    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.append(Character(UnicodeScalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
