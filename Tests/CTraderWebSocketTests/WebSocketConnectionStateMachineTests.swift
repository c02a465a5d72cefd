import CTraderFraming
import CTraderWebSocket
import Testing

@Suite(.timeLimit(.minutes(5))) struct WebSocketConnectionStateMachineTests {
    let t0 = ContinuousClock.now

    private func closePayload(_ action: WebSocketConnectionStateMachine.Action) -> [UInt8]? {
        switch action {
        case .send(let frame), .sendAndCloseTransport(let frame), .sendAndShutdownWrite(let frame):
            return frame.opcode == .close ? Array(frame.payload) : nil
        default:
            return nil
        }
    }

    @Test func pingIsAnsweredWithSamePayload() {
        var machine = WebSocketConnectionStateMachine(role: .server, now: t0)
        let action = machine.receivedPing([1, 2, 3], now: t0)
        guard case .send(let frame) = action else {
            Issue.record("expected a pong, got \(action)")
            return
        }
        #expect(frame.opcode == .pong)
        #expect(Array(frame.payload) == [1, 2, 3])
        #expect(frame.maskingKey == nil)
    }

    @Test func clientControlFramesAreMasked() {
        var machine = WebSocketConnectionStateMachine(role: .client, now: t0)
        guard case .send(let frame) = machine.receivedPing([9], now: t0) else {
            Issue.record("expected a pong")
            return
        }
        #expect(frame.maskingKey != nil)
    }

    @Test func peerStartedCloseIsEchoedAndServerClosesTransportFirst() {
        var server = WebSocketConnectionStateMachine(role: .server, now: t0)
        let action = server.receivedClose(code: .goingAway, reason: "bye", now: t0)
        guard case .sendAndCloseTransport(let frame) = action else {
            Issue.record("server must echo and close TCP, got \(action)")
            return
        }
        #expect(Array(frame.payload) == [0x03, 0xE9])
        #expect(!server.canSendData)
        let status = server.transportClosed()
        #expect(status == WebSocketCloseStatus(code: .goingAway, reason: "bye", wasClean: true))
    }

    @Test func clientEchoesCloseThenWaitsForServerToCloseTransport() {
        var client = WebSocketConnectionStateMachine(role: .client, closeTimeout: .seconds(5), now: t0)
        let action = client.receivedClose(code: .normalClosure, reason: "", now: t0)
        guard case .send(let frame) = action else {
            Issue.record("client must echo and wait, got \(action)")
            return
        }
        #expect(frame.opcode == .close)
        #expect(client.nextDeadline == t0 + .seconds(5))
        let result1 = client.tick(now: t0 + .seconds(4))
        #expect(result1 == .none)
        let result2 = client.tick(now: t0 + .seconds(5))
        #expect(result2 == .closeTransport)
        let result3 = client.transportClosed()
        #expect(result3.wasClean)
    }

    @Test func serverEchoGetsTheCloseTimeoutBeforeTheTimerClosesTheTransport() {
        var server = WebSocketConnectionStateMachine(role: .server, closeTimeout: .seconds(3), now: t0)
        let action = server.receivedClose(code: .normalClosure, reason: "", now: t0)
        guard case .sendAndCloseTransport = action else {
            Issue.record("expected echo + transport close, got \(action)")
            return
        }
        // The owner closes the transport after writing the echo; the timer must not beat it.
        #expect(server.nextDeadline == t0 + .seconds(3))
        #expect(server.tick(now: t0) == .none)
        #expect(server.tick(now: t0 + .seconds(3)) == .closeTransport)
        #expect(server.transportClosed() == WebSocketCloseStatus(code: .normalClosure, wasClean: true))
    }

    @Test func emptyCloseIsAnsweredWithEmptyCloseAndReports1005() {
        var server = WebSocketConnectionStateMachine(role: .server, now: t0)
        let action = server.receivedClose(code: nil, reason: "", now: t0)
        #expect(closePayload(action) == [])
        let result4 = server.transportClosed()
        #expect(result4.code == .noStatusReceived)
    }

    @Test func locallyStartedCloseCompletesWhenPeerAnswers() {
        var client = WebSocketConnectionStateMachine(role: .client, now: t0)
        let action = client.close(code: .normalClosure, reason: "done", now: t0)
        #expect(closePayload(action) == [0x03, 0xE8] + Array("done".utf8))
        #expect(!client.canSendData)
        let result5 = client.close(now: t0)
        #expect(result5 == .none)  // a second close sends nothing
        let result6 = client.receivedClose(code: .normalClosure, reason: "", now: t0)
        #expect(result6 == .none)
        let status = client.transportClosed()
        #expect(status.wasClean)
        #expect(status.code == .normalClosure)
    }

    @Test func closeTimeoutClosesTransportWhenPeerNeverAnswers() {
        var server = WebSocketConnectionStateMachine(role: .server, closeTimeout: .seconds(2), now: t0)
        _ = server.close(now: t0)
        #expect(server.nextDeadline == t0 + .seconds(2))
        let result7 = server.tick(now: t0 + .seconds(1))
        #expect(result7 == .none)
        let result8 = server.tick(now: t0 + .seconds(2))
        #expect(result8 == .closeTransport)
        let status = server.transportClosed()
        #expect(!status.wasClean)
        #expect(status.code == .abnormalClosure)
    }

    @Test func protocolErrorSendsTheRFCCodeAndClosesTransport() {
        var client = WebSocketConnectionStateMachine(role: .client, now: t0)
        let error = WebSocketFramingError.invalidData(.invalidUTF8, "bad text")
        let action = client.failed(error, now: t0)
        guard case .sendAndShutdownWrite(let frame) = action else {
            Issue.record("expected close + half-close, got \(action)")
            return
        }
        #expect(Array(frame.payload.prefix(2)) == [0x03, 0xEF])  // 1007
        // The close frame gets up to the close timeout to go out before the timer gives up.
        #expect(client.nextDeadline == t0 + .seconds(10))
        #expect(client.tick(now: t0 + .seconds(1)) == .none)
        #expect(!client.canSendData)
        let result9 = client.transportClosed()
        #expect(result9.code == .invalidFramePayloadData)
    }

    @Test func autoPingThenDeadConnection() {
        var machine = WebSocketConnectionStateMachine(
            role: .client, autoPing: .enabled(interval: .seconds(10), timeout: .seconds(5)), now: t0)
        #expect(machine.nextDeadline == t0 + .seconds(10))
        let result10 = machine.tick(now: t0 + .seconds(9))
        #expect(result10 == .none)
        guard case .send(let ping) = machine.tick(now: t0 + .seconds(10)) else {
            Issue.record("expected a ping")
            return
        }
        #expect(ping.opcode == .ping)
        #expect(machine.nextDeadline == t0 + .seconds(15))
        let result11 = machine.tick(now: t0 + .seconds(15))
        #expect(result11 == .closeTransport)
        let result12 = machine.transportClosed()
        #expect(result12.code == .abnormalClosure)
    }

    @Test func anyFrameKeepsAutoPingedConnectionAlive() {
        var machine = WebSocketConnectionStateMachine(
            role: .server, autoPing: .enabled(interval: .seconds(10), timeout: .seconds(5)), now: t0)
        _ = machine.tick(now: t0 + .seconds(10))
        let result13 = machine.receivedData(now: t0 + .seconds(12))
        #expect(result13)
        let result14 = machine.tick(now: t0 + .seconds(15))
        #expect(result14 == .none)
        #expect(machine.nextDeadline == t0 + .seconds(22))
    }

    @Test func dataAfterPeerCloseIsDropped() {
        var client = WebSocketConnectionStateMachine(role: .client, now: t0)
        _ = client.receivedClose(code: .normalClosure, reason: "", now: t0)
        let result15 = client.receivedData(now: t0)
        #expect(!result15)
    }

    @Test func transportDropWithoutCloseIsAbnormal() {
        var machine = WebSocketConnectionStateMachine(role: .client, now: t0)
        let status = machine.transportClosed()
        #expect(status.code == .abnormalClosure)
        #expect(!status.wasClean)
    }

    @Test func longCloseReasonIsCutAtACharacterBoundary() {
        var machine = WebSocketConnectionStateMachine(role: .server, now: t0)
        let reason = String(repeating: "é", count: 100)  // 200 UTF-8 bytes
        guard let payload = closePayload(machine.close(code: .goingAway, reason: reason, now: t0)) else {
            Issue.record("expected a close frame")
            return
        }
        #expect(payload.count <= 125)
        #expect(String(validating: payload.dropFirst(2), as: UTF8.self) != nil)
        #expect(payload.count == 2 + 122)
    }
}

/// Pongs owed are coalesced (issue 19): a flood of pings owes one pong, with the latest payload.
@Suite(.timeLimit(.minutes(5))) struct WebSocketConnectionStateMachinePongTests {
    let t0 = ContinuousClock.now

    @Test(arguments: [WebSocketRole.client, .server])
    func aFloodOfPingsOwesOnePongWithTheLatestPayload(role: WebSocketRole) throws {
        var machine = WebSocketConnectionStateMachine(role: role, now: t0)
        var sends = 0
        for i in 0..<1000 {
            let payload = Array("ping \(i)".utf8)[...]
            if case .send(let frame) = machine.receivedPing(payload, now: t0) {
                #expect(frame.opcode == .pong)
                sends += 1
            }
            #expect(machine.owedPongCount == 1)
        }
        #expect(sends == 1)
        let taken = machine.takeOwedPong()
        let pong = try #require(taken)
        #expect(pong.opcode == .pong)
        #expect(Array(pong.payload) == Array("ping 999".utf8))
        #expect((pong.maskingKey != nil) == (role == .client))
        #expect(machine.owedPongCount == 0)
        #expect(machine.takeOwedPong() == nil)
    }

    @Test func aPingAfterThePongWasTakenOwesANewOne() {
        var machine = WebSocketConnectionStateMachine(role: .server, now: t0)
        guard case .send = machine.receivedPing([1], now: t0) else {
            Issue.record("expected a pong")
            return
        }
        #expect(machine.takeOwedPong()?.payload == [1])
        guard case .send(let frame) = machine.receivedPing([2], now: t0) else {
            Issue.record("expected a pong")
            return
        }
        #expect(frame.payload == [2])
        #expect(machine.receivedPing([3], now: t0) == .none)
        #expect(machine.takeOwedPong()?.payload == [3])
    }
}
