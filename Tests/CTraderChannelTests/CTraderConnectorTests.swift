// swift-ctrader: tests of the connectors' defaults: compression and the User-Agent.

import CTraderChannel
import CTraderFraming
import CTraderMessaging
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(5))) struct CTraderConnectorTests {
    /// A connector's client channel and the server channel it reached, over an in-memory pair;
    /// the server accepts permessage-deflate (the WebSocket layer's default).
    static func pair(
        configuration: WebSocketConfiguration? = nil
    ) async throws -> (client: WebSocketChannel, server: WebSocketChannel) {
        let listener = CTraderChannelListener.webSocket(InMemoryListener())
        let memory = try #require(listener.transportListener as? InMemoryListener)
        let connector =
            if let configuration {
                CTraderConnector.webSocket(host: "localhost", configuration: configuration) { try memory.connect() }
            } else {
                CTraderConnector.webSocket(host: "localhost") { try memory.connect() }
            }
        async let server = listener.accept()
        let client = try await withTimeout { try await connector.open(logger: Logger(label: "test")) }
        return (try #require(client as? WebSocketChannel), try #require(try await server as? WebSocketChannel))
    }

    /// A symbol list as large as a broker's: 1,000 symbols.
    static func symbolList() -> ProtoOASymbolsListRes {
        var list = ProtoOASymbolsListRes()
        list.ctidTraderAccountID = 1_000_001
        list.symbol = (1...1_000).map { id in
            var symbol = ProtoOALightSymbol()
            symbol.symbolID = Int64(id)
            symbol.symbolName = "SYM\(id)"
            symbol.enabled = true
            symbol.baseAssetID = Int64(id % 40)
            symbol.quoteAssetID = Int64(id % 7)
            symbol.symbolCategoryID = Int64(id % 12)
            symbol.description_p = "Symbol number \(id) against the dollar"
            return symbol
        }
        return list
    }

    @Test func theWebSocketConnectorOffersDeflateAndNamesTheLibraryByDefault() async throws {
        let (client, server) = try await Self.pair()
        let negotiated = try #require(client.connection.negotiatedExtensions)
        #expect(negotiated.contains("permessage-deflate"))
        #expect(!negotiated.contains("no_context_takeover"))
        #expect(server.connection.negotiatedExtensions == negotiated)
        #expect(server.connection.requestHeaders?["User-Agent"] == [CTraderVersion.userAgent])

        try await expectRequestAndAnswer(client: client, server: server)
        try await server.send(Envelope(Self.symbolList(), clientMsgId: "symbols"))
        let answer = try #require(try await withTimeout { try await client.receive() })
        #expect(answer.clientMsgId == "symbols")
        #expect((answer.message as? ProtoOASymbolsListRes) == Self.symbolList())
        await client.close()
    }

    @Test func theOffSwitchOffersNoExtension() async throws {
        var configuration = WebSocketConfiguration.cTraderClient
        configuration.perMessageDeflateOffer = .none
        let (client, server) = try await Self.pair(configuration: configuration)
        #expect(client.connection.negotiatedExtensions == nil)
        #expect(server.connection.negotiatedExtensions == nil)
        #expect(server.connection.requestHeaders?["User-Agent"] == [CTraderVersion.userAgent])
        try await expectRequestAndAnswer(client: client, server: server)
        await client.close()
    }

    @Test func theUserAgentNamesTheVersion() {
        #expect(CTraderVersion.userAgent == "swift-ctrader/\(CTraderVersion.string)")
        let parts = CTraderVersion.string.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "\(CTraderVersion.string)")
        #expect(WebSocketConfiguration.cTraderClient.userAgent == CTraderVersion.userAgent)
    }

    /// Python's `websockets` (an implementation nobody here wrote) as the server: deflate is
    /// negotiated by default, an envelope comes back whole, and the server saw the User-Agent.
    @Test(.enabled(if: TestPeers.available(TestPeers.python)))
    func deflateIsNegotiatedWithPythonWebsockets() async throws {
        let (server, port) = try await PeerProcess.pythonEchoServer()
        defer { server.terminate() }

        let connector = CTraderConnector.webSocket(url: "ws://127.0.0.1:\(port)/")
        let channel = try #require(
            try await withTimeout { try await connector.open(logger: Logger(label: "test")) } as? WebSocketChannel)
        #expect(channel.connection.negotiatedExtensions?.contains("permessage-deflate") == true)
        let opened = try await server.waitForLine { $0.hasPrefix("OPEN ") }
        #expect(opened == "OPEN \(CTraderVersion.userAgent)")

        try await channel.send(Envelope(Self.symbolList(), clientMsgId: "echo"))
        let echoed = try #require(try await withTimeout { try await channel.receive() })
        #expect(echoed.clientMsgId == "echo")
        #expect((echoed.message as? ProtoOASymbolsListRes) == Self.symbolList())
        await channel.close()
        let closed = try await server.waitForLine { $0.hasPrefix("CLOSED ") }
        #expect(closed.hasPrefix("CLOSED 1000 permessage-deflate"))
    }
}
