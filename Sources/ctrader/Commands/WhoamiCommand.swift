import ArgumentParser
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader whoami`: the application, the token's expiry, scope and accounts; never a token.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show the application, when the saved access token expires, its scope and its accounts.",
        discussion: """
            Reads the token file's newest pair (its expiry: the file's last write plus the pair's \
            expiresIn) and asks the endpoint what the token reaches. Never prints a token or the secret. \
            With --offline, only what the file says.
            """
    )

    @OptionGroup var application: ApplicationOptions

    @Flag(help: "Do not connect: only the application, the token file and the expiry.")
    var offline = false

    func run() async throws {
        let path = try application.tokenFilePath()
        let store = CTraderFileTokenStore(path: path)
        let pair: CTraderTokenPair
        do {
            guard let newest = try await store.newestPair(account: nil) else {
                throw CLIError(
                    message: "not logged in: no token file at \(path) (ctrader login)",
                    exitCode: ExitStatus.authentication)
            }
            pair = newest
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.usage("cannot use the token file: \(ExitStatus.describe(error).message)")
        }
        let written = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
        let expiresAt = written.addingTimeInterval(TimeInterval(pair.expiresIn))
        let expired = expiresAt <= Date()
        var reach: TokenReach?
        if !offline {
            do {
                reach = TokenReach(
                    try await application.accountList(
                        accessToken: pair.accessToken.value, credentials: try application.credentials()))
            } catch let error as CTraderError where error.refusedTheAccessToken {
                throw CLIError(
                    message: "the saved access token is refused (expired or revoked): run ctrader login",
                    exitCode: ExitStatus.authentication)
            }
        }
        let clientId = application.resolvedClientId
        if application.json {
            var object: [String: Any] = [
                "tokenFile": path, "expiresAt": LoginCommand.dateText(expiresAt), "expired": expired,
            ]
            if let clientId { object["clientId"] = clientId }
            if let reach {
                object["scope"] = reach.scope
                object["accounts"] = TokenAccounts.objects(reach.accounts)
            }
            Output(json: true).emit(object)
        } else {
            let terminal = Terminal.current
            terminal.line("application: \(clientId ?? "(no --client-id)")")
            terminal.line("token file: \(path)")
            terminal.line("access token \(expired ? "expired" : "expires") \(LoginCommand.dateText(expiresAt))")
            if let reach {
                terminal.line("scope: \(reach.scope)")
                terminal.line("accounts:")
                for line in TokenAccounts.lines(reach.accounts) { terminal.line(line) }
            }
        }
    }
}
