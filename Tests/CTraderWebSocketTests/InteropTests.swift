import CTraderFraming
import CTraderTestSupport
import CTraderTransport
import CTraderWebSocket
import Foundation
import Testing

/// One interop configuration: TLS or not, and a permessage-deflate mode both ends agree on.
struct InteropConfiguration: Sendable, CustomTestStringConvertible {
    var tls: Bool
    /// `none`, `default`, `no_context` (both no-context-takeover flags) or `window`
    /// (server_max_window_bits=10, client_max_window_bits=11); see Peers/common.py.
    var mode: String

    var testDescription: String { "\(tls ? "wss" : "ws") \(mode)" }

    static let all: [InteropConfiguration] = [false, true].flatMap { tls in
        ["none", "default", "no_context", "window"].map { InteropConfiguration(tls: tls, mode: $0) }
    }

    /// What our client offers.
    var clientOffer: WebSocketClientHandshake.ExtensionOffer {
        switch mode {
        case "default": .perMessageDeflate(PerMessageDeflateClientConfiguration())
        case "no_context":
            .perMessageDeflate(
                PerMessageDeflateClientConfiguration(serverNoContextTakeover: true, clientNoContextTakeover: true))
        case "window":
            .perMessageDeflate(
                PerMessageDeflateClientConfiguration(serverMaxWindowBits: 10, clientMaxWindowBits: .bits(11)))
        default: .none
        }
    }

    /// What our server accepts.
    var serverAccept: PerMessageDeflateServerConfiguration? {
        switch mode {
        case "default": PerMessageDeflateServerConfiguration()
        case "no_context":
            PerMessageDeflateServerConfiguration(serverNoContextTakeover: true, clientNoContextTakeover: true)
        case "window": PerMessageDeflateServerConfiguration(serverMaxWindowBits: 10, clientMaxWindowBits: 11)
        default: nil
        }
    }

    /// Parameters the negotiated extension must contain (`nil`: no extension).
    var expectedParameters: [String]? {
        switch mode {
        case "default": ["permessage-deflate"]
        case "no_context": ["permessage-deflate", "server_no_context_takeover", "client_no_context_takeover"]
        case "window": ["permessage-deflate", "server_max_window_bits=10", "client_max_window_bits=11"]
        default: nil
        }
    }

    func checkExtensions(_ negotiated: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let expected = expectedParameters else {
            #expect(negotiated == nil || negotiated == "-", sourceLocation: sourceLocation)
            return
        }
        let value = negotiated ?? ""
        for parameter in expected {
            #expect(value.contains(parameter), "\(value) lacks \(parameter)", sourceLocation: sourceLocation)
        }
    }
}

/// The message sizes every interop test exchanges.
let interopSizes = [0, 125, 64 * 1024, 4 * 1024 * 1024]

extension ProcessTests {
    @Suite(.enabled(if: TestPeers.available(TestPeers.python)))
    struct Interop {
        @Test(arguments: InteropConfiguration.all)
        func ourClientAgainstWebsocketsServer(configuration: InteropConfiguration) async throws {
            let python = try TestPeers.python()
            var arguments = [peersDirectory.appendingPathComponent("echo_server.py").path, configuration.mode]
            var tls = TLSConfiguration.client()
            if configuration.tls {
                let certificates = try await TestCertificates.shared.value
                arguments += [certificates.serverCertificate, certificates.serverKey]
                tls = .client(trustedCAFile: certificates.caFile)
            }
            let server = try PeerProcess(python, arguments, currentDirectory: peersDirectory)
            defer { server.terminate() }
            let ready = try await server.waitForLine { $0.hasPrefix("READY ") }
            let port = try #require(Int(ready.dropFirst("READY ".count)))

            try await withTimeout(.seconds(120)) { [tls] in
                var webSocketConfiguration = WebSocketConfiguration()
                webSocketConfiguration.perMessageDeflateOffer = configuration.clientOffer
                let url = "\(configuration.tls ? "wss" : "ws")://localhost:\(port)/echo"
                let client = try await WebSocketConnection.connect(
                    to: url, configuration: webSocketConfiguration, tls: tls, logger: testLogger)
                configuration.checkExtensions(client.negotiatedExtensions)
                var iterator = client.messages.makeAsyncIterator()
                for (seed, size) in interopSizes.enumerated() {
                    let binary = pattern(size, seed: seed)
                    let text = String(repeating: "é", count: size / 2) + String(repeating: "x", count: size % 2)
                    try await client.send(binary)
                    #expect(await iterator.next() == WebSocketMessage(binary: binary), "binary \(size)")
                    try await client.send(text: text)
                    #expect(await iterator.next() == WebSocketMessage(text: text), "text \(size)")
                    try await client.send(binary, fragmentSize: size / 4 + 1)
                    #expect(await iterator.next() == WebSocketMessage(binary: binary), "fragmented \(size)")
                }
                try await client.ping([1, 2, 3])
                await client.close(code: .normalClosure, reason: "done")
                let status = await client.waitUntilClosed()
                #expect(status.code == .normalClosure)
                #expect(status.wasClean)
            }
            let closed = try await server.waitForLine { $0.hasPrefix("CLOSED ") }
            #expect(closed.hasPrefix("CLOSED 1000"))
        }

        @Test(arguments: InteropConfiguration.all)
        func websocketsClientAgainstOurServer(configuration: InteropConfiguration) async throws {
            let python = try TestPeers.python()
            var webSocketConfiguration = WebSocketConfiguration()
            webSocketConfiguration.perMessageDeflateAccept = configuration.serverAccept
            let listener: any TransportListener
            var arguments: [String] = []
            if configuration.tls {
                let certificates = try await TestCertificates.shared.value
                listener = try await TLSListener.bind(
                    port: 0,
                    configuration: .server(
                        certificateChainFile: certificates.serverCertificate, privateKeyFile: certificates.serverKey),
                    logger: testLogger)
                arguments = [certificates.caFile]
            } else {
                listener = try await TCPListener.bind(port: 0, logger: testLogger)
            }
            let server = WebSocketServer(listener: listener, configuration: webSocketConfiguration, logger: testLogger)
            { connection in
                for await message in connection.messages {
                    let fragmentSize = message.data.count > 32 * 1024 ? 16 * 1024 : nil
                    try? await connection.send(message.data, opcode: message.opcode, fragmentSize: fragmentSize)
                }
            }
            let serving = Task { await server.run() }
            defer { serving.cancel() }

            let url = "\(configuration.tls ? "wss" : "ws")://localhost:\(listener.port)/echo"
            let client = try PeerProcess(
                python,
                [peersDirectory.appendingPathComponent("echo_client.py").path, url, configuration.mode] + arguments,
                currentDirectory: peersDirectory)
            defer { client.terminate() }
            let result = try await client.waitForLine(timeout: .seconds(120)) { $0.hasPrefix("RESULT ") }
            #expect(result.hasPrefix("RESULT OK"), "\(result); stderr: \(client.standardError)")
            if result.hasPrefix("RESULT OK ") {
                configuration.checkExtensions(String(result.dropFirst("RESULT OK ".count)))
            }
            client.terminate()
            await server.close()
            // Every handler returns once its connection ends, which the peer's exit ensures.
            try await withTimeout(.seconds(180), "the server's handlers after close") { await serving.value }
        }
    }
}
