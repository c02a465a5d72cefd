// swift-ctrader: test support for the channel tests.

import CTraderChannel
import CTraderMessaging
import CTraderTestSupport
import CTraderWebSocket
import Testing

/// Sends a request from `client` to `server` and an answer back, and checks both arrive whole.
func expectRequestAndAnswer(client: any CTraderChannel, server: any CTraderChannel) async throws {
    try await client.send(Envelope(ProtoOAVersionReq(), clientMsgId: "v1"))
    let request = try #require(try await withTimeout { try await server.receive() })
    #expect(request.payloadType == .protoOaVersionReq)
    #expect(request.clientMsgId == "v1")

    var response = ProtoOAVersionRes()
    response.version = "99"
    try await server.send(Envelope(response, clientMsgId: "v1"))
    let answer = try #require(try await withTimeout { try await client.receive() })
    #expect(answer.payloadType == .protoOaVersionRes)
    #expect((answer.message as? ProtoOAVersionRes)?.version == "99")
}

/// WebSocket settings for the tests: a handshake deadline far above what an in-memory handshake
/// needs, so that a machine slowed down by other suites does not fail a handshake that is merely
/// late.
let patientWebSocket = WebSocketConfiguration(handshakeTimeout: .seconds(60))
