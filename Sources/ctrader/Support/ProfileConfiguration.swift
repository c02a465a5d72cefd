import Foundation

/// A key of a profile in the configuration file. Secrets are none of them: they live only in
/// the token file, the environment or the command line.
enum ProfileKey: String, CaseIterable, Sendable {
    /// `demo`, `live`, `simulator` (the embedded one), or a `ws://`, `wss://`, `tcp://`, `tls://` URL.
    case endpoint
    /// The application's client id (not secret; its secret is).
    case clientId = "client_id"
    /// The token file (`~/` and paths relative to the configuration file's folder allowed).
    case tokenFile = "token_file"
    /// The default trading account (`ctidTraderAccountId`), an integer.
    case account
    /// Where the demo accounts live (default `demo`): for `ctrader accounts` across environments.
    case demoEndpoint = "demo_endpoint"
    /// Where the live accounts live (default `live`).
    case liveEndpoint = "live_endpoint"
    /// A PEM file of CA certificates to trust.
    case caFile = "ca_file"

    /// The keys as they are written, for messages.
    static let written = allCases.map(\.rawValue).joined(separator: ", ")

    /// Whether a key names a secret, which the configuration file never holds.
    static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return ["client_secret", "access_token", "refresh_token", "secret", "password", "token"].contains(key)
            || key.contains("secret") || key.contains("password") || key.hasSuffix("_token")
    }
}

/// A named profile: where to connect, as whom, and which account by default.
struct Profile: Equatable, Sendable {
    /// The profile's name (`[profiles.NAME]`).
    var name: String
    /// The values set, by key; the account is kept as its text (checked to be an integer).
    var values: [ProfileKey: String] = [:]

    subscript(key: ProfileKey) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// ``ProfileKey/account`` as a number.
    var account: Int64? { values[.account].flatMap { Int64($0) } }
}

/// An error in the configuration file, naming the file and the line.
struct ProfileConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file (or `<input>`).
    var path: String
    /// The line, from 1; 0 when the error is about the whole file.
    var line: Int
    /// What is wrong.
    var reason: String

    var description: String { line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)" }
}

/// The configuration file: a small strict subset of TOML that people edit by hand.
///
/// ```toml
/// default = "demo"            # the profile used when none is named
///
/// [profiles.demo]
/// endpoint = "demo"
/// client_id = "1234_abcd"
/// token_file = "~/.config/ctrader/tokens.json"
/// account = 12345678
/// ```
///
/// Only the top-level `default` key and `[profiles.NAME]` tables (NAME: letters, digits, `-`,
/// `_`) are allowed; values are basic (`"…"`, with `\"`, `\\`, `\n`, `\t`, `\uXXXX`) or literal
/// (`'…'`) strings, and integers for `account`. Comments start with `#`. Anything else (an
/// unknown key, a duplicate, a secret such as `client_secret`) is an error naming its line.
/// The text is kept, so that ``setting(_:in:makeDefault:)`` changes only the lines it must.
struct ProfileConfiguration: Equatable, Sendable {
    /// The profiles, in file order.
    private(set) var profiles: [Profile] = []
    /// The top-level `default` key.
    private(set) var defaultProfile: String?
    /// The text's lines, without their line ends.
    private(set) var lines: [String] = []
    /// Where each profile's header and keys are (indexes into ``lines``).
    private var positions: [String: (header: Int, keys: [ProfileKey: Int], last: Int)] = [:]
    private var defaultLine: Int?

    static func == (a: Self, b: Self) -> Bool { a.lines == b.lines }

    /// The profile named `name`.
    func profile(_ name: String) -> Profile? { profiles.first { $0.name == name } }

    /// An empty configuration.
    init() {}

    /// Parses `text`; `path` names the file in errors.
    ///
    /// - Throws: ``ProfileConfigurationError`` for the first line that is wrong.
    init(parsing text: String, path: String = "<input>") throws {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        var current: String?
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            func fail(_ reason: String) -> ProfileConfigurationError {
                ProfileConfigurationError(path: path, line: number, reason: reason)
            }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                let name = try Self.header(line, fail: fail)
                guard positions[name] == nil else { throw fail("the profile '\(name)' is defined twice") }
                profiles.append(Profile(name: name))
                positions[name] = (index, [:], index)
                current = name
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected key = value, a [profiles.NAME] header or a # comment")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = try Self.value(line[line.index(after: equals)...], fail: fail)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw fail("'\(key)' is not a key (letters, digits, _ and -)")
            }
            if ProfileKey.isSecret(key) {
                throw fail(
                    "'\(key)' is a secret: secrets never go in the configuration file; they live in the "
                        + "token file (ctrader login), or come from the environment (CTRADER_CLIENT_SECRET) or a flag")
            }
            guard let name = current else {
                guard key == "default" else {
                    throw fail("unknown top-level key '\(key)' (only: default); profile keys go under [profiles.NAME]")
                }
                guard defaultLine == nil else { throw fail("'default' is set twice") }
                guard case .string(let text) = value else { throw fail("default must be a string: a profile name") }
                defaultProfile = text
                defaultLine = index
                continue
            }
            guard let profileKey = ProfileKey(rawValue: key) else {
                throw fail("unknown key '\(key)' (known: \(ProfileKey.written))")
            }
            guard positions[name]?.keys[profileKey] == nil else { throw fail("'\(key)' is set twice in '\(name)'") }
            let text = try Self.check(profileKey, value, fail: fail)
            profiles[profiles.count - 1][profileKey] = text
            positions[name]?.keys[profileKey] = index
            positions[name]?.last = index
        }
        if let defaultProfile, positions[defaultProfile] == nil, let defaultLine {
            throw ProfileConfigurationError(
                path: path, line: defaultLine + 1, reason: "default names '\(defaultProfile)', which is not a profile")
        }
    }

    /// The text, to write back.
    var text: String { lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n" }

    /// A copy with `assignments` made in the profile `name` (created at the end when missing; a
    /// `nil` value removes the key), and `default` set to it with `makeDefault`. Other lines,
    /// comments included, are kept.
    ///
    /// - Throws: ``ProfileConfigurationError`` (line 0) for a value that is not valid.
    func setting(_ assignments: [(ProfileKey, String?)], in name: String, makeDefault: Bool) throws -> Self {
        guard Self.isName(name) else {
            throw ProfileConfigurationError(
                path: "profile", line: 0, reason: "'\(name)' is not a profile name (letters, digits, _ and -)")
        }
        var lines = self.lines
        if positions[name] == nil {
            if let last = lines.last, !last.trimmingCharacters(in: .whitespaces).isEmpty { lines.append("") }
            lines.append("[profiles.\(name)]")
        }
        var edited = try Self(parsing: lines.joined(separator: "\n"), path: "profile")
        for (key, value) in assignments {
            guard let position = edited.positions[name] else { break }
            if let value {
                let parsed: Value = key == .account ? .integer(value) : .string(value)
                _ = try Self.check(
                    key, parsed, fail: { ProfileConfigurationError(path: "profile", line: 0, reason: $0) })
                let line = "\(key.rawValue) = " + (key == .account ? value : Self.quoted(value))
                if let existing = position.keys[key] {
                    lines[existing] = line
                } else {
                    lines.insert(line, at: position.last + 1)
                }
            } else if let existing = position.keys[key] {
                lines.remove(at: existing)
            }
            edited = try Self(parsing: lines.joined(separator: "\n"), path: "profile")
        }
        if makeDefault {
            let line = "default = \(Self.quoted(name))"
            if let index = edited.defaultLine {
                lines[index] = line
            } else {
                lines.insert(contentsOf: [line, ""], at: 0)
            }
        }
        return try Self(parsing: lines.joined(separator: "\n"), path: "profile")
    }

    // MARK: - Lexing

    private enum Value {
        case string(String)
        case integer(String)
    }

    private static func isName(_ name: Substring) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    private static func isName(_ name: String) -> Bool { isName(Substring(name)) }

    /// `[profiles.NAME]`, with an optional comment.
    private static func header(
        _ line: String, fail: (String) -> ProfileConfigurationError
    ) throws -> String {
        guard let close = line.firstIndex(of: "]") else { throw fail("a table header must end with ]") }
        let rest = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
        guard rest.isEmpty || rest.hasPrefix("#") else { throw fail("unexpected text after the table header") }
        let inside = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
        guard inside.hasPrefix("profiles.") else {
            throw fail("unknown table [\(inside)]: only [profiles.NAME] tables are allowed")
        }
        let name = inside.dropFirst("profiles.".count)
        guard isName(name) else { throw fail("'\(name)' is not a profile name (letters, digits, _ and -)") }
        return String(name)
    }

    /// A string or integer value, then an optional comment.
    private static func value(
        _ text: Substring, fail: (String) -> ProfileConfigurationError
    ) throws -> Value {
        let text = text.drop { $0 == " " || $0 == "\t" }
        var result = ""
        let rest: Substring
        if text.hasPrefix("\"") {
            var index = text.index(after: text.startIndex)
            var closed = false
            while index < text.endIndex {
                let character = text[index]
                index = text.index(after: index)
                if character == "\"" {
                    closed = true
                    break
                }
                guard character == "\\" else {
                    guard !character.isASCII || character.asciiValue! >= 0x20 || character == "\t" else {
                        throw fail("a control character in a string")
                    }
                    result.append(character)
                    continue
                }
                guard index < text.endIndex else { break }
                let escape = text[index]
                index = text.index(after: index)
                switch escape {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "u":
                    let end = text.index(index, offsetBy: 4, limitedBy: text.endIndex) ?? text.endIndex
                    guard let scalar = UInt32(text[index..<end], radix: 16).flatMap({ Unicode.Scalar($0) }),
                        text.distance(from: index, to: end) == 4
                    else { throw fail("\\u must be followed by four hexadecimal digits") }
                    result.unicodeScalars.append(scalar)
                    index = end
                default: throw fail("unknown escape \\\(escape) in a string")
                }
            }
            guard closed else { throw fail("a string without its closing \"") }
            rest = text[index...]
        } else if text.hasPrefix("'") {
            let body = text.dropFirst()
            guard let close = body.firstIndex(of: "'") else { throw fail("a string without its closing '") }
            result = String(body[..<close])
            rest = body[body.index(after: close)...]
        } else {
            let end = text.firstIndex { $0 == " " || $0 == "\t" || $0 == "#" } ?? text.endIndex
            let word = text[..<end]
            guard !word.isEmpty else { throw fail("a value is missing after =") }
            let digits = word.hasPrefix("-") || word.hasPrefix("+") ? word.dropFirst() : word
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
                throw fail("'\(word)' is neither a quoted string nor an integer (strings need quotes)")
            }
            let trailing = text[end...].trimmingCharacters(in: .whitespaces)
            guard trailing.isEmpty || trailing.hasPrefix("#") else { throw fail("unexpected text after the value") }
            return .integer(String(word))
        }
        let trailing = rest.trimmingCharacters(in: .whitespaces)
        guard trailing.isEmpty || trailing.hasPrefix("#") else { throw fail("unexpected text after the value") }
        return .string(result)
    }

    /// The value as text, checked for its key.
    private static func check(
        _ key: ProfileKey, _ value: Value, fail: (String) -> ProfileConfigurationError
    ) throws -> String {
        switch (key, value) {
        case (.account, .integer(let text)):
            guard let number = Int64(text), number > 0 else {
                throw fail("account must be a positive integer (a ctidTraderAccountId), not \(text)")
            }
            return String(number)
        case (.account, .string(let text)):
            throw fail("account must be an integer without quotes, not \"\(text)\"")
        case (_, .integer(let text)):
            throw fail("\(key.rawValue) must be a quoted string, not \(text)")
        case (.endpoint, .string(let text)), (.demoEndpoint, .string(let text)), (.liveEndpoint, .string(let text)):
            let known = ["demo", "live", "simulator"]
            guard
                known.contains(text.lowercased())
                    || ["ws", "wss", "tcp", "tls"].contains(where: {
                        text.lowercased().hasPrefix($0 + "://")
                    })
            else {
                throw fail(
                    "\(key.rawValue) must be demo, live, simulator or a ws://, wss://, tcp:// or tls:// URL, not '\(text)'"
                )
            }
            return text
        case (_, .string(let text)):
            guard !text.isEmpty else { throw fail("\(key.rawValue) must not be empty") }
            return text
        }
    }

    /// A basic string as written.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += String(format: "\\u%04X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
