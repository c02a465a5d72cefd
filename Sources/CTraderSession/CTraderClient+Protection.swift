// swift-ctrader: protective orders: stop loss and take profit that are never left out by accident.

public import CTraderMessaging
public import Foundation

/// A market order's stop loss and take profit, carried on the order itself
/// (`ProtoOANewOrderReq.relativeStopLoss` and `relativeTakeProfit`), so that the position is
/// protected from its first instant: no second message, no moment unprotected between two.
///
/// A market order's fill price is not known when it is sent, so its levels are distances from
/// that price, in the protocol's relative units (1/100000 of a price unit: 50 is 0.0005, five
/// pips of EURUSD). The server sets, for a buy, stop loss = fill price − `relativeStopLoss` and
/// take profit = fill price + `relativeTakeProfit`; for a sell, the other way round.
public struct CTraderOrderProtection: Sendable, Hashable {
    /// The stop loss's distance from the fill price (relative units, positive); `nil`: none.
    public var relativeStopLoss: Int64?
    /// The take profit's distance from the fill price (relative units, positive); `nil`: none.
    public var relativeTakeProfit: Int64?
    /// Whether the stop loss trails the price (`trailingStopLoss`).
    public var trailingStopLoss: Bool

    /// Makes a protection; see ``relative(stopLoss:takeProfit:trailingStopLoss:)``.
    public init(relativeStopLoss: Int64? = nil, relativeTakeProfit: Int64? = nil, trailingStopLoss: Bool = false) {
        self.relativeStopLoss = relativeStopLoss
        self.relativeTakeProfit = relativeTakeProfit
        self.trailingStopLoss = trailingStopLoss
    }

    /// Levels at these distances from the fill price, in relative units (1/100000 of a price unit).
    public static func relative(
        stopLoss: Int64? = nil,
        takeProfit: Int64? = nil,
        trailingStopLoss: Bool = false
    ) -> CTraderOrderProtection {
        CTraderOrderProtection(
            relativeStopLoss: stopLoss, relativeTakeProfit: takeProfit, trailingStopLoss: trailingStopLoss)
    }

    /// No stop loss, no take profit.
    public static let none = CTraderOrderProtection()

    /// Checks the distances: each one given must be positive (a distance of 0 or less would put
    /// the level at or across the fill price; the server refuses it).
    public func validate() throws(CTraderProtectionError) {
        if let distance = relativeStopLoss, distance <= 0 { throw .distanceNotPositive(field: "relativeStopLoss") }
        if let distance = relativeTakeProfit, distance <= 0 {
            throw .distanceNotPositive(field: "relativeTakeProfit")
        }
    }
}

/// Why a protection request was not sent.
public enum CTraderProtectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A relative stop loss or take profit of 0 or less.
    case distanceNotPositive(field: String)
    /// The account has no open position with this id (per `ProtoOAReconcileReq`).
    case positionNotFound(Int64)
    /// A price that is not finite once written as the protocol's `double`.
    case priceNotRepresentable(Decimal)

    /// One line naming the rule.
    public var description: String {
        switch self {
        case .distanceNotPositive(let field): "\(field) must be a positive distance from the fill price"
        case .positionNotFound(let id): "no open position \(id) (ProtoOAReconcileReq)"
        case .priceNotRepresentable(let price): "the price \(price) is not a finite double"
        }
    }
}

/// What an amendment does to one level (stop loss or take profit) of a position.
public enum CTraderProtectionLevel: Sendable, Hashable {
    /// Leave the level as the position has it: the amendment sends it again as it is (the server
    /// clears a level that `ProtoOAAmendPositionSLTPReq` leaves out).
    case keep
    /// Set the level to this price (absolute).
    case price(Decimal)
    /// Remove the level: the amendment leaves it out.
    case clear
}

extension ProtoOANewOrderReq {
    /// Sets the order's relative stop loss, relative take profit and trailing flag from
    /// `protection` (and clears the absolute `stopLoss` and `takeProfit`, which a market order
    /// cannot carry).
    public mutating func setProtection(_ protection: CTraderOrderProtection) {
        clearStopLoss()
        clearTakeProfit()
        if let distance = protection.relativeStopLoss { relativeStopLoss = distance } else { clearRelativeStopLoss() }
        if let distance = protection.relativeTakeProfit {
            relativeTakeProfit = distance
        } else {
            clearRelativeTakeProfit()
        }
        if protection.trailingStopLoss { trailingStopLoss = true } else { clearTrailingStopLoss() }
    }
}

extension CTraderClient {
    /// Sends a market order that carries its stop loss and take profit (relative to the fill
    /// price) on the order itself; see ``CTraderOrderProtection`` and ``placeOrder(_:timeout:)``.
    ///
    /// - Throws: ``CTraderProtectionError/distanceNotPositive(field:)`` before anything is sent;
    ///   otherwise what ``placeOrder(_:timeout:)`` throws.
    public func placeMarketOrder(
        account: Int64,
        symbol: Int64,
        side: ProtoOATradeSide,
        volume: Int64,
        protection: CTraderOrderProtection,
        label: String? = nil,
        clientOrderId: String? = nil,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        try protection.validate()
        var order = ProtoOANewOrderReq.market(
            account: account, symbol: symbol, side: side, volume: volume, label: label, clientOrderId: clientOrderId)
        order.setProtection(protection)
        return try await placeOrder(order, timeout: timeout)
    }

    /// Sets a position's stop loss and keeps its take profit; see
    /// ``amendProtection(account:positionId:stopLoss:takeProfit:timeout:)``.
    public func amendStopLoss(
        account: Int64,
        positionId: Int64,
        to price: Decimal,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        try await amendProtection(
            account: account, positionId: positionId, stopLoss: .price(price), takeProfit: .keep, timeout: timeout)
    }

    /// Sets a position's take profit and keeps its stop loss; see
    /// ``amendProtection(account:positionId:stopLoss:takeProfit:timeout:)``.
    public func amendTakeProfit(
        account: Int64,
        positionId: Int64,
        to price: Decimal,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        try await amendProtection(
            account: account, positionId: positionId, stopLoss: .keep, takeProfit: .price(price), timeout: timeout)
    }

    /// Amends a position's stop loss and take profit (`ProtoOAAmendPositionSLTPReq`, 2110), each
    /// level as `stopLoss` and `takeProfit` say, and returns the amendment's execution event.
    ///
    /// The server clears a level the request leaves out, so a level to ``CTraderProtectionLevel/keep``
    /// is sent again as the position has it now. That is learned from the server just before:
    /// `ProtoOAReconcileReq` (2124), one more round trip, rather than the last execution event
    /// seen, which may be older than another client's amendment. The race that remains: a change
    /// to the kept level between the reconcile answer and the amendment (another client amending
    /// it, the server moving a trailing stop loss) is overwritten by the value read. A kept or
    /// new stop loss keeps the position's `trailingStopLoss`, `guaranteedStopLoss` and
    /// `stopLossTriggerMethod`.
    ///
    /// A trading request: never re-sent (see ``placeOrder(_:timeout:)``).
    ///
    /// - Throws: ``CTraderProtectionError/positionNotFound(_:)`` when reconcile lists no such
    ///   open position (nothing sent); the errors of ``reconcile(account:returnProtectionOrders:timeout:)``
    ///   and of the amendment (``CTraderError/Code/orderError`` with `TRADING_BAD_STOPS` for a level
    ///   on the wrong side of the market, ``CTraderError/Code/outcomeUnknown``).
    public func amendProtection(
        account: Int64,
        positionId: Int64,
        stopLoss: CTraderProtectionLevel = .keep,
        takeProfit: CTraderProtectionLevel = .keep,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        let state = try await reconcile(account: account, timeout: timeout)
        guard let position = state.position.first(where: { $0.positionID == positionId }) else {
            throw CTraderProtectionError.positionNotFound(positionId)
        }
        return try await amendProtection(
            of: position, account: account, stopLoss: stopLoss, takeProfit: takeProfit, timeout: timeout)
    }

    /// Amends `position` as ``amendProtection(account:positionId:stopLoss:takeProfit:timeout:)``
    /// does, with the kept levels taken from `position` as given (the caller's latest copy, e.g.
    /// from the last execution event of the position) instead of a reconcile: one round trip less,
    /// and as current as that copy.
    public func amendProtection(
        of position: ProtoOAPosition,
        account: Int64,
        stopLoss: CTraderProtectionLevel = .keep,
        takeProfit: CTraderProtectionLevel = .keep,
        timeout: Duration? = nil
    ) async throws -> ProtoOAExecutionEvent {
        let request = try Self.protectionAmendment(
            of: position, account: account, stopLoss: stopLoss, takeProfit: takeProfit)
        return try await send(request, expecting: ProtoOAExecutionEvent.self, timeout: timeout)
    }

    /// The `ProtoOAAmendPositionSLTPReq` that applies `stopLoss` and `takeProfit` to `position`:
    /// a kept level is the position's, sent again (a level the position lacks stays absent); a new
    /// level is the price given; a cleared level is left out. Pure: nothing is sent.
    public static func protectionAmendment(
        of position: ProtoOAPosition,
        account: Int64,
        stopLoss: CTraderProtectionLevel,
        takeProfit: CTraderProtectionLevel
    ) throws(CTraderProtectionError) -> ProtoOAAmendPositionSLTPReq {
        var request = ProtoOAAmendPositionSLTPReq()
        request.ctidTraderAccountID = account
        request.positionID = position.positionID
        switch stopLoss {
        case .keep: if position.hasStopLoss { request.stopLoss = position.stopLoss }
        case .price(let price): request.stopLoss = try Self.double(price)
        case .clear: break
        }
        switch takeProfit {
        case .keep: if position.hasTakeProfit { request.takeProfit = position.takeProfit }
        case .price(let price): request.takeProfit = try Self.double(price)
        case .clear: break
        }
        if request.hasStopLoss {
            if position.hasTrailingStopLoss { request.trailingStopLoss = position.trailingStopLoss }
            if position.hasGuaranteedStopLoss { request.guaranteedStopLoss = position.guaranteedStopLoss }
            if position.hasStopLossTriggerMethod { request.stopLossTriggerMethod = position.stopLossTriggerMethod }
        }
        return request
    }

    /// A price as the protocol's `double`: the nearest double to its decimal text.
    private static func double(_ price: Decimal) throws(CTraderProtectionError) -> Double {
        guard let value = Double(price.description), value.isFinite else { throw .priceNotRepresentable(price) }
        return value
    }
}
