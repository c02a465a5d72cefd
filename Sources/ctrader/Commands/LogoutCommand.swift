import ArgumentParser
import CTraderSession
import Foundation

/// `ctrader logout`: forgets the tokens (deletes the token file).
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Forget the tokens: delete the token file.",
        discussion: """
            Deletes the token file (--token-file or $CTRADER_TOKEN_FILE) after checking that it is one; \
            a file that is not a token file is left alone. The tokens stay valid at cTrader until they \
            expire: revoke the application's access in your cTrader ID settings to end them at once.
            """
    )

    @Option(
        help: ArgumentHelp("The token file (default: $CTRADER_TOKEN_FILE).", valueName: "path"))
    var tokenFile: String?

    func run() async throws {
        guard let path = tokenFile ?? ProcessInfo.processInfo.environment["CTRADER_TOKEN_FILE"], !path.isEmpty else {
            throw CLIError.usage("missing the token file: --token-file or CTRADER_TOKEN_FILE")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            Terminal.current.line("no token file at \(path): nothing to forget")
            return
        }
        do {
            _ = try await CTraderFileTokenStore(path: path).newestPair(account: nil)
        } catch {
            throw CLIError.usage(
                "\(path) is not a token file; it was left alone (\(ExitStatus.describe(error).message))")
        }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw CLIError.runtime("cannot delete the token file \(path)")
        }
        Terminal.current.line("logged out: deleted \(path)")
    }
}
