import ArgumentParser
import CTraderAuth
import CTraderMessaging
import CTraderSession
import Foundation

/// `--scope`.
enum ScopeOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case accounts
    case trading

    var scope: CTraderOAuthScope { self == .accounts ? .accounts : .trading }
}

/// `ctrader login`: the OAuth code flow, from the browser to the token file.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in with cTrader (OAuth): get a token pair in a browser and save it in the token file.",
        discussion: """
            Listens on the redirect URI (http:// on 127.0.0.1: register it with the application first), \
            prints the authorization URL and opens it in a browser, waits for the redirect (its state must \
            match), exchanges the code (it lives about a minute) over HTTPS, saves the pair in the token \
            file (mode 0600, atomic), and lists the accounts the token reaches, demo and live. With --code, \
            exchanges a code obtained elsewhere (e.g. a headless machine). Exit codes besides the usual: \
            10 wrong client id or secret, 11 redirect URI mismatch, 12 code expired or used, 13 access \
            denied, 14 state mismatch.
            """
    )

    @OptionGroup var application: ApplicationOptions

    @Option(help: "The scope to ask for: accounts (read) or trading (read and trade).")
    var scope: ScopeOption = .trading

    @Option(
        help: ArgumentHelp(
            "The redirect URI, as registered with the application; port 0 picks a free port (simulator).",
            valueName: "URI"))
    var redirectURI: String = CTraderOAuthConfiguration.defaultRedirectURI

    @Option(help: ArgumentHelp("The authorization page (the simulator's: see ctrader simulator).", valueName: "URL"))
    var authURL: String = CTraderOAuthConfiguration.cTraderAuthorizationURL

    @Option(help: ArgumentHelp("The token endpoint (the simulator's: see ctrader simulator).", valueName: "URL"))
    var tokenURL: String = CTraderOAuthConfiguration.cTraderTokenURL

    @Flag(help: "Only print the authorization URL; do not open a browser.")
    var noBrowser = false

    @Option(
        help: ArgumentHelp("Exchange this authorization code instead of waiting for the browser.", valueName: "code"))
    var code: String?

    @Option(help: ArgumentHelp("How long to wait for the browser's redirect.", valueName: "seconds"))
    var wait: Double = 300

    @Flag(help: "Do not list the token's accounts after saving it.")
    var noAccounts = false

    func validate() throws {
        guard wait > 0, wait <= 3600 else {
            throw ValidationError("--wait must be more than 0 and at most 3600 seconds")
        }
    }

    func run() async throws {
        let credentials = try application.credentials()
        let path = try application.tokenFilePath()
        let store = try TokenFileStore(checking: path).file
        let logger = application.logger
        let client = CTraderOAuthClient(
            configuration: CTraderOAuthConfiguration(
                credentials: credentials, redirectURI: redirectURI, authorizationURL: authURL, tokenURL: tokenURL,
                http: CTraderHTTPClient.Configuration(tls: try application.tls(), timeout: application.timeoutDuration)),
            logger: logger)
        let tokens: CTraderOAuthTokens
        if let code {
            tokens = try await client.exchange(code: code)
            await Self.testHookBeforeSave()
            try await store.save(tokens.pair)
        } else {
            let noBrowser = noBrowser
            tokens = try await CTraderLogin.run(
                client: client, scope: scope.scope, store: store, timeout: .milliseconds(Int64(wait * 1000)),
                logger: logger,
                present: { url in
                    let opened = !noBrowser && openInBrowser(url)
                    let text =
                        (opened
                            ? "ctrader: a browser was opened to grant access; if not, open:\n\(url)\n"
                            : "ctrader: open this URL in a browser to grant access:\n\(url)\n")
                        + "ctrader: waiting for the browser's redirect\n"
                    FileHandle.standardError.write(Data(text.utf8))
                },
                beforeSave: { await Self.testHookBeforeSave() })
        }
        let expires = Self.dateText(tokens.expiresAt)
        var accounts: TokenReach?
        var listFailure: (any Error)?
        if !noAccounts {
            do {
                let list = try await application.accountList(
                    accessToken: tokens.pair.accessToken.value, credentials: credentials)
                accounts = TokenReach(list)
            } catch {
                listFailure = error
            }
        }
        if application.json {
            var object: [String: Any] = [
                "clientId": credentials.clientId, "tokenFile": path, "expiresAt": expires,
                "expiresIn": tokens.pair.expiresIn,
            ]
            if let accounts {
                object["scope"] = accounts.scope
                object["accounts"] = TokenAccounts.objects(accounts.accounts)
            }
            Output(json: true).emit(object)
        } else {
            let terminal = Terminal.current
            terminal.line("logged in: the tokens are saved in \(path) (the access token expires \(expires))")
            if let accounts {
                terminal.line("scope: \(accounts.scope)")
                terminal.line("accounts:")
                for line in TokenAccounts.lines(accounts.accounts) { terminal.line(line) }
            }
        }
        if let listFailure {
            let (code, message) = ExitStatus.describe(listFailure)
            throw CLIError(
                message: "the tokens are saved, but the accounts could not be listed: \(message)", exitCode: code)
        }
    }

    /// `CTRADER_TEST_HOLD_BEFORE_TOKEN_SAVE=1` (tests only): after the exchange, says so on
    /// standard error and waits forever, so that a test can kill the process between the exchange
    /// and the save.
    static func testHookBeforeSave() async {
        guard ProcessInfo.processInfo.environment["CTRADER_TEST_HOLD_BEFORE_TOKEN_SAVE"] == "1" else { return }
        FileHandle.standardError.write(Data("ctrader: test hook: holding before saving the tokens\n".utf8))
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
    }

    /// `2026-01-06T10:00:00Z`.
    static func dateText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// The scope and the accounts of `ProtoOAGetAccountListByAccessTokenRes`, without its token.
struct TokenReach {
    var scope: String
    var accounts: [ProtoOACtidTraderAccount]

    init(_ res: ProtoOAGetAccountListByAccessTokenRes) {
        scope = TokenAccounts.scopeName(res.permissionScope)
        accounts = res.ctidTraderAccount
    }
}
