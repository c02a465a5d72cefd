// swift-ctrader: session tapes, a recording of every message of a session as JSON Lines.

public import CTraderMessaging
public import Foundation

/// Which way a taped message went, seen from the side that recorded it: a client's requests are
/// `sent`, the server's answers and events `received`.
public enum CTraderTapeDirection: String, Sendable, Hashable {
    /// Written to the peer.
    case sent
    /// Read from the peer.
    case received
}

/// One line of a tape: when, which way, on which connection, and what.
///
/// On disk each entry is one JSON object on one line, the envelope last and in the cTrader JSON
/// envelope form whatever the wire (protobuf sessions are taped as JSON too):
///
/// ```json
/// {"time":1765090000123,"direction":"sent","connection":1,"envelope":{"clientMsgId":"1","payloadType":2100,"payload":{"clientId":"…","clientSecret":"<redacted>"}}}
/// ```
///
/// A message that is not an envelope (from `ctrader ws`, or one that did not decode) has `text`,
/// `binary` (base64) or `undecodable` (the error, with the message's bytes in base64 as `bytes`)
/// instead of `envelope`.
public struct CTraderTapeEntry: Sendable {
    /// What a tape entry holds.
    public enum Content: Sendable, Equatable {
        /// An envelope, as the UTF-8 JSON of its cTrader envelope form.
        case envelope(json: [UInt8])
        /// A WebSocket text message that is not taped as an envelope.
        case text(String)
        /// A WebSocket binary message.
        case binary([UInt8])
        /// A message that arrived whole but did not decode: the error, and the bytes.
        case undecodable(reason: String, bytes: [UInt8])
    }

    /// The time it was recorded, in milliseconds since 1970 (UTC).
    public var time: Int64
    /// Which way it went.
    public var direction: CTraderTapeDirection
    /// The connection it went over: 1 for the first the recorder saw, 2 for the next (a reconnect).
    public var connection: Int
    /// The message.
    public var content: Content

    /// Makes an entry.
    public init(time: Int64, direction: CTraderTapeDirection, connection: Int, content: Content) {
        self.time = time
        self.direction = direction
        self.connection = connection
        self.content = content
    }

    /// The envelope, decoded with `codec`; `nil` when the entry is not an envelope.
    ///
    /// - Throws: the codec's `MessagingError` when the taped JSON does not decode.
    public func envelope(codec: JSONEnvelopeCodec = JSONEnvelopeCodec()) throws -> Envelope? {
        guard case .envelope(let json) = content else { return nil }
        return try codec.decode(json)
    }

    /// The payloadType of an envelope entry, read from its JSON; `nil` for another entry.
    public var payloadType: PayloadType? {
        guard case .envelope(let json) = content,
            let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let number = object["payloadType"] as? Int
        else { return nil }
        return PayloadType(rawValue: number)
    }

    /// The entry as one line of JSON, without the newline.
    public var jsonLine: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        out.append(
            contentsOf: "{\"time\":\(time),\"direction\":\"\(direction.rawValue)\",\"connection\":\(connection),".utf8)
        switch content {
        case .envelope(let json):
            out.append(contentsOf: "\"envelope\":".utf8)
            out.append(contentsOf: json)
        case .text(let text):
            out.append(contentsOf: "\"text\":".utf8)
            out.append(contentsOf: Self.jsonString(text))
        case .binary(let bytes):
            out.append(contentsOf: "\"binary\":\"\(Data(bytes).base64EncodedString())\"".utf8)
        case .undecodable(let reason, let bytes):
            out.append(contentsOf: "\"undecodable\":".utf8)
            out.append(contentsOf: Self.jsonString(reason))
            out.append(contentsOf: ",\"bytes\":\"\(Data(bytes).base64EncodedString())\"".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Parses one line of a tape.
    ///
    /// - Throws: ``CTraderTapeError`` when the line is not a tape entry.
    public init(jsonLine line: some Collection<UInt8>, lineNumber: Int = 0) throws {
        func bad(_ why: String) -> CTraderTapeError {
            CTraderTapeError(line: lineNumber, reason: why)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        guard let time = (object["time"] as? NSNumber)?.int64Value else { throw bad("no \"time\"") }
        guard let raw = object["direction"] as? String, let direction = CTraderTapeDirection(rawValue: raw) else {
            throw bad("no \"direction\" (sent or received)")
        }
        guard let connection = object["connection"] as? Int else { throw bad("no \"connection\"") }
        let content: Content
        if let envelope = object["envelope"] {
            guard JSONSerialization.isValidJSONObject(envelope),
                let data = try? JSONSerialization.data(withJSONObject: envelope)
            else { throw bad("\"envelope\" is not an object") }
            content = .envelope(json: Array(data))
        } else if let text = object["text"] as? String {
            content = .text(text)
        } else if let base64 = object["binary"] as? String {
            guard let data = Data(base64Encoded: base64) else { throw bad("\"binary\" is not base64") }
            content = .binary(Array(data))
        } else if let reason = object["undecodable"] as? String {
            let bytes = (object["bytes"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
            content = .undecodable(reason: reason, bytes: Array(bytes))
        } else {
            throw bad("no \"envelope\", \"text\", \"binary\" or \"undecodable\"")
        }
        self.init(time: time, direction: direction, connection: connection, content: content)
    }

    /// A JSON string literal, quotes included.
    static func jsonString(_ text: String) -> [UInt8] {
        // A one-element array is always valid JSON; its brackets are dropped.
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data()
        return Array(data.dropFirst().dropLast())
    }
}

/// A tape that does not parse.
public struct CTraderTapeError: Error, Sendable, CustomStringConvertible {
    /// The line (1-based; 0 when unknown).
    public var line: Int
    /// What is wrong.
    public var reason: String

    /// Makes an error.
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    /// `tape line 3: no "time"`.
    public var description: String { line > 0 ? "tape line \(line): \(reason)" : "tape: \(reason)" }
}

/// A whole tape, read into memory: the entries in recorded order.
///
/// ```swift
/// let tape = try CTraderTape(contentsOf: URL(fileURLWithPath: "session.jsonl"))
/// let spots = tape.envelopes(.received).compactMap { $0.message(as: ProtoOASpotEvent.self) }
/// ```
public struct CTraderTape: Sendable {
    /// The entries, in the order they were recorded.
    public var entries: [CTraderTapeEntry]

    /// A tape of these entries.
    public init(entries: [CTraderTapeEntry]) {
        self.entries = entries
    }

    /// Parses JSON Lines; empty lines are skipped.
    ///
    /// - Throws: ``CTraderTapeError`` naming the first line that is not an entry.
    public init(jsonLines bytes: some Collection<UInt8>) throws {
        var entries: [CTraderTapeEntry] = []
        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            entries.append(try CTraderTapeEntry(jsonLine: line, lineNumber: number))
        }
        self.init(entries: entries)
    }

    /// Reads a tape file.
    ///
    /// - Throws: Foundation's error when the file cannot be read, ``CTraderTapeError`` when a line
    ///   is not an entry.
    public init(contentsOf url: URL) throws {
        try self.init(jsonLines: try Data(contentsOf: url))
    }

    /// The decoded envelopes that went `direction` (all of them when `nil`), in order; entries
    /// that are not envelopes, or do not decode, are left out.
    public func envelopes(
        _ direction: CTraderTapeDirection? = nil, codec: JSONEnvelopeCodec = JSONEnvelopeCodec()
    ) -> [Envelope] {
        entries.compactMap { entry in
            guard direction == nil || entry.direction == direction else { return nil }
            return try? entry.envelope(codec: codec)
        }
    }

    /// The recorded span from the first entry to the last, in milliseconds.
    public var durationMilliseconds: Int64 {
        guard let first = entries.first?.time, let last = entries.last?.time else { return 0 }
        return last - first
    }
}
