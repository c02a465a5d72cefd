// swift-ctrader: channels of envelopes, for both the client and the server role.

/// The library's version, in one place: the `User-Agent` of every WebSocket handshake the cTrader
/// connectors open (`swift-ctrader/0.1.0`) is made from it. A release bumps ``string`` and nothing
/// else.
public enum CTraderVersion {
    /// The version, `major.minor.patch`.
    public static let string = "0.1.0"

    /// The `User-Agent` the cTrader connectors send: `swift-ctrader/<version>`.
    public static var userAgent: String { "swift-ctrader/\(string)" }
}
