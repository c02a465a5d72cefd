// swift-ctrader: profiles: written by `ctrader profile set`, chosen by --profile and by
// CTRADER_PROFILE, overridden by flags; no secret in the file, in `profile show` or in a trace log;
// parser errors name the line.

import CTrader
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(5))) struct ProfileTests {
    static let clientId = "profile-test-application"
    static let clientSecret = "profile-test-SECRET-5d1f"
    static let accessToken = "profile-test-ACCESS-93ac"
    static let refreshToken = "profile-test-REFRESH-77b0"

    /// A simulator that knows only this suite's application and token (both demo accounts).
    static func startSimulator() async throws -> Simulator {
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        let identity = SimulatorIdentity.demo(
            clientId: clientId, clientSecret: clientSecret, accessToken: accessToken, refreshToken: refreshToken)
        return try await Simulator.start(
            Simulator.Configuration(engine: .init(seed: 11, identity: identity)), logger: logger)
    }

    /// A fresh configuration folder; the environment that points the CLI at it (and at nothing else
    /// of this machine's).
    static func makeConfiguration() throws -> (directory: String, environment: [String: String]) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ctrader-profiles-\(UInt64.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (directory, ["CTRADER_CONFIG": directory + "/config.toml", "CTRADER_PROFILE": ""])
    }

    /// Runs the CLI with `environment` added to this process's.
    static func run(_ arguments: [String], _ environment: [String: String]) async throws -> CTraderBinary.Result {
        await (try RunningCTrader(arguments, environment: environment)).result()
    }

    /// The account the command authorized (the object with `"authorized": true`).
    static func authorizedAccount(_ result: CTraderBinary.Result) throws -> Int64? {
        let objects = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
        return objects.first { $0["authorized"] as? Bool == true }.flatMap {
            ($0["ctidTraderAccountId"] as? NSNumber)?.int64Value
        }
    }

    static func holdsASecret(_ text: String) -> Bool {
        text.contains(clientSecret) || text.contains(accessToken) || text.contains(refreshToken)
    }

    @Test func aProfileIsWrittenChosenByFlagAndByEnvironmentAndOverriddenByAFlag() async throws {
        let simulator = try await Self.startSimulator()
        defer { Task { await simulator.stop() } }
        let (directory, base) = try Self.makeConfiguration()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secrets = ["CTRADER_CLIENT_SECRET": Self.clientSecret, "CTRADER_ACCESS_TOKEN": Self.accessToken]

        let written = try await Self.run(
            [
                "profile", "set", "sim", "endpoint=\(simulator.url)", "client_id=\(Self.clientId)",
                "account=\(SimulatorIdentity.demoNettedAccountId)",
            ], base)
        #expect(written.status == 0, "\(written.stderr)")
        // Another profile, the default, pointing at a port where nothing listens.
        let other = try await Self.run(
            ["profile", "set", "elsewhere", "endpoint=ws://127.0.0.1:9", "client_id=nobody", "--default"], base)
        #expect(other.status == 0, "\(other.stderr)")
        let file = try String(contentsOfFile: directory + "/config.toml", encoding: .utf8)
        #expect(file.contains("[profiles.sim]"))
        #expect(file.contains("client_id = \"\(Self.clientId)\""))
        #expect(file.contains("default = \"elsewhere\""))
        #expect(!Self.holdsASecret(file))

        let list = try await Self.run(["profile", "list"], base)
        #expect(list.stdout.contains("* elsewhere"), "\(list.stdout)")
        #expect(list.stdout.contains("  sim"), "\(list.stdout)")

        let accounts = ["accounts", "--json", "--timeout", "60"]
        // By flag: the profile's endpoint, application and account; secrets from the environment.
        let byFlag = try await Self.run(accounts + ["--profile", "sim"], base.merging(secrets) { $1 })
        #expect(byFlag.status == 0, "\(byFlag.stderr)")
        #expect(try Self.authorizedAccount(byFlag) == SimulatorIdentity.demoNettedAccountId)

        // By environment variable.
        let byEnvironment = try await Self.run(
            accounts, base.merging(secrets) { $1 }.merging(["CTRADER_PROFILE": "sim"]) { $1 })
        #expect(byEnvironment.status == 0, "\(byEnvironment.stderr)")
        #expect(try Self.authorizedAccount(byEnvironment) == SimulatorIdentity.demoNettedAccountId)

        // The flag wins over the environment variable, and a flag over the profile's value.
        let overridden = try await Self.run(
            accounts + ["--profile", "sim", "--account", "\(SimulatorIdentity.demoHedgedAccountId)"],
            base.merging(secrets) { $1 }.merging(["CTRADER_PROFILE": "elsewhere"]) { $1 })
        #expect(overridden.status == 0, "\(overridden.stderr)")
        #expect(try Self.authorizedAccount(overridden) == SimulatorIdentity.demoHedgedAccountId)

        // An environment variable wins over the profile's value.
        let byVariable = try await Self.run(
            accounts + ["--profile", "sim"],
            base.merging(secrets) { $1 }.merging(["CTRADER_ACCOUNT": "\(SimulatorIdentity.demoHedgedAccountId)"]) {
                $1
            })
        #expect(byVariable.status == 0, "\(byVariable.stderr)")
        #expect(try Self.authorizedAccount(byVariable) == SimulatorIdentity.demoHedgedAccountId)

        // The default profile is used when none is named: nothing listens there.
        let byDefault = try await Self.run(["accounts", "--json", "--timeout", "5"], base.merging(secrets) { $1 })
        #expect(byDefault.status != 0)

        // A profile that does not exist is a usage error naming it.
        let missing = try await Self.run(accounts + ["--profile", "nope"], base.merging(secrets) { $1 })
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope"))
    }

    @Test func noSecretInTheFileInProfileShowOrInATraceLog() async throws {
        let simulator = try await Self.startSimulator()
        defer { Task { await simulator.stop() } }
        let (directory, base) = try Self.makeConfiguration()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.toml"

        // `profile set` refuses a secret, and writes nothing.
        for key in ["client_secret", "access_token", "refresh_token"] {
            let refused = try await Self.run(["profile", "set", "sim", "\(key)=\(Self.clientSecret)"], base)
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("secret"))
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        let written = try await Self.run(
            ["profile", "set", "sim", "endpoint=\(simulator.url)", "client_id=\(Self.clientId)", "--default"], base)
        #expect(written.status == 0, "\(written.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(try #require(attributes[.posixPermissions] as? NSNumber).intValue & 0o077 == 0)

        let environment = base.merging([
            "CTRADER_CLIENT_SECRET": Self.clientSecret, "CTRADER_ACCESS_TOKEN": Self.accessToken,
            "CTRADER_REFRESH_TOKEN": Self.refreshToken, "CTRADER_LOG_LEVEL": "trace",
        ]) { $1 }
        for arguments in [["profile", "show"], ["profile", "show", "sim", "--json"], ["profile", "list", "--json"]] {
            let shown = try await Self.run(arguments, environment)
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(!Self.holdsASecret(shown.stdout + shown.stderr), "\(shown.stdout)")
        }
        let show = try await Self.run(["profile", "show"], environment)
        #expect(show.stdout.contains("client_id: \(Self.clientId)"))
        #expect(show.stdout.contains("client secret: CTRADER_CLIENT_SECRET"))

        // A whole session, logged at trace level: the profile is named, no secret is.
        let traced = try await Self.run(["accounts", "--json", "--verbose", "--timeout", "60"], environment)
        #expect(traced.status == 0, "\(traced.stderr)")
        #expect(traced.stderr.contains("connection settings"), "\(traced.stderr)")
        #expect(traced.stderr.contains("sim"))
        #expect(!Self.holdsASecret(traced.stdout + traced.stderr), "\(traced.stderr)")
        #expect(!Self.holdsASecret(try String(contentsOfFile: path, encoding: .utf8)))
    }

    @Test(arguments: [
        ("[profiles.a]\nendpoint = \"demo\"\nclient_secret = \"x\"\n", 3, "secret"),
        ("default = \"a\"\n\n[profiles.a]\ncleint_id = \"x\"\n", 4, "unknown key 'cleint_id'"),
        ("[profiles.a]\naccount = \"123\"\n", 2, "integer"),
        ("[profiles.a]\nendpoint = demo\n", 2, "quoted"),
        ("[profiles.a]\nendpoint = \"demo\n", 2, "closing"),
        ("[profiles.a]\n[profiles.a]\n", 2, "twice"),
        ("# comment\n[servers.a]\n", 2, "only [profiles.NAME]"),
        ("[profiles.a]\nendpoint = \"ftp://x\"\n", 2, "endpoint must be"),
        ("default = \"b\"\n[profiles.a]\n", 1, "not a profile"),
        ("[profiles.a]\naccess_token = \"x\"\n", 2, "secret"),
    ])
    func aParserErrorNamesItsLine(text: String, line: Int, mentions: String) async throws {
        let (directory, base) = try Self.makeConfiguration()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/config.toml"))
        let result = try await Self.run(["profile", "list"], base)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("config.toml:\(line): "), "\(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
        #expect(!result.stderr.contains("\"x\""))
    }

    @Test func setKeepsCommentsAndOtherProfiles() async throws {
        let (directory, base) = try Self.makeConfiguration()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.toml"
        let text = """
            # my profiles
            [profiles.demo]
            endpoint = "demo"   # cTrader's demo server
            account = 1

            [profiles.live]
            endpoint = 'live'

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await Self.run(["profile", "set", "demo", "account=42", "client_id=app", "endpoint="], base)
        #expect(result.status == 0, "\(result.stderr)")
        let changed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            changed == """
                # my profiles
                [profiles.demo]
                account = 42
                client_id = "app"

                [profiles.live]
                endpoint = 'live'

                """)
    }
}
