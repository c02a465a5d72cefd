// swift-ctrader: the cTrader Open API message layer.

/// The name of a server error: the `errorCode` of `ProtoOAErrorRes` (2142), `ProtoErrorRes` (50)
/// and `ProtoOAOrderErrorEvent` (2132), such as `"CH_CLIENT_AUTH_FAILURE"`.
///
/// An open value: every entry of `ProtoErrorCode` and `ProtoOAErrorCode` has a named constant
/// (the camel-cased name: `TRADING_BAD_VOLUME` is ``tradingBadVolume``, generated from the `.proto`
/// files), and any other name is representable too, so a code the server adds later (or one of
/// its other enums, such as `ProtoCHErrorCode`) still round-trips.
///
/// ```swift
/// let code = ErrorCode(rawValue: "ALREADY_LOGGED_IN")  // .alreadyLoggedIn
/// code == .alreadyLoggedIn                              // true
/// let other: ErrorCode = "SOME_NEW_CODE"                // not named, kept as is
/// other.rawValue                                        // "SOME_NEW_CODE"
/// ```
public struct ErrorCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The name on the wire.
    public let rawValue: String

    /// Wraps any name, named in the catalogue or not.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps any name: `ErrorCode(event.errorCode)`.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a string literal: `let code: ErrorCode = "MARKET_CLOSED"`.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// Whether the name is an entry of `ProtoErrorCode` or `ProtoOAErrorCode`.
    public var isNamed: Bool {
        ErrorCode.named.contains(self)
    }

    /// Every named error code, in catalogue order (`ProtoErrorCode` first).
    public static var allNamed: [ErrorCode] {
        catalogue.map(\.0)
    }

    /// The name.
    public var description: String {
        rawValue
    }

    private static let named: Set<ErrorCode> = Set(catalogue.map(\.0))
}
