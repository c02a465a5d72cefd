/// A row the store keeps, stamped with the time its coverage is counted at.
public protocol HistoryRow: Sendable, Hashable {
    /// The row's time in Unix milliseconds (a bar's open, a tick's or a deal's execution time).
    var time: Int64 { get }
}

/// One trendbar. Prices are integers in the Open API's relative units (1/100000 of a unit of
/// price), never floating point.
public struct HistoryBar: HistoryRow, Codable {
    /// The bar's open time, Unix milliseconds.
    public var time: Int64
    /// The first price.
    public var open: Int64
    /// The highest price.
    public var high: Int64
    /// The lowest price.
    public var low: Int64
    /// The last price.
    public var close: Int64
    /// The volume in ticks.
    public var volume: Int64

    /// Makes a bar.
    public init(time: Int64, open: Int64, high: Int64, low: Int64, close: Int64, volume: Int64) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// One tick: a bid or an ask price at a time. The side is the series'.
public struct HistoryTick: HistoryRow, Codable {
    /// The tick's time, Unix milliseconds.
    public var time: Int64
    /// The price in relative units (1/100000).
    public var price: Int64

    /// Makes a tick.
    public init(time: Int64, price: Int64) {
        self.time = time
        self.price = price
    }
}

/// One deal of the account (an execution of an order). Prices in relative units (1/100000),
/// money in the account's cents (`10^moneyDigits` per unit), volumes in cents of units.
public struct HistoryDeal: HistoryRow, Codable {
    /// The deal's id, unique per account.
    public var dealId: Int64
    /// The order it executed.
    public var orderId: Int64
    /// The position it opened, changed or closed.
    public var positionId: Int64
    /// The symbol's id.
    public var symbolId: Int64
    /// `true` for a buy.
    public var isBuy: Bool
    /// The volume asked, in cents of units.
    public var volume: Int64
    /// The volume filled, in cents of units.
    public var filledVolume: Int64
    /// The execution time, Unix milliseconds.
    public var time: Int64
    /// The execution price in relative units (1/100000); 0 when not filled.
    public var executionPrice: Int64
    /// The commission, in the account's money units (see ``moneyDigits``).
    public var commission: Int64
    /// The gross profit of a closing deal, 0 otherwise.
    public var grossProfit: Int64
    /// The swap of a closing deal, 0 otherwise.
    public var swap: Int64
    /// The number of decimals of the money fields.
    public var moneyDigits: Int
    /// The deal's status (`ProtoOADealStatus`).
    public var status: Int

    /// Makes a deal.
    public init(
        dealId: Int64, orderId: Int64, positionId: Int64, symbolId: Int64, isBuy: Bool, volume: Int64,
        filledVolume: Int64, time: Int64, executionPrice: Int64, commission: Int64 = 0, grossProfit: Int64 = 0,
        swap: Int64 = 0, moneyDigits: Int = 2, status: Int = 2
    ) {
        self.dealId = dealId
        self.orderId = orderId
        self.positionId = positionId
        self.symbolId = symbolId
        self.isBuy = isBuy
        self.volume = volume
        self.filledVolume = filledVolume
        self.time = time
        self.executionPrice = executionPrice
        self.commission = commission
        self.grossProfit = grossProfit
        self.swap = swap
        self.moneyDigits = moneyDigits
        self.status = status
    }
}
