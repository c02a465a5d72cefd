// swift-ctrader: the README's library example, compiled and run against the in-process simulator.
// The lines between the markers are the README's code block, character for character; the second
// test checks that they still match.

import CTrader
import Foundation
import Testing

func readmeExample() async throws {
    // README example begin
    let simulator = try await Simulator.start()  // or connect to .demo / .live with your own credentials
    let client = CTraderClient(
        configuration: CTraderClientConfiguration(
            endpoint: .url(simulator.url),
            credentials: CTraderCredentials(
                clientId: SimulatorIdentity.demoClientId,
                clientSecret: SimulatorIdentity.demoClientSecret
            )
        )
    )
    try await client.connect()
    let token = SimulatorIdentity.demoAccessToken
    let account = Int64(try await client.accounts(accessToken: token)[0].ctidTraderAccountID)
    try await client.authorize(account: account, accessToken: token)

    // Subscribe: three quotes of EURUSD.
    let symbols = try await client.symbols(account: account).symbol
    let eurusd = symbols.first { $0.symbolName == "EURUSD" }!.symbolID
    let spots = client.spots()
    try await client.subscribeSpots(account: account, symbols: [eurusd])
    for try await case .message(let spot) in spots.prefix(3) {
        print(
            "EURUSD bid",
            CTraderUnits.price(relative: Int64(spot.bid)),
            "ask",
            CTraderUnits.price(relative: Int64(spot.ask))
        )
    }

    // Order: buy 0.01 lots at market; the fill follows the acceptance on executions().
    let executions = client.executions()
    let first = try await client.placeMarketOrder(account: account, symbol: eurusd, side: .buy, volume: 100_000)
    print(first.executionType)  // orderAccepted
    for try await case .message(let event) in executions where event.executionType == .orderFilled {
        print("position", event.position.positionID, "filled at", event.deal.executionPrice)
        break
    }

    await client.shutdown()  // WebSocket close 1000
    await simulator.stop()
    // README example end
}

@Suite(.timeLimit(.minutes(5))) struct ReadmeExampleTests {
    @Test func theExampleRuns() async throws {
        try await readmeExample()
    }

    @Test func theREADMEShowsThisCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let lines = source.components(separatedBy: "\n")
        let begin = try #require(lines.firstIndex { $0.hasSuffix("// README example begin") && !$0.contains("\"") })
        let end = try #require(lines.firstIndex { $0.hasSuffix("// README example end") && !$0.contains("\"") })
        let code = lines[(begin + 1)..<end].map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : $0 }.joined(
            separator: "\n"
        )
        #expect(readme.contains("```swift\nimport CTrader\n\n" + code + "\n```"))
    }
}
