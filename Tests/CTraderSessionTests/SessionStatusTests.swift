// swift-ctrader: how the session's status is derived and shown.

import Testing

@testable import CTraderSession

@Suite(.timeLimit(.minutes(5))) struct SessionStatusTests {
    @Test func readyTheFirstTimeReconnectedWithTheGapAfterADrop() {
        guard case .ready = SessionStatus.readiness(droppedAt: nil, now: .seconds(5)) else {
            Issue.record("the first readiness is not .ready")
            return
        }
        guard case .reconnected(let gap) = SessionStatus.readiness(droppedAt: .seconds(2), now: .seconds(5)) else {
            Issue.record("readiness after a drop is not .reconnected")
            return
        }
        #expect(gap == .seconds(3))
    }

    @Test func descriptionsAreShort() {
        #expect(SessionStatus.connecting(attempt: 2).description == "connecting (attempt 2)")
        #expect(SessionStatus.ready.description == "ready")
        #expect(SessionStatus.reconnected(gap: .seconds(3)).description == "reconnected after 3.0 seconds")
        #expect(SessionStatus.shutDown.description == "shut down")
    }
}
