// swift-ctrader: simulator tests: permessage-deflate between the client's connector and the
// simulator.

import CTraderChannel
import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import CTraderWebSocket
import Logging
import Testing

extension SimulatorServerTests {
    /// Opens a channel the way a ``CTraderClient`` with this configuration does, and runs the
    /// application authorization over it.
    static func openClientChannel(
        _ simulator: Simulator, configure: (inout CTraderClientConfiguration) -> Void = { _ in }
    ) async throws -> WebSocketChannel {
        var configuration = CTraderClientConfiguration(
            endpoint: .url(simulator.url),
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret))
        configure(&configuration)
        let channel = try await configuration.connector.open(logger: Logger(label: "test"))
        var request = ProtoOAApplicationAuthReq()
        request.clientID = SimulatorIdentity.demoClientId
        request.clientSecret = SimulatorIdentity.demoClientSecret
        try await channel.send(Envelope(request, clientMsgId: "app"))
        var answer = try await channel.receive()
        while answer?.payloadType == .heartbeatEvent { answer = try await channel.receive() }
        #expect(answer?.payloadType == .protoOaApplicationAuthRes)
        #expect(answer?.clientMsgId == "app")
        return try #require(channel as? WebSocketChannel)
    }

    @Test func theClientNegotiatesDeflateWithTheSimulatorByDefault() async throws {
        let simulator = try await Simulator.start(Simulator.Configuration(protobufPort: nil))
        defer { Task { await simulator.stop() } }
        try await withTimeout {
            let channel = try await Self.openClientChannel(simulator)
            let negotiated = try #require(channel.connection.negotiatedExtensions)
            #expect(negotiated.contains("permessage-deflate"))
            #expect(!negotiated.contains("no_context_takeover"))
            await channel.close()
        }
    }

    @Test func eitherOffSwitchLeavesTheConnectionUncompressed() async throws {
        let declining = try await Simulator.start(
            Simulator.Configuration(protobufPort: nil, acceptsPerMessageDeflate: false))
        defer { Task { await declining.stop() } }
        let accepting = try await Simulator.start(Simulator.Configuration(protobufPort: nil))
        defer { Task { await accepting.stop() } }
        try await withTimeout {
            let declined = try await Self.openClientChannel(declining)
            #expect(declined.connection.negotiatedExtensions == nil)
            await declined.close()

            let notOffered = try await Self.openClientChannel(accepting) { configuration in
                configuration.webSocket.perMessageDeflateOffer = .none
            }
            #expect(notOffered.connection.negotiatedExtensions == nil)
            await notOffered.close()
        }
    }
}
