import ArgumentParser
import CTrader
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader accounts`
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List the trading accounts of the access token, demo and live.",
        discussion: """
            Accounts of the other environment (live for --endpoint demo, demo for live, or where \
            CTRADER_LIVE_ENDPOINT / CTRADER_DEMO_ENDPOINT or the profile's live_endpoint / \
            demo_endpoint point) are authorized on a connection of their own to show their balance; \
            the environment column appears when the token holds accounts of both.
            """
    )
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let wire = options.wire
        try await Session.run(options) { session in
            let trader = try await session.trader()
            let bothEnvironments = Set(session.accounts.map(\.isLive)).count == 2
            let facade = try session.accountsFacade(wire: wire)
            var objects: [[String: Any]] = []
            do {
                objects = try await Self.describe(session, trader: trader, facade: facade, bothEnvironments)
            } catch {
                await facade.shutdown()
                throw error
            }
            await facade.shutdown()
            if session.output.json {
                session.output.emit(objects)
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: ["ctidTraderAccountId", "traderLogin", "isLive"]
                            + (bothEnvironments ? ["environment"] : []) + ["broker", "balance"],
                        right: ["balance"]
                    )
                )
            }
        }
    }

    /// One object per account; the other environment's balances asked on its own connection (when
    /// that fails, a warning on standard error, and the rest of its accounts without a balance).
    static func describe(
        _ session: Session, trader: ProtoOATrader, facade: CTraderAccounts, _ bothEnvironments: Bool
    ) async throws -> [[String: Any]] {
        var objects: [[String: Any]] = []
        var unreachable: Set<CTraderEnvironment> = []
        for account in session.accounts {
            let id = Int64(clamping: account.ctidTraderAccountID)
            let environment = CTraderEnvironment(account)
            var object: [String: Any] = [
                "ctidTraderAccountId": account.ctidTraderAccountID,
                "traderLogin": account.traderLogin,
                "isLive": account.isLive,
                "broker": account.brokerTitleShort,
            ]
            if bothEnvironments { object["environment"] = environment.rawValue }
            if id == session.account {
                object["balance"] = Format.moneyNumber(trader.balance, moneyDigits: trader.moneyDigits)
                object["authorized"] = true
            } else if environment != session.environment,
                facade.configuration.environments[environment] != nil, !unreachable.contains(environment)
            {
                // The other environment's accounts, on their own connection.
                var request = ProtoOATraderReq()
                request.ctidTraderAccountID = id
                do {
                    let other = try await facade.send(request, expecting: ProtoOATraderRes.self).trader
                    object["balance"] = Format.moneyNumber(other.balance, moneyDigits: other.moneyDigits)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    unreachable.insert(environment)
                    FileHandle.standardError.write(
                        Data(
                            ("ctrader: warning: no balance for the \(environment) accounts: "
                                + "\(ExitStatus.describe(error).message)\n").utf8))
                }
            }
            objects.append(object)
        }
        return objects
    }
}

/// `ctrader symbols [FILTER]`
struct SymbolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "symbols",
        abstract: "List the account's symbols, optionally those whose name or description contains FILTER."
    )
    @Argument(help: "Case-insensitive text to match in the name or description.") var filter: String?
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let filter = filter
        try await Session.run(options) { session in
            var list = try await session.lightSymbols()
            if let filter, !filter.isEmpty {
                list = list.filter {
                    $0.symbolName.localizedCaseInsensitiveContains(filter)
                        || $0.description_p.localizedCaseInsensitiveContains(filter)
                }
            }
            list.sort { $0.symbolName < $1.symbolName }
            let details = try await session.details(list.map(\.symbolID))
            let objects: [[String: Any]] = list.map { symbol in
                var object: [String: Any] = [
                    "symbolId": symbol.symbolID, "name": symbol.symbolName, "description": symbol.description_p,
                    "enabled": symbol.enabled,
                ]
                if let detail = details[symbol.symbolID] {
                    object["digits"] = detail.digits
                    object["lotSize"] = detail.lotSize
                }
                return object
            }
            if session.output.json {
                session.output.emit(objects)
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: ["symbolId", "name", "description", "digits", "lotSize"],
                        right: ["symbolId", "digits", "lotSize"]
                    )
                )
            }
        }
    }
}

/// `ctrader positions`
struct PositionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "positions",
        abstract: "List the open positions with their unrealized PnL in the deposit currency, the balance and equity."
    )
    @Option(help: "Seconds to wait for the quotes that value the positions.") var quoteTimeout: Double = 10
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let quoteTimeout = quoteTimeout
        try await Session.run(options) { session in
            let snapshot = try await PositionsLedger.snapshot(session, quoteTimeout: quoteTimeout)
            if session.output.json {
                session.output.emit(PositionsLedger.object(snapshot))
            } else {
                PositionsLedger.print(snapshot, to: session.output)
            }
        }
    }
}

/// `ctrader orders`
struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "orders", abstract: "List the pending orders.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        try await Session.run(options) { session in
            let state = try await session.client.reconcile(account: session.account)
            let names = try await session.symbolNames()
            let symbols = try await session.details(state.order.map(\.tradeData.symbolID))
            let objects = state.order.map { o in
                Describe.order(
                    o,
                    symbol: symbols[o.tradeData.symbolID].map { SymbolInfo(light: ProtoOALightSymbol(), detail: $0) },
                    name: names[o.tradeData.symbolID]
                )
            }
            if session.output.json {
                session.output.emit(objects)
            } else if objects.isEmpty {
                session.output.terminal.line("No pending orders.")
            } else {
                session.output.table(
                    Describe.table(
                        objects,
                        columns: [
                            "orderId", "symbol", "side", "type", "lots", "limitPrice", "stopPrice", "stopLoss",
                            "takeProfit",
                        ],
                        right: ["lots", "limitPrice", "stopPrice", "stopLoss", "takeProfit"]
                    )
                )
            }
        }
    }
}

/// `ctrader deals [--from --to]`
struct DealsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deals",
        abstract: "List the deals (fills) between two dates; default: the last 7 days."
    )
    @Option(help: "ISO 8601 start, e.g. 2026-11-20 or 2026-11-20T00:00:00Z.") var from: DateArgument?
    @Option(help: "ISO 8601 end; default now.") var to: DateArgument?
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let to = to?.milliseconds ?? CTraderUnits.milliseconds(Date())
        let from = from?.milliseconds ?? (to - 7 * 86_400_000)
        guard from <= to else { throw CLIError.usage("--from must not be after --to") }
        try await Session.run(options) { session in
            var request = ProtoOADealListReq()
            request.ctidTraderAccountID = session.account
            request.fromTimestamp = from
            request.toTimestamp = to
            let deals = try await session.client.send(request, expecting: ProtoOADealListRes.self).deal
                .sorted { $0.executionTimestamp < $1.executionTimestamp }
            let names = try await session.symbolNames()
            let symbols = try await session.details(deals.map(\.symbolID))
            let objects = deals.map { d in
                Describe.deal(
                    d,
                    symbol: symbols[d.symbolID].map { SymbolInfo(light: ProtoOALightSymbol(), detail: $0) },
                    name: names[d.symbolID]
                )
            }
            if session.output.json {
                session.output.emit(objects)
            } else if objects.isEmpty {
                session.output.terminal.line("No deals.")
            } else {
                let rows = objects.map { object -> [String: Any] in
                    var row = object
                    row["grossProfit"] = (object["closePositionDetail"] as? [String: Any])?["grossProfit"]
                    return row
                }
                session.output.table(
                    Describe.table(
                        rows,
                        columns: [
                            "dealId", "positionId", "executionTime", "symbol", "side", "lots", "executionPrice",
                            "status", "grossProfit",
                        ],
                        right: ["lots", "executionPrice", "grossProfit"]
                    )
                )
            }
        }
    }
}
