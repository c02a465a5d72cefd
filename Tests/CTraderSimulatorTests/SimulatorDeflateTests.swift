// swift-ctrader: simulator tests: permessage-deflate between the client's connector and the
// simulator.

import CTraderChannel
import CTraderFraming
import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTestSupport
import CTraderWebSocket
import Foundation
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

    /// Sends `envelope` and returns the answer with its `clientMsgId`, skipping events.
    static func exchange(_ channel: WebSocketChannel, _ envelope: Envelope) async throws -> Envelope {
        try await channel.send(envelope)
        while let answer = try await channel.receive() {
            if answer.clientMsgId == envelope.clientMsgId { return answer }
        }
        throw CancellationError()
    }

    /// Authorizes the hedged account, then asks for the symbol list and for the details of every
    /// symbol many times over: a request and an answer of several KiB, both far larger than a
    /// 10-bit window, so that back references across the window's edge are exercised both ways.
    static func exchangeLargeMessages(_ channel: WebSocketChannel) async throws {
        let account = SimulatorIdentity.demoHedgedAccountId
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = account
        auth.accessToken = SimulatorIdentity.demoAccessToken
        let authorized = try await exchange(channel, Envelope(auth, clientMsgId: "account"))
        #expect(authorized.payloadType == .protoOaAccountAuthRes)

        var list = ProtoOASymbolsListReq()
        list.ctidTraderAccountID = account
        let listed = try await exchange(channel, Envelope(list, clientMsgId: "list"))
        let ids = try #require(listed.message(as: ProtoOASymbolsListRes.self)).symbol.map(\.symbolID)
        try #require(!ids.isEmpty)

        var details = ProtoOASymbolByIdReq()
        details.ctidTraderAccountID = account
        details.symbolID = (0..<600).map { ids[$0 % ids.count] }
        let answered = try await exchange(channel, Envelope(details, clientMsgId: "details"))
        let symbols = try #require(answered.message(as: ProtoOASymbolByIdRes.self)).symbol
        #expect(symbols.map(\.symbolID) == details.symbolID)
    }

    @Test func theDefaultsKeepEachConnectionsZlibStateSmall() {
        let configuration = Simulator.Configuration()
        #expect(configuration.acceptsPerMessageDeflate)
        #expect(configuration.perMessageDeflate == Simulator.Configuration.defaultPerMessageDeflate)
        #expect(configuration.perMessageDeflate.serverMaxWindowBits == 10)
        #expect(configuration.perMessageDeflate.clientMaxWindowBits == 10)
        #expect(!configuration.perMessageDeflate.serverNoContextTakeover)
        #expect(!configuration.perMessageDeflate.clientNoContextTakeover)
        #expect(configuration.compressionMemoryLevel == 2)
        #expect(Simulator.Configuration(compressionMemoryLevel: 0).compressionMemoryLevel == 1)
        #expect(Simulator.Configuration(compressionMemoryLevel: 12).compressionMemoryLevel == 9)
    }

    @Test func theHandshakeLimitsBothWindowsAndTheClientFollows() async throws {
        let simulator = try await Simulator.start(Simulator.Configuration(protobufPort: nil))
        defer { Task { await simulator.stop() } }
        try await withTimeout {
            let channel = try await Self.openClientChannel(simulator)
            let negotiated = try #require(channel.connection.negotiatedExtensions)
            #expect(negotiated.contains("permessage-deflate"))
            #expect(negotiated.contains("server_max_window_bits=10"))
            #expect(negotiated.contains("client_max_window_bits=10"))
            try await Self.exchangeLargeMessages(channel)
            await channel.close()
        }
    }

    @Test func aConfiguredDeflateSetupIsWhatTheHandshakeCarries() async throws {
        let simulator = try await Simulator.start(
            Simulator.Configuration(
                protobufPort: nil,
                perMessageDeflate: PerMessageDeflateServerConfiguration(
                    serverMaxWindowBits: 12, clientMaxWindowBits: 9),
                compressionMemoryLevel: 1))
        defer { Task { await simulator.stop() } }
        try await withTimeout {
            let channel = try await Self.openClientChannel(simulator)
            let negotiated = try #require(channel.connection.negotiatedExtensions)
            #expect(negotiated.contains("server_max_window_bits=12"))
            #expect(negotiated.contains("client_max_window_bits=9"))
            try await Self.exchangeLargeMessages(channel)
            await channel.close()
        }
    }

    @Test(.enabled(if: TestPeers.available(TestPeers.python)))
    func pythonsWebsocketsFollowsTheSimulatorsWindows() async throws {
        let simulator = try await Simulator.start(Simulator.Configuration(protobufPort: nil))
        defer { Task { await simulator.stop() } }
        // The package's Python peers live with the WebSocket tests (excluded from that target).
        let peers = TestPeers.packageRoot.appendingPathComponent("Tests/CTraderWebSocketTests/Peers")
        let client = try PeerProcess(
            try TestPeers.python(),
            [
                peers.appendingPathComponent("simulator_deflate_client.py").path, simulator.url,
                SimulatorIdentity.demoClientId, SimulatorIdentity.demoClientSecret,
                SimulatorIdentity.demoAccessToken, String(SimulatorIdentity.demoHedgedAccountId),
            ],
            currentDirectory: peers)
        defer { client.terminate() }
        let result = try await client.waitForLine(timeout: .seconds(120)) { $0.hasPrefix("RESULT ") }
        #expect(result.hasPrefix("RESULT OK "), "\(result); stderr: \(client.standardError)")
        #expect(result.contains("server_max_window_bits=10"), "\(result)")
        #expect(result.contains("client_max_window_bits=10"), "\(result)")
    }
}
