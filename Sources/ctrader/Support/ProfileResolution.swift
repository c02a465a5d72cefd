import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the configuration file is, reading and writing it, and which profile is chosen.
enum ProfileStore {
    /// The configuration file: `$CTRADER_CONFIG`; else, on macOS,
    /// `~/Library/Application Support/ctrader/config.toml`; elsewhere
    /// `$XDG_CONFIG_HOME/ctrader/config.toml` (when absolute) or `~/.config/ctrader/config.toml`.
    static func configurationPath(environment: [String: String]) -> String {
        if let path = environment["CTRADER_CONFIG"], !path.isEmpty { return expand(path, relativeTo: nil) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        #if os(macOS)
        return home + "/Library/Application Support/ctrader/config.toml"
        #else
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/ctrader/config.toml" }
        return home + "/.config/ctrader/config.toml"
        #endif
    }

    /// `~/…` expanded with `$HOME`; a relative path taken from `directory` (when given).
    static func expand(_ path: String, relativeTo directory: String?) -> String {
        if path == "~" || path.hasPrefix("~/") {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
            return home + path.dropFirst()
        }
        if let directory, !path.hasPrefix("/") { return directory + "/" + path }
        return path
    }

    /// The configuration at `path`; `nil` when there is no such file.
    ///
    /// - Throws: a usage ``CLIError`` for a file that cannot be read or does not parse (its line named).
    static func load(_ path: String) throws -> ProfileConfiguration? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.usage("cannot read the configuration file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError.usage("\(path): not UTF-8 text")
        }
        do {
            return try ProfileConfiguration(parsing: text, path: path)
        } catch let error as ProfileConfigurationError {
            throw CLIError.usage("configuration: \(error)")
        }
    }

    /// Writes `configuration` to `path` atomically: a temporary file in the same folder (mode
    /// 0600), fsynced, then renamed over the old one. Creates the folder (mode 0700) when missing.
    static func save(_ configuration: ProfileConfiguration, to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CLIError.runtime("cannot write \(temporary): errno \(errno)") }
        let bytes = Array(configuration.text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                close(descriptor)
                unlink(temporary)
                throw CLIError.runtime("cannot write \(temporary): errno \(errno)")
            }
            written += count
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CLIError.runtime("cannot save the configuration file \(path): errno \(errno)")
        }
    }

    /// Where the chosen profile's name came from.
    enum Choice: String, Sendable {
        case flag = "--profile"
        case environment = "CTRADER_PROFILE"
        case defaultKey = "the configuration's default key"
        case defaultName = "the profile named default"
    }

    /// The profile chosen: `--profile` (`flag`), else `CTRADER_PROFILE`, else the file's
    /// `default = NAME`, else a profile named `default`; `nil` when none applies.
    ///
    /// - Throws: a usage ``CLIError`` when a profile is named but missing (or the file is).
    static func choose(
        flag: String?, environment: [String: String]
    ) throws -> (profile: Profile, choice: Choice, path: String)? {
        let path = configurationPath(environment: environment)
        let configuration = try load(path)
        var named: (name: String, choice: Choice)?
        if let flag {
            named = (flag, .flag)
        } else if let variable = environment["CTRADER_PROFILE"], !variable.isEmpty {
            named = (variable, .environment)
        }
        if let named {
            let (name, choice) = named
            guard let configuration else {
                throw CLIError.usage(
                    "no profile '\(name)' (from \(choice.rawValue)): there is no configuration file \(path)")
            }
            guard let profile = configuration.profile(name) else {
                let known = configuration.profiles.map(\.name).joined(separator: ", ")
                throw CLIError.usage(
                    "no profile '\(name)' (from \(choice.rawValue)) in \(path); known: \(known.isEmpty ? "none" : known)"
                )
            }
            return (profile, choice, path)
        }
        guard let configuration else { return nil }
        if let name = configuration.defaultProfile, let profile = configuration.profile(name) {
            return (profile, .defaultKey, path)
        }
        return configuration.profile("default").map { ($0, .defaultName, path) }
    }
}

/// The connection settings of a command, each from the first of: its flag, its environment
/// variable, the chosen profile, the built-in default. Resolved once, in ``Session/run(_:announce:interrupted:_:)``
/// (and by any command that needs them: `ctrader login` may fill in ``Flags`` with its own flags
/// and call ``resolve(_:environment:)``; ``ProfileStore`` writes a profile back).
///
/// Secrets (the client secret, the tokens) come from flags and the environment only, or from the
/// token file; never from the configuration file.
struct ConnectionSettings: Sendable {
    /// The chosen profile, when there is one.
    var profile: Profile?
    /// Where it came from.
    var choice: ProfileStore.Choice?
    /// `demo`, `live`, `simulator`, a URL; `nil`: the embedded simulator.
    var endpoint: String?
    var clientId: String?
    var clientSecret: String?
    var accessToken: String?
    var refreshToken: String?
    var tokenFile: String?
    var account: Int64?
    var caFile: String?
    /// Where demo and live accounts live, for commands across environments (`nil`: the defaults).
    var demoEndpoint: String?
    var liveEndpoint: String?
    /// Where each setting came from (setting name → `--flag`, `ENV`, `profile NAME`), for the trace log.
    var sources: [(String, String)] = []

    /// Whether the embedded simulator is meant (no endpoint, or `simulator`).
    var usesEmbeddedSimulator: Bool { endpoint == nil || endpoint?.lowercased() == "simulator" }

    /// The flags a command was given, each `nil` when absent: what ``resolve(_:environment:)``
    /// weighs against the environment and the profile. A command with flags of its own (`ctrader
    /// login`: `--client-id`, `--client-secret`, `--token-file`, …) fills in those it has.
    struct Flags: Sendable {
        var profile: String?
        var endpoint: String?
        var clientId: String?
        var clientSecret: String?
        var accessToken: String?
        var refreshToken: String?
        var tokenFile: String?
        var account: Int64?
        var caFile: String?
        var demoEndpoint: String?
        var liveEndpoint: String?
    }

    /// Resolves `options` with `environment` and the chosen profile.
    ///
    /// - Throws: as ``resolve(_:environment:)``.
    static func resolve(_ options: ConnectionOptions, environment: [String: String]) throws -> Self {
        try resolve(
            Flags(
                profile: options.profile, endpoint: options.endpoint, clientId: options.clientId,
                clientSecret: options.clientSecret, accessToken: options.accessToken,
                refreshToken: options.refreshToken, tokenFile: options.tokenFile, account: options.account,
                caFile: options.caFile),
            environment: environment)
    }

    /// Resolves `flags` with `environment` and the chosen profile: each setting from its flag,
    /// else its environment variable, else the profile.
    ///
    /// The client secret and the tokens come from flags and the environment only (a profile
    /// cannot hold them); a token file's pair is read later, by the client
    /// (`CTraderClient.storedTokens(account:)`).
    ///
    /// - Throws: a usage ``CLIError`` for a configuration file that does not parse, a profile
    ///   named but missing, or an account that is not a number.
    static func resolve(_ flags: Flags, environment: [String: String]) throws -> Self {
        var settings = Self()
        let chosen = try ProfileStore.choose(flag: flags.profile, environment: environment)
        settings.profile = chosen?.profile
        settings.choice = chosen?.choice
        let configurationDirectory = chosen.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().path }
        func pick(
            _ name: String, flag: String?, variable: String?, key: ProfileKey?, path: Bool = false
        ) -> String? {
            if let flag {
                settings.sources.append((name, "flag"))
                return flag
            }
            if let variable, let value = environment[variable], !value.isEmpty {
                settings.sources.append((name, variable))
                return value
            }
            if let key, let profile = chosen?.profile, let value = profile[key] {
                settings.sources.append((name, "profile \(profile.name)"))
                return path ? ProfileStore.expand(value, relativeTo: configurationDirectory) : value
            }
            return nil
        }
        settings.endpoint = pick("endpoint", flag: flags.endpoint, variable: "CTRADER_ENDPOINT", key: .endpoint)
        settings.clientId = pick("client id", flag: flags.clientId, variable: "CTRADER_CLIENT_ID", key: .clientId)
        settings.clientSecret = pick(
            "client secret", flag: flags.clientSecret, variable: "CTRADER_CLIENT_SECRET", key: nil)
        settings.accessToken = pick(
            "access token", flag: flags.accessToken, variable: "CTRADER_ACCESS_TOKEN", key: nil)
        settings.refreshToken = pick(
            "refresh token", flag: flags.refreshToken, variable: "CTRADER_REFRESH_TOKEN", key: nil)
        settings.tokenFile = pick(
            "token file", flag: flags.tokenFile, variable: "CTRADER_TOKEN_FILE", key: .tokenFile, path: true)
        settings.caFile = pick("CA file", flag: flags.caFile, variable: "CTRADER_CA_FILE", key: .caFile, path: true)
        settings.demoEndpoint = pick(
            "demo endpoint", flag: flags.demoEndpoint, variable: "CTRADER_DEMO_ENDPOINT", key: .demoEndpoint)
        settings.liveEndpoint = pick(
            "live endpoint", flag: flags.liveEndpoint, variable: "CTRADER_LIVE_ENDPOINT", key: .liveEndpoint)
        if let text = pick(
            "account", flag: flags.account.map(String.init), variable: "CTRADER_ACCOUNT", key: .account)
        {
            guard let account = Int64(text) else {
                throw CLIError.usage("the account must be a number (a ctidTraderAccountId), not '\(text)'")
            }
            settings.account = account
        }
        return settings
    }

    /// Logs, at trace level, the profile and where each setting came from; never a value that
    /// could be a secret.
    func log(to logger: Logger) {
        let profileText = profile.map { "\($0.name) (from \(choice?.rawValue ?? "?"))" } ?? "none"
        logger.trace(
            "connection settings",
            metadata: [
                "profile": "\(profileText)",
                "endpoint": "\(endpoint ?? "embedded simulator")",
                "sources": "\(sources.map { "\($0.0): \($0.1)" }.joined(separator: ", "))",
            ]
        )
    }
}
