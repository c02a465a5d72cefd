// swift-ctrader: tests of the trader's toolkit.

import CTraderMessaging
import CTraderToolkit
import Testing

@Suite(.timeLimit(.minutes(3))) struct HistoryPlannerTests {
    @Test func plannerPacesAndReportsProgress() throws {
        let span: Int64 = 302_400_000
        var plan = try HistoryPlanner(
            kind: .trendbars(.m1), from: 0, to: 6 * span + 1, pacer: RequestPacer(limit: 5, window: 1000))
        #expect(plan.windows.count == 7)
        #expect(plan.progress == HistoryProgress(done: 0, total: 7))
        var now: Int64 = 0
        var sent: [(Int64, HistoryWindow)] = []
        loop: while true {
            switch plan.next(at: now) {
            case .send(let window):
                plan.sent(at: now)
                sent.append((now, window))
                plan.completed()
            case .wait(let until):
                #expect(until > now)
                now = until
            case .finished: break loop
            }
        }
        // Five at once, then two when the first second is over.
        #expect(sent.map(\.0) == [0, 0, 0, 0, 0, 1000, 1000])
        #expect(sent.map(\.1) == plan.windows)
        #expect(sent.last?.1 == HistoryWindow(from: 6 * span, to: 6 * span + 1))
        #expect(plan.progress == HistoryProgress(done: 7, total: 7))
        #expect(plan.progress.isComplete)
    }

    @Test func extraPagesCountAgainstTheLimit() throws {
        var plan = HistoryPlanner(
            windows: [HistoryWindow(from: 0, to: 10), HistoryWindow(from: 10, to: 20)],
            pacer: RequestPacer(limit: 2, window: 1000))
        #expect(plan.next(at: 0) == .send(HistoryWindow(from: 0, to: 10)))
        plan.sent(at: 0)
        plan.recordExtraRequest(at: 50)  // the first window had more
        plan.completed()
        #expect(plan.next(at: 60) == .wait(until: 1000))
        #expect(plan.progress == HistoryProgress(done: 1, total: 2))
        #expect(plan.next(at: 1000) == .send(HistoryWindow(from: 10, to: 20)))
    }
}
