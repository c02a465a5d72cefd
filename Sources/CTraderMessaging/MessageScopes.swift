// swift-ctrader: the cTrader Open API message layer.

/// A message that names a trading account: every payload message with a `ctidTraderAccountId`
/// field conforms (generated from the `.proto` files, so a new message type cannot be missed).
///
/// The field is `required` in most messages and `optional` in some (``ProtoOAErrorRes``); either
/// way ``accountId`` is `nil` when the field is not set.
///
/// ```swift
/// (message as? any AccountScopedMessage)?.accountId  // the account, if the message names one
/// ```
public protocol AccountScopedMessage: CTraderMessage {
    /// The message's `ctidTraderAccountId`, or `nil` when the field is not set.
    var accountId: Int64? { get }
}

/// A message that names symbols: every payload message with a `symbolId` field, singular or
/// repeated, conforms (generated from the `.proto` files).
public protocol SymbolScopedMessage: CTraderMessage {
    /// The message's `symbolId` values: the repeated field's elements, or the singular field's
    /// value when set (none when not). A `uint64` value above `Int64.max` is left out.
    var symbolIds: [Int64] { get }
}

/// A trading request: a request the `.proto` files say is allowed only if the access token has
/// "trade" permissions (`ProtoOANewOrderReq`, `ProtoOACancelOrderReq`, `ProtoOAAmendOrderReq`,
/// `ProtoOAAmendPositionSLTPReq`, `ProtoOAClosePositionReq`). Generated from the `.proto`
/// comments; ``PayloadType/tradingRequests`` holds their payload types.
///
/// A trading request whose connection drops before the answer may or may not have been executed,
/// so it is never re-sent blindly.
public protocol TradingRequest: CTraderMessage {}
