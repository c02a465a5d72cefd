import CTraderHistory
import Testing

@Suite("HistoryPacer: a sliding window, in virtual time")
struct HistoryPacerTests {
    @Test func theFirstRequestsOfAWindowGoAtOnceAndTheNextWaitsForTheWindow() async throws {
        let virtual = VirtualClock()
        var pacer = HistoryPacer(limit: 5, per: .seconds(1), clock: virtual.clock)
        for _ in 0..<5 { try await pacer.next() }
        #expect(virtual.sleeps.isEmpty)
        #expect(virtual.now == .zero)
        try await pacer.next()
        #expect(virtual.sleeps == [.seconds(1)])
        #expect(virtual.now == .seconds(1))
    }

    @Test func noWindowEverHoldsMoreThanTheLimit() async throws {
        let virtual = VirtualClock()
        var pacer = HistoryPacer(limit: 3, per: .seconds(1), clock: virtual.clock)
        var times: [Duration] = []
        for index in 0..<20 {
            try await pacer.next()
            times.append(virtual.now)
            if index % 4 == 0 { virtual.advance(by: .milliseconds(300)) }
        }
        for (index, time) in times.enumerated() {
            let inWindow = times[index...].filter { $0 < time + .seconds(1) }
            #expect(inWindow.count <= 3, "requests at \(times)")
        }
        // 20 requests, 3 a second: at least 6 seconds of virtual time.
        #expect(times.last! >= .seconds(6))
    }

    @Test func requestsSpreadOverTimeNeverWait() async throws {
        let virtual = VirtualClock()
        var pacer = HistoryPacer(limit: 5, per: .seconds(1), clock: virtual.clock)
        for _ in 0..<20 {
            try await pacer.next()
            virtual.advance(by: .milliseconds(200))
        }
        #expect(virtual.sleeps.isEmpty)
    }
}
