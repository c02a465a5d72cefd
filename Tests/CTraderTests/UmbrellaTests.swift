// swift-ctrader: `import CTrader` alone reaches the session, the simulator and the toolkit.

import CTrader
import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct UmbrellaTests {
    /// The simulator's EURUSD, fetched through a client and read as a toolkit value: five digits,
    /// pips at the fourth, so 1.10000 is 110,000 in relative units (the catalogue's 10^5 scale).
    @Test func aSymbolFromTheSessionBecomesAToolkitValue() async throws {
        try await withSimulatorClient { _, client in
            let list = try await client.symbols(account: hedged).symbol
            let light = try #require(list.first { $0.symbolName == "EURUSD" })
            var byId = ProtoOASymbolByIdReq()
            byId.ctidTraderAccountID = hedged
            byId.symbolID = [light.symbolID]
            let answer = try await client.send(byId, expecting: ProtoOASymbolByIdRes.self)
            let full = try #require(answer.symbol.first)
            let eurusd = SymbolSpecification(full, light: light)
            #expect(eurusd.digits == 5)
            #expect(eurusd.pipPosition == 4)
            #expect(try eurusd.relativePrice(Decimal(string: "1.1")!) == 110_000)
        }
    }
}
