import ArgumentParser

/// The `ctrader` command-line tool.
@main
struct CTraderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctrader",
        abstract: "A command-line client for the cTrader Open API.",
        subcommands: [DecodeCommand.self, EncodeCommand.self]
    )
}
