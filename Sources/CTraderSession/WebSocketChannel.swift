// swift-ctrader: the cTrader Open API session layer.
//
// The only file that knows the CTraderWebSocket API. Until the WebSocket connection lands, the
// JSON connector reports that it is unavailable.

public import CTraderTransport

extension CTraderConnector {
    /// JSON over WebSocket: `wss://live.ctraderapi.com:5036`, `wss://demo.ctraderapi.com:5036`, or
    /// a `ws://` URL of a local server.
    public static func webSocket(url: String, tls: TLSConfiguration = .client()) -> CTraderConnector {
        CTraderConnector(description: url) { _ in
            throw CTraderError(code: .connectionFailed, reason: "the WebSocket connector is not available yet")
        }
    }
}
