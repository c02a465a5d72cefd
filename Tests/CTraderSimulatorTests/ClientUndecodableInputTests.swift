// swift-ctrader: a server message that does not decode never ends the client's session.

import CTraderMessaging
import CTraderSession
import CTraderSimulator
import Testing

/// Garbage the simulator sends on purpose, and the error the client reports for it.
struct Garbage: Sendable, CustomStringConvertible {
    var description: String
    var text: String
    var code: MessagingError.Code
}

let garbageSamples: [Garbage] = [
    Garbage(description: "malformed JSON", text: #"{"payloadType":2126,"payload":{"#, code: .malformedJSON),
    Garbage(
        description: "an unknown payloadType",
        text: #"{"payloadType":9999,"payload":{"news":1}}"#,
        code: .unknownPayloadType
    ),
    Garbage(
        description: "a wrong JSON type",
        text: #"{"payloadType":2126,"payload":{"ctidTraderAccountId":"not a number","executionType":2}}"#,
        code: .invalidPayload
    ),
    Garbage(
        description: "an unknown enum name in a required field",
        text: #"{"payloadType":2126,"payload":{"ctidTraderAccountId":1000001,"executionType":"ORDER_TELEPORTED"}}"#,
        code: .missingRequiredField
    ),
    Garbage(
        description: "a missing required field",
        text: #"{"payloadType":2126,"payload":{"ctidTraderAccountId":1000001}}"#,
        code: .missingRequiredField
    ),
]

@Suite("Client end to end: undecodable input", .timeLimit(.minutes(5)))
struct ClientUndecodableInputTests {
    @Test(arguments: garbageSamples)
    func garbageIsReportedOnceAndTheSessionGoesOn(_ garbage: Garbage) async throws {
        try await withSimulatorClient { simulator, client in
            let statuses = client.statusUpdates()
            try await connectAndAuthorize(client)
            var diagnostics = client.diagnostics().makeAsyncIterator()
            await simulator.faults.sendRaw(text: garbage.text)
            let diagnostic = try #require(await diagnostics.next())
            #expect(diagnostic.error.code == garbage.code)
            #expect(diagnostic.bytes == Array(garbage.text.utf8) || garbage.code == .unknownPayloadType)
            // The same connection answers the next request.
            let version = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(version.version == "simulator-1.0")
            #expect(client.undecodableCount == 1)
            #expect(await client.isReady)
            await client.shutdown()
            var seen: [SessionStatus] = []
            for await status in statuses { seen.append(status) }
            #expect(!seen.contains { if case .connectionLost = $0 { true } else { false } })
            #expect(await diagnostics.next() == nil)
        }
    }

    @Test func garbageBeforeAuthenticationDoesNotStopTheConnect() async throws {
        try await withSimulatorClient { simulator, client in
            let statuses = client.statusUpdates()
            var diagnostics = client.diagnostics().makeAsyncIterator()
            simulator.faults.sendRawToNextConnection(Array("not json".utf8))
            try await connectAndAuthorize(client)
            #expect(await diagnostics.next()?.error.code == .malformedJSON)
            #expect(client.undecodableCount == 1)
            await client.shutdown()
            var seen: [SessionStatus] = []
            for await status in statuses { seen.append(status) }
            #expect(!seen.contains { if case .connectionLost = $0 { true } else { false } })
        }
    }

    /// A server newer than the catalogue: an execution type the catalogue lacks is no error.
    @Test func anUnknownEnumValueInARequiredFieldIsDeliveredWithItsRawValue() async throws {
        try await withSimulatorClient { simulator, client in
            let executions = client.executions()
            var iterator = executions.makeAsyncIterator()
            try await connectAndAuthorize(client)
            await simulator.faults.sendRaw(
                text: #"{"payloadType":2126,"payload":{"ctidTraderAccountId":\#(hedged),"executionType":99}}"#
            )
            let event = try await nextMessage(&iterator)
            #expect(event.unrecognizedEnumValue(field: "executionType") == 99)
            #expect(!event.hasExecutionType)
            _ = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(client.undecodableCount == 0)
        }
    }

    @Test func aRateLimitedNonTradingRequestIsRetriedAndATradingOneIsNot() async throws {
        try await withSimulatorClient { simulator, client in
            try await connectAndAuthorize(client)
            await simulator.faults.refuseNextRequests(1, of: .protoOaVersionReq, retryAfter: 1)
            let version = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(version.version == "simulator-1.0")
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaVersionReq) == 2)

            await simulator.faults.refuseNextRequests(1, of: .protoOaNewOrderReq, retryAfter: 1)
            let error = await ctraderError { _ = try await client.send(order(.market)) }
            #expect(error?.errorCode == .requestFrequencyExceeded)
            // After the pause, the next request goes out; the order was not sent again.
            _ = try await client.send(ProtoOAVersionReq(), expecting: ProtoOAVersionRes.self)
            #expect(await simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 1)
        }
    }
}
