// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging

/// Where the ledger and the server disagree about a position's unrealized profit.
public struct PnLDiscrepancy: Hashable, Sendable, CustomStringConvertible {
    /// How they disagree.
    public enum Kind: Hashable, Sendable {
        /// The server values a position the ledger does not hold.
        case unknownToLedger
        /// The ledger holds a position the server does not value.
        case unknownToServer
        /// The ledger cannot value the position.
        case notValued(PositionLedgerError)
        /// Both value it, more than the tolerance apart: the ledger's gross (rounded to the
        /// answer's `moneyDigits`) and the server's.
        case grossDiffers(ledger: Money, server: Money)
    }

    /// The position.
    public var positionId: Int64
    /// How they disagree.
    public var kind: Kind

    /// Makes a discrepancy.
    public init(positionId: Int64, kind: Kind) {
        self.positionId = positionId
        self.kind = kind
    }

    /// The position and how they disagree.
    public var description: String {
        switch kind {
        case .unknownToLedger: "position \(positionId): valued by the server, unknown to the ledger"
        case .unknownToServer: "position \(positionId): held by the ledger, not valued by the server"
        case .notValued(let error): "position \(positionId): the ledger cannot value it: \(error)"
        case .grossDiffers(let ledger, let server):
            "position \(positionId): gross unrealized \(ledger) in the ledger, \(server) on the server"
        }
    }
}

extension PositionLedger {
    /// Compares the ledger's gross unrealized profit of each position, at `quotes`, with the
    /// server's `ProtoOAGetPositionUnrealizedPnLRes` (read with its `moneyDigits`).
    ///
    /// The ledger's value is rounded to the answer's `moneyDigits` (halves away from zero) and
    /// agrees when it is within `tolerance` of the server's; the default tolerance is one unit of
    /// the last digit (one cent with 2 digits), which absorbs a different rounding of the same
    /// value. Only the gross is compared: what the server's net includes (the closing commission
    /// or not) differs between servers.
    ///
    /// - Returns: the disagreements, by ascending position id; empty when they agree.
    public func discrepancies(
        with answer: ProtoOAGetPositionUnrealizedPnLRes,
        quotes: QuoteBoard,
        tolerance: Money? = nil
    ) -> [PnLDiscrepancy] {
        let digits = answer.moneyDigits
        let allowed = tolerance ?? Money.unit(moneyDigits: digits)
        var found: [PnLDiscrepancy] = []
        var serverIds: Set<Int64> = []
        for entry in answer.positionUnrealizedPnL {
            serverIds.insert(entry.positionID)
            guard let position = positions[entry.positionID] else {
                found.append(PnLDiscrepancy(positionId: entry.positionID, kind: .unknownToLedger))
                continue
            }
            let server = Money(scaled: entry.grossUnrealizedPnL, moneyDigits: digits)
            do throws(PositionLedgerError) {
                let ledger = try valuation(of: position, quotes: quotes).grossProfit.rounded(digits: digits)
                if (ledger - server).magnitude > allowed {
                    found.append(
                        PnLDiscrepancy(positionId: position.id, kind: .grossDiffers(ledger: ledger, server: server)))
                }
            } catch {
                found.append(PnLDiscrepancy(positionId: position.id, kind: .notValued(error)))
            }
        }
        for id in positions.keys where !serverIds.contains(id) {
            found.append(PnLDiscrepancy(positionId: id, kind: .unknownToServer))
        }
        return found.sorted { $0.positionId < $1.positionId }
    }

    /// Whether the ledger's balance differs from the trader's (read with its `moneyDigits`) when
    /// both are at the same balance version (or the trader has none): `nil` when they agree or
    /// cannot be compared, else the ledger's balance minus the trader's.
    public func balanceDifference(from trader: ProtoOATrader) -> Money? {
        if trader.hasBalanceVersion, let version = balanceVersion, version != trader.balanceVersion { return nil }
        let digits = trader.hasMoneyDigits ? trader.moneyDigits : moneyDigits
        let difference = balance - Money(scaled: trader.balance, moneyDigits: digits)
        return difference == .zero ? nil : difference
    }
}
