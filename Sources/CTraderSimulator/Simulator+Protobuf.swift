// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging
import CTraderTransport

/// Protobuf frames (4-byte big-endian length + `ProtoMessage`) over TCP or TLS, like port 5035.
struct ProtobufWire: SimulatorWire {
    let transport: any Transport
    let codec = BinaryEnvelopeCodec()

    func send(_ envelope: Envelope) async throws {
        try await transport.write(codec.encodeFrame(envelope))
    }

    func close() async {
        await transport.close()
    }

    func abort() async {
        await transport.close()
    }

    /// Reads frames until the stream ends, an error occurs, or a frame is too long.
    static func read(
        _ transport: any Transport, maximumFrameLength: Int,
        deliver: @Sendable (SimulatorEngine.Input) async -> Void
    ) async {
        let codec = BinaryEnvelopeCodec()
        var decoder = BinaryFrameDecoder(maximumFrameLength: maximumFrameLength)
        var buffer: [UInt8] = []
        while true {
            buffer.removeAll(keepingCapacity: true)
            do {
                if try await transport.read(into: &buffer, maxLength: 64 * 1024) == 0 { return }
            } catch {
                return
            }
            decoder.append(buffer)
            while true {
                let body: [UInt8]
                do throws(MessagingError) {
                    guard let next = try decoder.nextFrame() else { break }
                    body = next
                } catch {
                    await deliver(.undecodable(error))
                    return
                }
                do throws(MessagingError) {
                    await deliver(.envelope(try codec.decode(body)))
                } catch {
                    await deliver(.undecodable(error))
                }
            }
        }
    }
}

extension SimulatorCore {
    /// Accepts protobuf connections until the listener closes.
    nonisolated func serveProtobuf(_ listener: any TransportListener, maximumFrameLength: Int) async {
        await withDiscardingTaskGroup { group in
            while true {
                let transport: any Transport
                do {
                    transport = try await listener.accept()
                } catch {
                    return
                }
                group.addTask {
                    await self.run(wire: ProtobufWire(transport: transport)) { deliver in
                        await ProtobufWire.read(transport, maximumFrameLength: maximumFrameLength, deliver: deliver)
                    }
                }
            }
        }
    }
}
