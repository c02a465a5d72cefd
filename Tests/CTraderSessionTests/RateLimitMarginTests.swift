// swift-ctrader: the rate limiter's window margin (the server counts requests by arrival).

import CTraderMessaging
import CTraderSession
import Testing

@Suite(.timeLimit(.minutes(5))) struct RateLimitMarginTests {
    @Test func theDefaultWindowIsASecondAndAHundredMilliseconds() throws {
        #expect(CTraderRateLimits().windowMargin == .milliseconds(100))
        var (machine, _) = try readyMachine(rateLimits: CTraderRateLimits())
        let start = Duration.seconds(5)
        var sent = 0
        for n in 0..<60 {
            sent += machine.request(id(100 + UInt64(n)), message: ProtoOAVersionReq(), now: start).sent.count
        }
        #expect(sent == 50)
        #expect(machine.nextDeadline(now: start) == start + .milliseconds(1_100))
        #expect(machine.tick(now: start + .seconds(1)).sent.isEmpty)
        #expect(machine.tick(now: start + .milliseconds(1_100)).sent.count == 10)
    }
}
