// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

/// One trading account's book: balance, open positions, pending orders, and the history.
///
/// Every money amount is an `Int64` in the account's `moneyDigits`. The balance changes only with
/// a closing deal, by its `grossProfit + swap + commission` (the Money article).
struct AccountState: Sendable {
    var account: SimulatorIdentity.Account
    var balance: Int64
    var balanceVersion: Int64 = 0
    var positions: [Int64: ProtoOAPosition] = [:]
    var pendingOrders: [Int64: ProtoOAOrder] = [:]
    /// Every order in its latest state (pending ones too), by id.
    var orders: [Int64: ProtoOAOrder] = [:]
    var deals: [ProtoOADeal] = []
    /// The time up to which swaps have been charged (SwapRollover.swift); `nil` before the engine
    /// first saw the time.
    var swapsChargedUntil: Int64?

    init(account: SimulatorIdentity.Account) {
        self.account = account
        self.balance = account.balance
    }

    var usedMargin: Int64 {
        positions.values.reduce(0) { $0 + Int64($1.usedMargin) }
    }

    var trader: ProtoOATrader {
        var trader = ProtoOATrader()
        trader.ctidTraderAccountID = account.ctidTraderAccountId
        trader.balance = balance
        trader.balanceVersion = balanceVersion
        trader.managerBonus = 0
        trader.ibBonus = 0
        trader.nonWithdrawableBonus = 0
        trader.accessRights = .fullAccess
        trader.depositAssetID = account.depositAssetId
        trader.swapFree = false
        trader.leverageInCents = account.leverageInCents
        trader.totalMarginCalculationType = .max
        trader.maxLeverage = account.leverageInCents / 100
        trader.traderLogin = account.traderLogin
        trader.accountType = account.isNetted ? .netted : .hedged
        trader.brokerName = account.brokerName
        trader.registrationTimestamp = 1_577_836_800_000
        trader.isLimitedRisk = false
        trader.moneyDigits = account.moneyDigits
        return trader
    }
}
