// swift-ctrader: `ctrader book`, run as a separate process against an in-process simulator; and
// `ctrader order` with a stop loss and take profit, carried on the market order itself.

import CTrader
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A price of a `--json` object as an exact decimal.
private func price(_ level: Any) -> Decimal? {
    guard let number = (level as? [String: Any])?["price"] as? NSNumber else { return nil }
    return Decimal(string: number.stringValue)
}

@Suite(.timeLimit(.minutes(5))) struct BookCommandTests {
    @Test func jsonSnapshotsAreWellFormedLadders() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let snapshots = try await fixture.jsonLines(["book", "EURUSD", "--levels", "3", "--count", "6"])
        #expect(snapshots.count == 6)
        for snapshot in snapshots {
            #expect(snapshot["symbol"] as? String == "EURUSD")
            #expect(snapshot["symbolId"] as? Int == 1)
            let bids = try #require(snapshot["bids"] as? [Any]).compactMap(price)
            let asks = try #require(snapshot["asks"] as? [Any]).compactMap(price)
            #expect(bids.count == 3)
            #expect(asks.count == 3)
            #expect(bids == bids.sorted(by: >), "bids best (highest) first: \(bids)")
            #expect(asks == asks.sorted(), "asks best (lowest) first: \(asks)")
            #expect(try #require(bids.first) < (try #require(asks.first)))
            for level in try #require(snapshot["bids"] as? [[String: Any]]) {
                #expect((level["volume"] as? Int ?? 0) > 0)
                #expect((level["quotes"] as? Int ?? 0) >= 1)
            }
        }
    }

    @Test func pipedItPrintsOneLadderPerUpdateWithoutEscapes() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let result = try await CTraderBinary.runAsync(
            ["book", "EURUSD", "--levels", "2", "--count", "2"] + fixture.options)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(result.stdout.components(separatedBy: "EURUSD depth").count - 1 == 2)
        #expect(result.stdout.contains("spread"))
    }

    @Test func ctrlCEndsItQuietly() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let running = try RunningCTrader(["book", "EURUSD", "--json", "--verbose"] + fixture.options)
        try await running.waitForStandardError(containing: "following the depth of EURUSD")
        running.send(SIGINT)
        let result = await running.result()
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func invalidLevelsAreAUsageError() async throws {
        let result = try await CTraderBinary.runAsync(["book", "EURUSD", "--levels", "0"])
        #expect(result.status == 2)
    }

    @Test func aMarketOrderCarriesItsStopLossAndTakeProfitWithoutAnAmendment() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let filled = try #require(
            try await fixture.json(["order", "buy", "EURUSD", "0.1", "--sl", "0.5", "--tp", "2.5"]) as? [String: Any])
        #expect(filled["executionType"] as? String == "ORDER_FILLED")
        let position = try #require(filled["position"] as? [String: Any])
        // Distances from the quote when sent, applied to the fill price: the levels are where
        // asked, give or take the market's move in between.
        let stopLoss = try #require(position["stopLoss"] as? Double)
        let takeProfit = try #require(position["takeProfit"] as? Double)
        #expect(abs(stopLoss - 0.5) < 0.01)
        #expect(abs(takeProfit - 2.5) < 0.01)
        #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaAmendPositionSltpReq) == 0)
        let orders = await fixture.simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq)
        #expect(orders == 1)
    }

    @Test func aStopLossOnTheWrongSideIsAUsageErrorAndNothingIsSent() async throws {
        let fixture = try await SimulatorFixture.start()
        defer { Task { await fixture.stop() } }
        let result = try await CTraderBinary.runAsync(["order", "buy", "EURUSD", "0.1", "--sl", "5"] + fixture.options)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--sl 5.0 must be below the ask"))
        #expect(await fixture.simulator.faults.receivedRequestCount(of: .protoOaNewOrderReq) == 0)
    }
}
