import ArgumentParser
import Foundation

/// `ctrader profile list|show|set`: the profiles of the configuration file, without an editor.
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "List, show and write the profiles of the configuration file.",
        discussion: """
            The file: $CTRADER_CONFIG, else $XDG_CONFIG_HOME/ctrader/config.toml or \
            ~/.config/ctrader/config.toml (macOS: ~/Library/Application Support/ctrader/config.toml). \
            A profile holds: \(ProfileKey.written). Secrets never go in it: the client secret comes \
            from --client-secret or $CTRADER_CLIENT_SECRET, the tokens from the token file.
            """,
        subcommands: [ProfileList.self, ProfileShow.self, ProfileSet.self]
    )
}

/// `ctrader profile list`
struct ProfileList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the profiles.")
    @Flag(help: "One JSON document.") var json = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let path = ProfileStore.configurationPath(environment: environment)
        let configuration = try ProfileStore.load(path) ?? ProfileConfiguration()
        let chosen = try? ProfileStore.choose(flag: nil, environment: environment)
        let terminal = Terminal.current
        let objects: [[String: Any]] = configuration.profiles.map { profile in
            [
                "name": profile.name,
                "endpoint": profile[.endpoint] ?? "",
                "account": profile.account.map { "\($0)" } ?? "",
                "chosen": chosen?.profile.name == profile.name,
            ]
        }
        if json {
            terminal.line(Output.encode(["path": path, "profiles": objects]))
        } else if objects.isEmpty {
            terminal.line("No profiles in \(path) (ctrader profile set NAME endpoint=demo client_id=…).")
        } else {
            for profile in configuration.profiles {
                let mark = chosen?.profile.name == profile.name ? "*" : " "
                let endpoint = profile[.endpoint].map { " endpoint=\($0)" } ?? ""
                let account = profile.account.map { " account=\($0)" } ?? ""
                terminal.line("\(mark) \(profile.name)\(endpoint)\(account)")
            }
        }
    }
}

/// `ctrader profile show [NAME]`
struct ProfileShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a profile: NAME, else the one chosen ($CTRADER_PROFILE, else the file's default).",
        discussion: "Never prints a secret: only where the client secret would come from."
    )
    @Argument(help: "The profile.") var name: String?
    @Flag(help: "One JSON document.") var json = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let chosen = try ProfileStore.choose(flag: name, environment: environment) else {
            throw CLIError.usage(
                "no profile chosen: name one, set CTRADER_PROFILE, or add default = \"NAME\" to "
                    + ProfileStore.configurationPath(environment: environment))
        }
        let (profile, choice, path) = chosen
        var object: [String: Any] = ["name": profile.name, "path": path, "chosenBy": choice.rawValue]
        for key in ProfileKey.allCases {
            if let value = profile[key] { object[key.rawValue] = key == .account ? (profile.account ?? 0) : value }
        }
        // Only where the secret would come from, never the secret.
        let secretSource =
            environment["CTRADER_CLIENT_SECRET"].map { $0.isEmpty ? "not set" : "CTRADER_CLIENT_SECRET" }
            ?? "not set (use --client-secret or CTRADER_CLIENT_SECRET)"
        object["clientSecret"] = secretSource
        let terminal = Terminal.current
        if json {
            terminal.line(Output.encode(object))
            return
        }
        terminal.line("profile: \(profile.name) (chosen by \(choice.rawValue))")
        terminal.line("file: \(path)")
        for key in ProfileKey.allCases {
            if let value = profile[key] { terminal.line("\(key.rawValue): \(value)") }
        }
        terminal.line("client secret: \(secretSource)")
    }
}

/// `ctrader profile set NAME key=value…`
struct ProfileSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Create or change a profile: key=value sets, key= removes; the file is replaced atomically.",
        discussion: "Keys: \(ProfileKey.written). Example: ctrader profile set demo endpoint=demo client_id=1234_abc"
    )
    @Argument(help: "The profile.") var name: String
    @Argument(help: "key=value pairs.") var assignments: [String] = []
    @Flag(name: .customLong("default"), help: "Also make it the default profile.") var makeDefault = false

    func run() async throws {
        var parsed: [(ProfileKey, String?)] = []
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw CLIError.usage("'\(assignment)' is not key=value")
            }
            let key = String(assignment[..<equals])
            let value = String(assignment[assignment.index(after: equals)...])
            if ProfileKey.isSecret(key) {
                throw CLIError.usage(
                    "'\(key)' is a secret: secrets never go in the configuration file; they live in the token "
                        + "file (ctrader login), or come from CTRADER_CLIENT_SECRET or --client-secret")
            }
            guard let profileKey = ProfileKey(rawValue: key) else {
                throw CLIError.usage("unknown key '\(key)' (known: \(ProfileKey.written))")
            }
            parsed.append((profileKey, value.isEmpty ? nil : value))
        }
        guard !parsed.isEmpty || makeDefault else {
            throw CLIError.usage("nothing to set: give key=value pairs or --default")
        }
        let path = ProfileStore.configurationPath(environment: ProcessInfo.processInfo.environment)
        let current = try ProfileStore.load(path) ?? ProfileConfiguration()
        let changed: ProfileConfiguration
        do {
            changed = try current.setting(parsed, in: name, makeDefault: makeDefault)
        } catch let error as ProfileConfigurationError {
            throw CLIError.usage(error.reason)
        }
        try ProfileStore.save(changed, to: path)
        Terminal.current.line("Saved the profile \(name) in \(path).")
    }
}
