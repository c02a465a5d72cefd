// swift-ctrader: the trader's toolkit (pure values fed by messages and the current time).

public import CTraderMessaging

/// One account's orders, positions, deals and balance, folded from the server's messages; its
/// profit and loss, realized and unrealized, in the deposit currency.
///
/// Feed it, in any order:
/// - the trader (`ProtoOATraderRes`, `ProtoOATraderUpdatedEvent`): balance, `moneyDigits`,
///   deposit asset;
/// - a reconcile answer (`ProtoOAReconcileRes`): the open positions and pending orders, at start
///   and after each reconnect (call ``beginResynchronization()`` when sending the request);
/// - every execution event (`ProtoOAExecutionEvent`): orders accepted, filled, partially filled,
///   replaced, cancelled; positions opened, changed and closed (stop loss and take profit hits
///   included); swap; deposits and withdrawals;
/// - deals (`ProtoOADealListRes`) and margin changes (`ProtoOAMarginChangedEvent`);
/// - the symbols (`ProtoOALightSymbol`, for their quote assets) and a conversion chain per quote
///   asset (`ProtoOASymbolsForConversionRes`) for ``valuation(quotes:)``.
///
/// Every amount is read with the `moneyDigits` of its own message (a message without one is read
/// with the trader's, or 2 before the trader is known) and kept exact as ``Money``.
///
/// The ledger is idempotent: an execution event whose deal it has already seen is ignored as a
/// whole (a replay), a deal counts once however often it arrives, an older snapshot of a
/// position or order never replaces a newer one, and a closed position or finished order never
/// comes back. The balance moves with each closing deal's net profit (gross profit, swap,
/// commission and conversion fee of its `ProtoOAClosePositionDetail`) and with each deposit or
/// withdrawal; the server's `balanceVersion`, when messages carry it, orders these changes against
/// the trader's balance so that a change the trader already includes is not added again.
///
/// ```swift
/// var ledger = PositionLedger()
/// ledger.apply(traderRes.trader)
/// ledger.apply(reconcileRes)
/// ledger.apply(executionEvent)
/// let value = ledger.valuation(quotes: board)
/// print(value.balance, value.equity, value.netUnrealized)
/// ```
public struct PositionLedger: Hashable, Sendable {
    /// The ledger's limits and conventions.
    public struct Configuration: Hashable, Sendable {
        /// Which price of a conversion symbol converts an amount; default ``ConversionPrice/mid``.
        public var conversionPrice: ConversionPrice
        /// The most deals kept in ``deals``; the oldest (by execution time) are dropped beyond it.
        /// Their ids are still remembered, so that a replay of them still counts once. Default
        /// 10 000.
        public var maximumDeals: Int
        /// Whether ``valuation(quotes:)`` uses a quote side marked stale by
        /// `QuoteBoard.connectionLost(at:)`; default `false` (such a position is not valued).
        public var acceptsStaleQuotes: Bool

        /// Makes a configuration.
        public init(
            conversionPrice: ConversionPrice = .mid, maximumDeals: Int = 10_000, acceptsStaleQuotes: Bool = false
        ) {
            self.conversionPrice = conversionPrice
            self.maximumDeals = max(1, maximumDeals)
            self.acceptsStaleQuotes = acceptsStaleQuotes
        }
    }

    /// Which price of a conversion symbol converts an amount from one asset to the other.
    public enum ConversionPrice: Hashable, Sendable {
        /// The middle of bid and ask.
        case mid
        /// The bid.
        case bid
        /// The ask.
        case ask
    }

    /// The configuration.
    public let configuration: Configuration
    /// The account, once a message named it.
    public private(set) var accountId: Int64?
    /// The deposit asset's id, once the trader is known.
    public private(set) var depositAssetId: Int64?
    /// The trader's `moneyDigits` (2 until the trader is known): the scale of the balance the
    /// ledger reports and of messages that carry none.
    public private(set) var moneyDigits: UInt32 = 2
    /// Whether the trader was applied.
    public private(set) var knowsTrader = false
    /// The balance: the trader's, moved by every closing deal and deposit or withdrawal since.
    public private(set) var balance: Money = .zero
    /// The balance version the ``balance`` includes, when the server numbered it.
    public private(set) var balanceVersion: Int64?
    /// The last balance the server reported with a change (a close detail's `balance`, a
    /// deposit's), for cross-checking ``balance``.
    public private(set) var reportedBalance: Money?
    /// The open positions, by id.
    public private(set) var positions: [Int64: Position] = [:]
    /// The working orders, by id.
    public private(set) var orders: [Int64: Order] = [:]
    /// The deals seen (live and from deal lists), by id; at most ``Configuration/maximumDeals``.
    public private(set) var deals: [Int64: Deal] = [:]
    /// The net profit of every closing deal seen (live and from deal lists).
    public private(set) var realizedPnL: Money = .zero
    /// The symbols, by id, for their quote assets.
    public private(set) var symbols: [Int64: ProtoOALightSymbol] = [:]
    /// The conversion chains, by the asset they convert from.
    public private(set) var conversionChains: [Int64: ConversionChain] = [:]

    private var seenDealIds: Set<Int64> = []
    private var seenBalanceOperations: Set<Int64> = []
    private var closedPositionIds: Set<Int64> = []
    private var finishedOrderIds: Set<Int64> = []
    private var resynchronization: Resynchronization?

    /// What changed while a reconcile request was in flight (it must not be undone by its answer).
    private struct Resynchronization: Hashable, Sendable {
        var touchedPositions: Set<Int64> = []
        var touchedOrders: Set<Int64> = []
    }

    /// An empty ledger.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether a reconcile answer is awaited (between ``beginResynchronization()`` and applying
    /// the `ProtoOAReconcileRes`).
    public var isResynchronizing: Bool { resynchronization != nil }

    // MARK: - The trader

    /// Applies the trader: deposit asset, `moneyDigits`, and the balance, unless the ledger has
    /// already counted a newer balance version.
    public mutating func apply(_ trader: ProtoOATrader) {
        accountId = trader.ctidTraderAccountID
        depositAssetId = trader.depositAssetID
        if trader.hasMoneyDigits { moneyDigits = trader.moneyDigits }
        knowsTrader = true
        let reported = Money(scaled: trader.balance, moneyDigits: moneyDigits)
        if trader.hasBalanceVersion {
            if let current = balanceVersion, trader.balanceVersion < current { return }
            balance = reported
            balanceVersion = trader.balanceVersion
        } else {
            balance = reported
            balanceVersion = nil
        }
    }

    /// Applies a `ProtoOATraderRes`.
    public mutating func apply(_ response: ProtoOATraderRes) { apply(response.trader) }

    /// Applies a `ProtoOATraderUpdatedEvent`.
    public mutating func apply(_ event: ProtoOATraderUpdatedEvent) { apply(event.trader) }

    // MARK: - Reconcile

    /// Marks that a reconcile request was sent: until its answer is applied, the positions and
    /// orders that events change are kept even if the answer (taken earlier on the server) lacks
    /// them.
    public mutating func beginResynchronization() {
        resynchronization = Resynchronization()
    }

    /// Replaces the open positions and pending orders with a reconcile answer's. A position or
    /// order the ledger knows in a newer state (by `utcLastUpdateTimestamp`), or changed since
    /// ``beginResynchronization()``, is kept as the ledger knows it; a position the ledger saw
    /// close, or an order it saw finish, is not brought back.
    public mutating func apply(_ reconcile: ProtoOAReconcileRes) {
        accountId = reconcile.ctidTraderAccountID
        var newPositions: [Int64: Position] = [:]
        for proto in reconcile.position where proto.positionStatus == .positionStatusOpen {
            guard !closedPositionIds.contains(proto.positionID) else { continue }
            let incoming = Position(proto, moneyDigits: moneyDigits)
            if let local = positions[incoming.id], Self.isNewer(local.lastUpdate, than: incoming.lastUpdate) {
                newPositions[incoming.id] = local
            } else {
                newPositions[incoming.id] = incoming
            }
        }
        var newOrders: [Int64: Order] = [:]
        for proto in reconcile.order where proto.orderStatus == .orderStatusAccepted {
            guard !finishedOrderIds.contains(proto.orderID) else { continue }
            let incoming = Order(proto)
            if let local = orders[incoming.id], Self.isNewer(local.lastUpdate, than: incoming.lastUpdate) {
                newOrders[incoming.id] = local
            } else {
                newOrders[incoming.id] = incoming
            }
        }
        if let resynchronization {
            for id in resynchronization.touchedPositions where newPositions[id] == nil {
                newPositions[id] = positions[id]
            }
            for id in resynchronization.touchedOrders where newOrders[id] == nil {
                newOrders[id] = orders[id]
            }
        }
        positions = newPositions
        orders = newOrders
        resynchronization = nil
    }

    // MARK: - Events

    /// Applies an execution event. Returns `false` when it was a replay (its deal was already
    /// seen, or its deposit or withdrawal was) and changed nothing.
    @discardableResult
    public mutating func apply(_ event: ProtoOAExecutionEvent) -> Bool {
        accountId = event.ctidTraderAccountID
        if event.hasDeal, seenDealIds.contains(event.deal.dealID) { return false }
        switch event.executionType {
        case .depositWithdraw:
            guard event.hasDepositWithdraw else { return false }
            return applyBalanceOperation(event.depositWithdraw)
        case .bonusDepositWithdraw:
            return false  // bonuses are not balance
        case .swap:
            guard event.hasPosition else { return false }
            // A swap snapshot carries the rollover's time, which may be older than a change made
            // since: its swap (the total charged so far) is taken even then.
            let id = event.position.positionID
            if let local = positions[id], Self.isNewer(local.lastUpdate, than: event.position.utcLastUpdateTimestamp) {
                positions[id]?.swap = Position(event.position, moneyDigits: moneyDigits).swap
            } else {
                update(position: event.position, withDeal: false)
            }
            return true
        default:
            if event.hasOrder { update(order: event.order) }
            if event.hasPosition { update(position: event.position, withDeal: event.hasDeal) }
            if event.hasDeal { record(event.deal, live: true) }
            return true
        }
    }

    /// Applies a deal list: each deal not yet seen is recorded, and counts in ``realizedPnL``. A
    /// closing deal moves the balance only when its balance version is newer than the ledger's
    /// (history without versions is taken to be in the trader's balance already).
    public mutating func apply(_ list: ProtoOADealListRes) {
        accountId = list.ctidTraderAccountID
        for deal in list.deal { record(deal, live: false) }
    }

    /// Applies a margin change of a position (`usedMargin` with the event's `moneyDigits`).
    public mutating func apply(_ event: ProtoOAMarginChangedEvent) {
        guard let id = Int64(exactly: event.positionID), positions[id] != nil else { return }
        let digits = event.hasMoneyDigits ? event.moneyDigits : moneyDigits
        positions[id]?.usedMargin = Money(scaled: event.usedMargin, moneyDigits: digits)
    }

    // MARK: - Symbols and conversion

    /// Registers symbols (their quote assets are what positions' profits are counted in).
    public mutating func register(_ symbols: [ProtoOALightSymbol]) {
        for symbol in symbols { self.symbols[symbol.symbolID] = symbol }
    }

    /// Registers the chain that converts `asset` into `depositAsset`, as a
    /// `ProtoOASymbolsForConversionRes` gives it (first asset `asset`, last asset `depositAsset`),
    /// and its symbols.
    ///
    /// - Throws: ``PositionLedgerError/brokenConversionChain(from:to:)`` when the symbols do not
    ///   lead from `asset` to `depositAsset` one after the other.
    public mutating func registerConversion(
        _ response: ProtoOASymbolsForConversionRes, from asset: Int64, to depositAsset: Int64
    ) throws(PositionLedgerError) {
        let chain = try ConversionChain(from: asset, to: depositAsset, symbols: response.symbol)
        conversionChains[asset] = chain
        register(response.symbol)
    }

    /// The quote assets of the positions' (and working orders') symbols that lack a conversion
    /// chain into the deposit asset: what to ask with `ProtoOASymbolsForConversionReq`, ascending.
    /// Empty until the trader is known.
    public var missingConversions: [Int64] {
        guard let deposit = depositAssetId else { return [] }
        var assets: Set<Int64> = []
        let symbolIds = Set(positions.values.map(\.symbolId)).union(orders.values.map(\.symbolId))
        for id in symbolIds {
            guard let symbol = symbols[id], symbol.hasQuoteAssetID else { continue }
            let asset = symbol.quoteAssetID
            if asset != deposit, conversionChains[asset]?.to != deposit { assets.insert(asset) }
        }
        return assets.sorted()
    }

    /// The symbols of positions and working orders that are not registered, ascending.
    public var missingSymbols: [Int64] {
        Set(positions.values.map(\.symbolId)).union(orders.values.map(\.symbolId))
            .filter { symbols[$0] == nil }.sorted()
    }

    /// The symbols whose quotes value the open positions: theirs, and those of their conversion
    /// chains. Ascending.
    public var quotedSymbols: [Int64] {
        var ids = Set(positions.values.map(\.symbolId))
        for id in ids {
            guard let asset = symbols[id]?.quoteAssetID, let chain = conversionChains[asset] else { continue }
            ids.formUnion(chain.symbols.map(\.symbolID))
        }
        return ids.sorted()
    }

    // MARK: - Folding

    private mutating func update(order proto: ProtoOAOrder) {
        let id = proto.orderID
        guard !finishedOrderIds.contains(id) else { return }
        let incoming = Order(proto)
        if let local = orders[id], Self.isNewer(local.lastUpdate, than: incoming.lastUpdate) { return }
        resynchronization?.touchedOrders.insert(id)
        if incoming.isFinished {
            orders[id] = nil
            finishedOrderIds.insert(id)
        } else {
            orders[id] = incoming
        }
    }

    private mutating func update(position proto: ProtoOAPosition, withDeal: Bool) {
        let id = proto.positionID
        guard !closedPositionIds.contains(id) else { return }
        switch proto.positionStatus {
        case .positionStatusClosed, .positionStatusError:
            positions[id] = nil
            closedPositionIds.insert(id)
            resynchronization?.touchedPositions.insert(id)
        case .positionStatusOpen:
            var incoming = Position(proto, moneyDigits: moneyDigits)
            incoming.settledByDeal = withDeal
            if let local = positions[id] {
                if Self.isNewer(local.lastUpdate, than: incoming.lastUpdate) { return }
                if local.lastUpdate == incoming.lastUpdate, local.settledByDeal, !withDeal { return }
                if incoming.usedMargin == nil { incoming.usedMargin = local.usedMargin }
            }
            positions[id] = incoming
            resynchronization?.touchedPositions.insert(id)
        default:
            return  // CREATED: an empty position of a pending order
        }
    }

    private mutating func record(_ proto: ProtoOADeal, live: Bool) {
        guard seenDealIds.insert(proto.dealID).inserted else { return }
        let deal = Deal(proto, moneyDigits: moneyDigits)
        deals[deal.id] = deal
        trimDeals()
        guard deal.isExecuted, let closing = deal.closing else { return }
        realizedPnL += closing.netProfit
        moveBalance(by: closing.netProfit, to: closing.balanceAfter, version: closing.balanceVersion, live: live)
    }

    /// Moves the balance by a change the server numbered `version` (and reported the balance after
    /// as `after`): counted once, and not when the balance already includes it. When versions show
    /// that changes were missed, the reported balance is taken instead.
    private mutating func moveBalance(by delta: Money, to after: Money, version: Int64?, live: Bool) {
        if let version {
            reportedBalance = after
            if let current = balanceVersion {
                if version <= current { return }
                balance = version == current + 1 ? balance + delta : after
            } else {
                balance += delta
            }
            balanceVersion = version
        } else if live {
            reportedBalance = after
            balance += delta
        }
    }

    private mutating func applyBalanceOperation(_ operation: ProtoOADepositWithdraw) -> Bool {
        guard seenBalanceOperations.insert(operation.balanceHistoryID).inserted else { return false }
        let digits = operation.hasMoneyDigits ? operation.moneyDigits : moneyDigits
        let after = Money(scaled: operation.balance, moneyDigits: digits)
        let version = operation.hasBalanceVersion ? operation.balanceVersion : nil
        // The sign of `delta` is the operation type's; the balance after is unambiguous.
        if let version {
            reportedBalance = after
            if let current = balanceVersion, version <= current { return false }
            balanceVersion = version
        }
        balance = after
        return true
    }

    private mutating func trimDeals() {
        guard deals.count > configuration.maximumDeals else { return }
        let excess = deals.count - configuration.maximumDeals
        let oldest = deals.values.sorted { ($0.executionTimestamp, $0.id) < ($1.executionTimestamp, $1.id) }
        for deal in oldest.prefix(max(excess, configuration.maximumDeals / 10)) { deals[deal.id] = nil }
    }

    /// Whether `a` is a strictly later server time than `b` (when either is unknown, neither is).
    private static func isNewer(_ a: Int64?, than b: Int64?) -> Bool {
        guard let a, let b else { return false }
        return a > b
    }
}
