// swift-ctrader: the local cTrader-compatible simulator.
//
// The only file that depends on CTraderWebSocket's API.

import CTraderFraming
import CTraderMessaging
import CTraderTransport
import CTraderWebSocket
import Logging

/// JSON envelopes in WebSocket text messages, like port 5036.
struct WebSocketWire: SimulatorWire {
    let connection: WebSocketConnection
    let transport: any Transport
    let codec: JSONEnvelopeCodec
    let style: SimulatorJSONStyle

    func send(_ envelope: Envelope) async throws {
        try await connection.send(text: style.encode(envelope, codec: codec))
    }

    func close() async {
        await connection.close()
    }

    func abort() async {
        await transport.close()
    }
}

extension SimulatorCore {
    /// Accepts WebSocket connections until the listener closes.
    nonisolated func serveWebSocket(_ listener: any TransportListener, maximumMessageSize: Int, style: SimulatorJSONStyle, logger: Logger) async {
        // The WebSocket layer's own limit sits above the server's, so that an oversized message
        // reaches the engine (and gets FRAME_TOO_LONG) instead of a bare close frame.
        let configuration = WebSocketConfiguration(
            maxFrameSize: maximumMessageSize * 2 + 1_024,
            maxMessageSize: maximumMessageSize * 2 + 1_024,
            perMessageDeflateAccept: nil,
            inboundQueueDepth: 64
        )
        let codec = JSONEnvelopeCodec(maximumMessageSize: maximumMessageSize, omitsEmptyPayload: true)
        await withDiscardingTaskGroup { group in
            while true {
                let transport: any Transport
                do {
                    transport = try await listener.accept()
                } catch {
                    return
                }
                group.addTask {
                    let connection: WebSocketConnection
                    do {
                        connection = try await WebSocketConnection.accept(transport, configuration: configuration, logger: logger)
                    } catch {
                        logger.debug("simulator: WebSocket handshake failed", metadata: ["error": "\(error)"])
                        return
                    }
                    let wire = WebSocketWire(connection: connection, transport: transport, codec: codec, style: style)
                    await self.run(wire: wire) { deliver in
                        for await message in connection.messages {
                            do throws(MessagingError) {
                                await deliver(.envelope(try codec.decode(message.data)))
                            } catch {
                                await deliver(.undecodable(error))
                            }
                        }
                    }
                    _ = await connection.waitUntilClosed()
                }
            }
        }
    }
}
