import CTraderMessaging
import CTraderSession
import CTraderToolkit
import Foundation

/// `ctrader positions`: the account's open positions valued by a `PositionLedger`, in the deposit
/// currency: the trader and a reconcile, the symbols' quote assets, a conversion chain per quote
/// asset (`ProtoOASymbolsForConversionReq`), and one quote of every symbol involved.
enum PositionsLedger {
    /// What the command shows.
    struct Snapshot {
        var ledger: PositionLedger
        var quotes: CTraderToolkit.QuoteBoard
        var reconcile: ProtoOAReconcileRes
        var names: [Int64: String]
        var details: [Int64: ProtoOASymbol]
        var depositAsset: String
    }

    /// Builds the ledger and waits (at most `quoteTimeout` seconds) for a bid and an ask of every
    /// symbol that values a position; a position whose quotes did not come is shown unvalued.
    static func snapshot(_ session: Session, quoteTimeout: Double) async throws -> Snapshot {
        var ledger = PositionLedger()
        ledger.apply(try await session.trader())
        let reconcile = try await session.client.reconcile(account: session.account)
        ledger.apply(reconcile)
        let light = try await session.lightSymbols()
        ledger.register(light)
        if let deposit = ledger.depositAssetId {
            for asset in ledger.missingConversions {
                var request = ProtoOASymbolsForConversionReq()
                request.ctidTraderAccountID = session.account
                request.firstAssetID = asset
                request.lastAssetID = deposit
                let chain = try await session.client.send(request, expecting: ProtoOASymbolsForConversionRes.self)
                try ledger.registerConversion(chain, from: asset, to: deposit)
            }
        }
        let quotes = try await quotes(of: ledger.quotedSymbols, session: session, timeout: quoteTimeout)
        let details = try await session.details(reconcile.position.map(\.tradeData.symbolID))
        return Snapshot(
            ledger: ledger, quotes: quotes, reconcile: reconcile,
            names: Dictionary(light.map { ($0.symbolID, $0.symbolName) }, uniquingKeysWith: { a, _ in a }),
            details: details, depositAsset: try await assetName(ledger.depositAssetId, session: session))
    }

    /// Subscribes to the spots of `symbols` and collects them until each has a bid and an ask, or
    /// `timeout` seconds pass.
    static func quotes(of symbols: [Int64], session: Session, timeout: Double) async throws -> CTraderToolkit.QuoteBoard
    {
        guard !symbols.isEmpty else { return CTraderToolkit.QuoteBoard() }
        let stream = session.client.spots()
        try await session.client.subscribeSpots(account: session.account, symbols: symbols)
        let account = session.account
        let collected = Collected()
        do {
            try await withTimeout(timeout, "quotes of symbols \(symbols)") {
                for try await element in stream {
                    guard case .message(let spot) = element, spot.ctidTraderAccountID == account else { continue }
                    if collected.add(spot, wanted: symbols) { return }
                }
            }
        } catch let error as CTraderError where error.code == .timeout {
            // The positions without quotes are shown unvalued.
        }
        return collected.board
    }

    /// The display name of the deposit asset (its id when the asset list lacks it).
    static func assetName(_ id: Int64?, session: Session) async throws -> String {
        guard let id else { return "" }
        var request = ProtoOAAssetListReq()
        request.ctidTraderAccountID = session.account
        let assets = try await session.client.send(request, expecting: ProtoOAAssetListRes.self).asset
        return assets.first { $0.assetID == id }.map { $0.hasDisplayName ? $0.displayName : $0.name } ?? "\(id)"
    }

    /// The quotes collected from the stream (shared with the task that reads it).
    final class Collected: @unchecked Sendable {
        // Why safe: `lock` guards `state`, the only mutable state.
        private let lock = NSLock()
        private var state = CTraderToolkit.QuoteBoard()

        /// Applies a spot; whether every wanted symbol now has a bid and an ask.
        func add(_ spot: ProtoOASpotEvent, wanted: [Int64]) -> Bool {
            lock.withLock {
                state.apply(spot, now: CTraderUnits.milliseconds(Date()))
                return wanted.allSatisfy { state.quote(symbolId: $0)?.isFresh == true }
            }
        }

        var board: CTraderToolkit.QuoteBoard { lock.withLock { state } }
    }

    // MARK: - Output

    /// The `--json` object: the account's figures and one object per position.
    static func object(_ snapshot: Snapshot) -> [String: Any] {
        let ledger = snapshot.ledger
        let value = ledger.valuation(quotes: snapshot.quotes)
        let digits = ledger.moneyDigits
        func number(_ money: Money) -> NSDecimalNumber {
            NSDecimalNumber(decimal: money.rounded(digits: digits).amount)
        }
        let positions: [[String: Any]] = snapshot.reconcile.position.filter { ledger.positions[$0.positionID] != nil }
            .sorted { $0.positionID < $1.positionID }
            .map { proto in
                let symbol = snapshot.details[proto.tradeData.symbolID].map {
                    SymbolInfo(light: ProtoOALightSymbol(), detail: $0)
                }
                var object = Describe.position(
                    proto, symbol: symbol, name: snapshot.names[proto.tradeData.symbolID], pnl: nil, pnlDigits: nil)
                if let valued = value.positions[proto.positionID] {
                    object["closingPrice"] = NSDecimalNumber(decimal: valued.closingPrice)
                    object["grossUnrealizedPnL"] = number(valued.grossProfit)
                    object["netUnrealizedPnL"] = number(valued.netProfit)
                } else if let problem = value.problems[proto.positionID] {
                    object["unvalued"] = problem.description
                }
                return object
            }
        var object: [String: Any] = [
            "ctidTraderAccountId": ledger.accountId ?? 0,
            "depositAsset": snapshot.depositAsset,
            "moneyDigits": digits,
            "balance": number(value.balance),
            "grossUnrealizedPnL": number(value.grossUnrealized),
            "netUnrealizedPnL": number(value.netUnrealized),
            "equity": number(value.equity),
            "usedMargin": number(value.usedMargin),
            "freeMargin": number(value.freeMargin),
            "complete": value.isComplete,
            "positions": positions,
        ]
        if let version = ledger.balanceVersion { object["balanceVersion"] = version }
        return object
    }

    /// The table and the account's figures, for a terminal.
    static func print(_ snapshot: Snapshot, to output: Output) {
        let object = object(snapshot)
        let positions = object["positions"] as? [[String: Any]] ?? []
        if positions.isEmpty {
            output.terminal.line("No open positions.")
        } else {
            output.table(
                Describe.table(
                    positions,
                    columns: [
                        "positionId", "symbol", "side", "lots", "price", "closingPrice", "stopLoss", "takeProfit",
                        "swap", "commission", "grossUnrealizedPnL", "netUnrealizedPnL",
                    ],
                    right: [
                        "lots", "price", "closingPrice", "stopLoss", "takeProfit", "swap", "commission",
                        "grossUnrealizedPnL", "netUnrealizedPnL",
                    ]
                )
            )
            for position in positions {
                if let problem = position["unvalued"] as? String {
                    output.terminal.line("position \(position["positionId"] ?? ""): not valued: \(problem)")
                }
            }
        }
        let currency = snapshot.depositAsset
        let digits = snapshot.ledger.moneyDigits
        func text(_ key: String) -> String {
            guard let number = object[key] as? NSDecimalNumber else { return "?" }
            return Money(number.decimalValue).formatted(digits: digits) + " " + currency
        }
        output.terminal.line()
        output.terminal.line("Balance         \(text("balance"))")
        output.terminal.line("Unrealized PnL  \(text("netUnrealizedPnL")) (gross \(text("grossUnrealizedPnL")))")
        output.terminal.line("Equity          \(text("equity"))")
        output.terminal.line("Used margin     \(text("usedMargin"))")
        output.terminal.line("Free margin     \(text("freeMargin"))")
    }
}
