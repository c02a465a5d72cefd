// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging
public import Foundation

extension PositionLedger {
    /// An open position as the ledger holds it: the last snapshot the server sent, its money read
    /// with the `moneyDigits` of that snapshot.
    public struct Position: Hashable, Sendable {
        /// The position's id.
        public var id: Int64
        /// Its symbol.
        public var symbolId: Int64
        /// Buy or sell.
        public var side: ProtoOATradeSide
        /// The open volume, in cents of units (`CTraderUnits`).
        public var volume: Int64
        /// The volume-weighted entry price; `nil` when the server sent none.
        public var entryPrice: Decimal?
        /// The stop loss, when set.
        public var stopLoss: Decimal?
        /// The take profit, when set.
        public var takeProfit: Decimal?
        /// The swap charged on the open position so far.
        public var swap: Money
        /// The commission charged on the open position so far (negative: a charge).
        public var commission: Money
        /// The margin the position uses, in the deposit currency, when the server said.
        public var usedMargin: Money?
        /// When the position was opened (Unix ms), when the server said.
        public var openTimestamp: Int64?
        /// The server's time of the position's last change (Unix ms), when it said.
        public var lastUpdate: Int64?
        /// The label of the order that opened it, if any.
        public var label: String?
        /// Whether this snapshot came with a deal (a fill): at an equal `lastUpdate`, a snapshot
        /// without a deal does not replace it.
        var settledByDeal: Bool = false

        /// Reads a position; money with its `moneyDigits`, or `moneyDigits` when it has none.
        public init(_ position: ProtoOAPosition, moneyDigits: UInt32) {
            let digits = position.hasMoneyDigits ? position.moneyDigits : moneyDigits
            id = position.positionID
            symbolId = position.tradeData.symbolID
            side = position.tradeData.tradeSide
            volume = position.tradeData.volume
            entryPrice = position.hasPrice ? Decimal.exactly(shortest: position.price) : nil
            stopLoss = position.hasStopLoss ? Decimal.exactly(shortest: position.stopLoss) : nil
            takeProfit = position.hasTakeProfit ? Decimal.exactly(shortest: position.takeProfit) : nil
            swap = Money(scaled: position.swap, moneyDigits: digits)
            commission = Money(scaled: position.commission, moneyDigits: digits)
            usedMargin = position.hasUsedMargin ? Money(scaled: position.usedMargin, moneyDigits: digits) : nil
            openTimestamp = position.tradeData.hasOpenTimestamp ? position.tradeData.openTimestamp : nil
            lastUpdate = position.hasUtcLastUpdateTimestamp ? position.utcLastUpdateTimestamp : nil
            label = position.tradeData.hasLabel ? position.tradeData.label : nil
        }
    }

    /// A working (pending or not yet filled) order.
    public struct Order: Hashable, Sendable {
        /// The order's id.
        public var id: Int64
        /// Its symbol.
        public var symbolId: Int64
        /// Buy or sell.
        public var side: ProtoOATradeSide
        /// Market, limit, stop, …
        public var type: ProtoOAOrderType
        /// Its status (accepted while it works).
        public var status: ProtoOAOrderStatus
        /// The volume, in cents of units.
        public var volume: Int64
        /// The part already filled, in cents of units.
        public var executedVolume: Int64
        /// The position it opens, grows or closes, when linked to one.
        public var positionId: Int64?
        /// Whether it closes (part of) a position.
        public var isClosing: Bool
        /// The limit price (limit orders).
        public var limitPrice: Decimal?
        /// The stop price (stop and stop-limit orders).
        public var stopPrice: Decimal?
        /// The server's time of the order's last change (Unix ms), when it said.
        public var lastUpdate: Int64?

        /// Reads an order.
        public init(_ order: ProtoOAOrder) {
            id = order.orderID
            symbolId = order.tradeData.symbolID
            side = order.tradeData.tradeSide
            type = order.orderType
            status = order.orderStatus
            volume = order.tradeData.volume
            executedVolume = order.executedVolume
            positionId = order.hasPositionID ? order.positionID : nil
            isClosing = order.closingOrder
            limitPrice = order.hasLimitPrice ? Decimal.exactly(shortest: order.limitPrice) : nil
            stopPrice = order.hasStopPrice ? Decimal.exactly(shortest: order.stopPrice) : nil
            lastUpdate = order.hasUtcLastUpdateTimestamp ? order.utcLastUpdateTimestamp : nil
        }

        /// Whether the order is finished (filled, cancelled, expired or rejected).
        public var isFinished: Bool { status != .orderStatusAccepted }
    }

    /// What closing (part of) a position realized: a closing deal's `ProtoOAClosePositionDetail`,
    /// read with that detail's own `moneyDigits`.
    public struct Closing: Hashable, Sendable {
        /// The position's entry price when the closing order filled.
        public var entryPrice: Decimal
        /// The closed volume, in cents of units, when the server said.
        public var closedVolume: Int64?
        /// The gross profit, in the deposit currency.
        public var grossProfit: Money
        /// The swap realized with the closed volume.
        public var swap: Money
        /// The commission realized with the closed volume (negative: a charge).
        public var commission: Money
        /// The fee for converting the profit into the deposit currency (negative: a charge).
        public var conversionFee: Money
        /// The balance after the deal, as the server reported it.
        public var balanceAfter: Money
        /// The balance version after the deal, when the server said.
        public var balanceVersion: Int64?

        /// Reads a close detail; money with its `moneyDigits`, or `moneyDigits` when it has none.
        public init(_ detail: ProtoOAClosePositionDetail, moneyDigits: UInt32) {
            let digits = detail.hasMoneyDigits ? detail.moneyDigits : moneyDigits
            entryPrice = Decimal.exactly(shortest: detail.entryPrice)
            closedVolume = detail.hasClosedVolume ? detail.closedVolume : nil
            grossProfit = Money(scaled: detail.grossProfit, moneyDigits: digits)
            swap = Money(scaled: detail.swap, moneyDigits: digits)
            commission = Money(scaled: detail.commission, moneyDigits: digits)
            conversionFee = Money(scaled: detail.pnlConversionFee, moneyDigits: digits)
            balanceAfter = Money(scaled: detail.balance, moneyDigits: digits)
            balanceVersion = detail.hasBalanceVersion ? detail.balanceVersion : nil
        }

        /// What the deal added to the balance: gross profit, swap, commission and conversion fee.
        public var netProfit: Money { grossProfit + swap + commission + conversionFee }
    }

    /// An execution (a fill of an order), opening or closing.
    public struct Deal: Hashable, Sendable {
        /// The deal's id.
        public var id: Int64
        /// The order it filled.
        public var orderId: Int64
        /// The position it opened, grew, reduced or closed.
        public var positionId: Int64
        /// Its symbol.
        public var symbolId: Int64
        /// The order's side.
        public var side: ProtoOATradeSide
        /// The filled volume, in cents of units.
        public var filledVolume: Int64
        /// The execution price, when the server said.
        public var price: Decimal?
        /// When it executed (Unix ms).
        public var executionTimestamp: Int64
        /// Filled, partially filled, rejected, …
        public var status: ProtoOADealStatus
        /// The commission of the deal (negative: a charge), with the deal's `moneyDigits`.
        public var commission: Money
        /// What it realized, for a closing deal.
        public var closing: Closing?

        /// Reads a deal; money with its (or its close detail's) `moneyDigits`, or `moneyDigits`
        /// when it has none.
        public init(_ deal: ProtoOADeal, moneyDigits: UInt32) {
            let digits = deal.hasMoneyDigits ? deal.moneyDigits : moneyDigits
            id = deal.dealID
            orderId = deal.orderID
            positionId = deal.positionID
            symbolId = deal.symbolID
            side = deal.tradeSide
            filledVolume = deal.filledVolume
            price = deal.hasExecutionPrice ? Decimal.exactly(shortest: deal.executionPrice) : nil
            executionTimestamp = deal.executionTimestamp
            status = deal.dealStatus
            commission = Money(scaled: deal.commission, moneyDigits: digits)
            closing = deal.hasClosePositionDetail ? Closing(deal.closePositionDetail, moneyDigits: digits) : nil
        }

        /// Whether the deal executed (filled or partially filled).
        public var isExecuted: Bool { status == .filled || status == .partiallyFilled }
    }
}
