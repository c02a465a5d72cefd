import ArgumentParser
import Foundation
import Logging

/// The `ctrader` command-line tool.
@main
struct CTraderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctrader",
        abstract: "A command-line client for the cTrader Open API.",
        discussion: """
            Without --endpoint every command runs against an embedded simulator. \
            Exit codes: 0 success, 1 runtime failure, 2 usage, 3 authentication, 4 network or timeout, \
            5 a trading request's outcome is unknown (sent, then its answer or its fill was lost, or Ctrl-C \
            came: the account was reconciled and its positions and orders printed), 130 Ctrl-C before a \
            trading request was sent (nothing was executed); 10-14 the login refusals (ctrader login --help).
            """,
        subcommands: [
            DemoCommand.self, AccountsCommand.self, SymbolsCommand.self, QuotesCommand.self, BarsCommand.self,
            TicksCommand.self, OrderCommand.self, PositionsCommand.self, OrdersCommand.self, DealsCommand.self,
            CloseCommand.self, CancelCommand.self, SendCommand.self, SimulatorCommand.self, DecodeCommand.self,
            EncodeCommand.self, ReplayCommand.self, WSCommand.self,
            HistoryCommand.self,
            BookCommand.self,
            ProfileCommand.self,
            HoursCommand.self,
            LoginCommand.self,
            LogoutCommand.self,
            WhoamiCommand.self,
        ]
    )

    /// Parses (usage errors exit 2, help 0), runs, and maps errors to one line on standard error
    /// and the exit codes of ``ExitStatus``.
    static func main() async {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                terminate(ExitStatus.success)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            terminate(ExitStatus.usage)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exitCode as ExitCode {
            terminate(exitCode.rawValue)
        } catch let error as CleanExit {
            print(fullMessage(for: error))
            terminate(ExitStatus.success)
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            terminate(ExitStatus.usage)
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            terminate(error.exitCode)
        } catch {
            // Help (`ctrader --help` runs a help command that throws) and ArgumentParser's own errors.
            switch exitCode(for: error) {
            case .success:
                print(fullMessage(for: error))
                terminate(ExitStatus.success)
            case .validationFailure:
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                terminate(ExitStatus.usage)
            default:
                break
            }
            let (code, message) = ExitStatus.describe(error)
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            terminate(code)
        }
        terminate(ExitStatus.success)
    }
}
