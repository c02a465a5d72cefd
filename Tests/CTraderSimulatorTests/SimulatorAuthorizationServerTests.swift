// swift-ctrader: the simulator as the OAuth authorization server, over plain HTTP: the page
// checks the client and the redirect URI, the token endpoint answers like cTrader's, codes and
// refresh tokens are single-use, and its tokens are the engine's.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import CTraderTransport
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(2))) struct SimulatorAuthorizationServerTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test.auth")
        logger.logLevel = .critical
        return logger
    }()

    struct Answer {
        var status: Int
        var location: String?
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
        }
    }

    /// A plain `GET` (the server closes after each answer).
    static func get(_ port: Int, _ target: String) async throws -> Answer {
        let transport = try await TCPTransport.connect(host: "127.0.0.1", port: port, logger: quiet)
        try await transport.write(Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        var buffer: [UInt8] = []
        while try await transport.read(into: &buffer, maxLength: 65_536) > 0 {}
        await transport.close()
        let text = String(decoding: buffer, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        let location = head.first { $0.lowercased().hasPrefix("location:") }.map {
            String($0.dropFirst("location:".count)).trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, location: location, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func start(acceptsAnyLoopbackPort: Bool = true) async throws -> (Simulator, SimulatorAuthorizationServer) {
        var configuration = Simulator.Configuration(protobufPort: nil, engine: .init(seed: 3))
        configuration.authorization = .init(acceptsAnyLoopbackPort: acceptsAnyLoopbackPort)
        let simulator = try await Simulator.start(configuration, logger: quiet)
        return (simulator, try #require(simulator.authorizationServer))
    }

    static func authorize(_ redirect: String, client: String = SimulatorIdentity.demoClientId) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = redirect.addingPercentEncoding(withAllowedCharacters: allowed) ?? redirect
        return "\(SimulatorAuthorizationServer.authorizationPath)?client_id=\(client)&redirect_uri=\(encoded)"
            + "&scope=trading&state=xyz"
    }

    static func code(from location: String?) throws -> String {
        let query = try #require(location?.split(separator: "?").last)
        let item = try #require(query.split(separator: "&").first { $0.hasPrefix("code=") })
        return String(item.dropFirst("code=".count))
    }

    @Test func thePageChecksTheClientAndTheRedirectURI() async throws {
        let (simulator, server) = try await Self.start()
        defer { Task { await simulator.stop() } }
        #expect(server.authorizationURL.hasSuffix(SimulatorAuthorizationServer.authorizationPath))
        let unknown = try await Self.get(
            server.port, Self.authorize("http://127.0.0.1:5005/callback", client: "nobody"))
        #expect(unknown.status == 400)
        let unregistered = try await Self.get(server.port, Self.authorize("http://evil.example/callback"))
        #expect(unregistered.status == 400)
        #expect(unregistered.location == nil)
        let otherPath = try await Self.get(server.port, Self.authorize("http://127.0.0.1:5005/other"))
        #expect(otherPath.status == 400)
        let good = try await Self.get(server.port, Self.authorize("http://127.0.0.1:41234/callback"))
        #expect(good.status == 302)
        #expect(good.location?.hasPrefix("http://127.0.0.1:41234/callback?code=") == true)
        #expect(good.location?.hasSuffix("&state=xyz") == true)
        #expect(server.codesIssued == 1)
    }

    @Test func exactMatchingRefusesAnotherPort() async throws {
        let (simulator, server) = try await Self.start(acceptsAnyLoopbackPort: false)
        defer { Task { await simulator.stop() } }
        #expect(try await Self.get(server.port, Self.authorize("http://127.0.0.1:41234/callback")).status == 400)
        #expect(try await Self.get(server.port, Self.authorize("http://127.0.0.1:5005/callback")).status == 302)
    }

    @Test func codesAndRefreshTokensAreSingleUseAndTheEngineAgrees() async throws {
        let (simulator, server) = try await Self.start()
        defer { Task { await simulator.stop() } }
        let redirect = "http://127.0.0.1:5005/callback"
        let code = try Self.code(from: try await Self.get(server.port, Self.authorize(redirect)).location)
        let exchange =
            "\(SimulatorAuthorizationServer.tokenPath)?grant_type=authorization_code&code=\(code)"
            + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5005%2Fcallback&client_id=\(SimulatorIdentity.demoClientId)"
            + "&client_secret=\(SimulatorIdentity.demoClientSecret)"
        let first = try await Self.get(server.port, exchange)
        #expect(first.status == 200)
        let access = try #require(first.json["accessToken"] as? String)
        let refresh = try #require(first.json["refreshToken"] as? String)
        #expect(first.json["tokenType"] as? String == "bearer")
        #expect((first.json["expiresIn"] as? NSNumber)?.int64Value == 2_628_000)
        let again = try await Self.get(server.port, exchange)
        #expect(again.json["errorCode"] as? String == "INVALID_GRANT")

        let refreshing =
            "\(SimulatorAuthorizationServer.tokenPath)?grant_type=refresh_token&refresh_token=\(refresh)"
            + "&client_id=\(SimulatorIdentity.demoClientId)&client_secret=\(SimulatorIdentity.demoClientSecret)"
        let second = try await Self.get(server.port, refreshing)
        let newAccess = try #require(second.json["accessToken"] as? String)
        #expect(try await Self.get(server.port, refreshing).json["errorCode"] as? String == "INVALID_GRANT")
        let wrongSecret = refreshing.replacingOccurrences(of: SimulatorIdentity.demoClientSecret, with: "nope")
        #expect(try await Self.get(server.port, wrongSecret).json["errorCode"] as? String == "INVALID_CLIENT")
        #expect(server.tokenRequests == 5)

        // The WebSocket side: the refreshed token works, the old one is refused.
        let client = CTraderClient(
            configuration: CTraderClientConfiguration(
                endpoint: .url(simulator.url),
                credentials: CTraderCredentials(
                    clientId: SimulatorIdentity.demoClientId, clientSecret: SimulatorIdentity.demoClientSecret),
                requestTimeout: .seconds(60), reconnect: CTraderReconnectPolicy(maximumAttempts: 0)),
            logger: Self.quiet)
        try await client.connect()
        #expect(try await client.accounts(accessToken: newAccess).count == 2)
        await #expect(throws: CTraderError.self) { _ = try await client.accounts(accessToken: access) }
        await client.shutdown()
    }
}
