// swift-ctrader: smaller behaviours of the session: redaction, many accounts, cancellation.

import CTraderMessaging
import CTraderSession
import Testing

@Suite(.timeLimit(.minutes(5))) struct SessionDetailsTests {
    @Test func secretsPrintRedacted() {
        let secret = CTraderSecret("abcdefghijklmnopqrstuvwxyz012345")
        #expect("\(secret)" == "abcd…(32 chars)")
        #expect(String(reflecting: secret) == "abcd…(32 chars)")
        #expect("\(CTraderSecret("short"))" == "…(5 chars)")
        let pair = CTraderTokenPair(
            ctidTraderAccountId: 1,
            accessToken: "ACCESS-0123456789",
            refreshToken: "REFRESH-0123456789",
            expiresIn: 60
        )
        #expect(!"\(pair)".contains("ACCESS-0123456789"))
        #expect(!"\(pair)".contains("REFRESH-0123456789"))
        #expect(!"\(testCredentials)".contains(testCredentials.clientSecret.value))
        let configuration = CTraderClientConfiguration(credentials: testCredentials)
        #expect(!"\(configuration)".contains(testCredentials.clientSecret.value))
        #expect(!String(reflecting: configuration).contains(testCredentials.clientSecret.value))
    }

    @Test func manyAccountsAreRestoredAndOneThatFailsIsReported() throws {
        var (machine, connection) = try readyMachine()
        for account: Int64 in [1, 2, 3] {
            let auth = machine.authorize(
                id(UInt64(10 + account)),
                account: account,
                accessToken: CTraderSecret("token-\(account)-abcdefgh"),
                refreshToken: nil,
                now: .zero
            ).sent[0]
            var res = ProtoOAAccountAuthRes()
            res.ctidTraderAccountID = account
            #expect(
                machine.received(reply(res, to: auth), on: connection, now: .zero).succeeded(id(UInt64(10 + account)))
            )
        }
        #expect(machine.authorizedAccounts == [1, 2, 3])
        _ = machine.connectionClosed(
            connection,
            error: CTraderError(code: .connectionLost, reason: "x"),
            now: .seconds(1)
        )
        #expect(machine.authorizedAccounts.isEmpty)
        let next = try #require(machine.tick(now: .seconds(10)).opened.first)
        let appAuth = machine.connectionOpened(next, now: .seconds(10)).sent[0]
        let auths = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth), on: next, now: .seconds(10)).sent
        #expect(auths.compactMap { $0.message(as: ProtoOAAccountAuthReq.self)?.ctidTraderAccountID } == [1, 2, 3])
        var statuses: [SessionStatus] = []
        for auth in auths {
            let account = try #require(auth.message(as: ProtoOAAccountAuthReq.self)).ctidTraderAccountID
            if account == 2 {
                statuses +=
                    machine.received(errorReply("CH_ACCESS_TOKEN_INVALID", to: auth), on: next, now: .seconds(10))
                    .statuses
            } else {
                var res = ProtoOAAccountAuthRes()
                res.ctidTraderAccountID = account
                statuses += machine.received(reply(res, to: auth), on: next, now: .seconds(10)).statuses
            }
        }
        #expect(machine.isReady)
        #expect(machine.authorizedAccounts == [1, 3])
        #expect(
            statuses.contains {
                if case .accountAuthorizationFailed(let account, let error) = $0 {
                    account == 2 && error.code == .authenticationFailed
                } else {
                    false
                }
            }
        )
        #expect(statuses.contains { if case .reconnected = $0 { true } else { false } })
    }

    @Test func requestsMadeWhileReconnectingWaitForTheConnection() throws {
        var (machine, connection) = try readyMachine()
        _ = machine.connectionClosed(connection, error: CTraderError(code: .connectionLost, reason: "x"), now: .zero)
        #expect(machine.request(id(20), message: ProtoOAVersionReq(), now: .zero).sent.isEmpty)
        #expect(machine.queuedRequestCount == 1)
        let next = try #require(machine.tick(now: .seconds(10)).opened.first)
        let appAuth = machine.connectionOpened(next, now: .seconds(10)).sent
        #expect(appAuth.map(\.payloadType) == [.protoOaApplicationAuthReq])
        let after = machine.received(reply(ProtoOAApplicationAuthRes(), to: appAuth[0]), on: next, now: .seconds(10))
            .sent
        #expect(after.map(\.payloadType) == [.protoOaVersionReq])
    }

    @Test func eventsOfAnAbandonedConnectionAreIgnored() throws {
        var (machine, connection) = try readyMachine()
        _ = machine.connectionClosed(connection, error: CTraderError(code: .connectionLost, reason: "x"), now: .zero)
        var spot = ProtoOASpotEvent()
        spot.ctidTraderAccountID = 1
        spot.symbolID = 1
        #expect(machine.received(Envelope(spot), on: connection, now: .seconds(1)).isEmpty)
    }

    @Test func aCancelledRequestFailsWithCancelled() async throws {
        let server = FakeServer()
        let client = makeClient(server)
        let connection = try await connectClient(client, server: server)
        let task = Task { try await client.send(ProtoOAVersionReq()) }
        _ = try await connection.expect(ProtoOAVersionReq.self)
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("the request should fail")
        } catch {
            expectCTraderError(error, .cancelled)
        }
        await client.shutdown()
    }

    @Test func requestsBeforeConnectFailWithNotConnected() async throws {
        let client = CTraderClient(
            configuration: makeConfiguration(server: FakeServer(), clock: ManualClock()),
            logger: quietLogger
        )
        do {
            _ = try await client.send(ProtoOAVersionReq())
            Issue.record("the request should fail")
        } catch {
            expectCTraderError(error, .notConnected)
        }
    }
}
