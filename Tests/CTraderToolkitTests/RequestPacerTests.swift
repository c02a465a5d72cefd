// swift-ctrader: tests of the trader's toolkit.

import CTraderToolkit
import Testing

@Suite(.timeLimit(.minutes(3))) struct RequestPacerTests {
    @Test func pacerKeepsFivePerSecond() {
        var pacer = RequestPacer(limit: 5, window: 1000)
        for time: Int64 in [0, 100, 200, 300] {
            #expect(pacer.nextAllowed(at: time) == time)
            pacer.record(at: time)
        }
        #expect(pacer.nextAllowed(at: 400) == 400)
        pacer.record(at: 400)
        // Five in [0, 400]: the sixth waits until the first leaves the window.
        #expect(pacer.nextAllowed(at: 500) == 1000)
        #expect(pacer.nextAllowed(at: 1200) == 1200)
        pacer.record(at: 1000)
        #expect(pacer.nextAllowed(at: 1000) == 1100)
        #expect(pacer.recent == [100, 200, 300, 400, 1000])
    }

    @Test func lateRecordsAreKeptInTimeOrder() {
        var pacer = RequestPacer(limit: 2, window: 1000)
        pacer.record(at: 500)
        pacer.record(at: 100)  // recorded late, sent earlier
        #expect(pacer.recent == [100, 500])
        #expect(pacer.nextAllowed(at: 600) == 1100)
        // Limits below one are taken as one.
        var single = RequestPacer(limit: 0, window: 0)
        #expect(single.limit == 1 && single.window == 1)
        single.record(at: 10)
        #expect(single.nextAllowed(at: 10) == 11)
    }
}
