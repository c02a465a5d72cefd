// swift-ctrader: tests of the message layer.

import CTraderTestSupport
import Foundation

/// The `.proto` files of the catalogue, read at test time by a small parser of their own (not the
/// generator's), so that the generated catalogue facts are checked against the source.
struct ProtoFiles {
    /// A field of a message: `required int64 ctidTraderAccountId = 2;`.
    struct Field {
        var label: String
        var type: String
        var name: String
    }

    /// A top-level message with its fields and the comment right before it.
    struct Message {
        var name: String
        var comment: String
        var fields: [Field]

        func field(_ name: String) -> Field? { fields.first { $0.name == name } }
    }

    /// A value of an enum: `ALREADY_LOGGED_IN = 14; // comment`.
    struct EnumValue {
        var name: String
        var number: Int
    }

    var messages: [Message] = []
    var enums: [String: [EnumValue]] = [:]

    /// The messages that have a `payloadType` field (the ones that travel in an envelope).
    var payloadMessages: [Message] { messages.filter { $0.field("payloadType") != nil } }

    /// Parses every `Protos/*.proto` of the package.
    static func load() throws -> ProtoFiles {
        let folder = TestPeers.packageRoot.appendingPathComponent("Protos")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".proto") }.sorted()
        var files = ProtoFiles()
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            files.parse(text)
        }
        return files
    }

    /// A line-by-line reading: the files declare one top-level message or enum per block, closed
    /// by a `}` in the first column, with a `/** … */` or `//` comment above it.
    private mutating func parse(_ text: String) {
        var comment: [String] = []
        var inBlockComment = false
        var message: Message?
        var enumName: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if message == nil && enumName == nil {
                if inBlockComment || line.hasPrefix("/*") {
                    if line.hasPrefix("/*") { comment = [] }
                    comment.append(line)
                    inBlockComment = !line.hasSuffix("*/")
                    continue
                }
                if line.hasPrefix("//") {
                    comment.append(line)
                    continue
                }
                let words = line.split(whereSeparator: { $0 == " " || $0 == "{" }).map(String.init)
                if words.first == "message", words.count >= 2 {
                    message = Message(name: words[1], comment: comment.joined(separator: " "), fields: [])
                } else if words.first == "enum", words.count >= 2 {
                    enumName = words[1]
                    enums[words[1]] = []
                }
                if !line.isEmpty { comment = [] }
                continue
            }
            if raw.hasPrefix("}") {
                if let message { messages.append(message) }
                message = nil
                enumName = nil
                continue
            }
            let code = line.components(separatedBy: "//")[0]
            let words = code.split(whereSeparator: { " =;[".contains($0) }).map(String.init)
            if message != nil, words.count >= 4, ["required", "optional", "repeated"].contains(words[0]) {
                message?.fields.append(Field(label: words[0], type: words[1], name: words[2]))
            } else if let enumName, words.count >= 2, let number = Int(words[1]) {
                enums[enumName, default: []].append(EnumValue(name: words[0], number: number))
            }
        }
    }
}
