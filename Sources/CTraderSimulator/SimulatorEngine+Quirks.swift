// swift-ctrader: the local cTrader-compatible simulator.

import CTraderMessaging

extension SimulatorEngine {
    /// A historical trendbar as the real server encodes it when
    /// ``Faults/trendbarDeltaHighQuirk`` is on: when `deltaClose` is 0 (the bar closed at its
    /// low), `deltaHigh` is 0 too, so the bar's high reads as its low although it opened higher
    /// (spotware/openapi-proto-messages#39). Off by default; live trendbars are never changed.
    func withDeltaHighQuirk(_ bar: ProtoOATrendbar) -> ProtoOATrendbar {
        guard faults.trendbarDeltaHighQuirk, bar.deltaClose == 0 else { return bar }
        var quirky = bar
        quirky.deltaHigh = 0
        return quirky
    }
}

extension SimulatorFaults {
    /// Turns on or off the server's `deltaHigh` quirk in historical trendbars: see
    /// ``SimulatorEngine/Faults/trendbarDeltaHighQuirk``.
    public func encodeTrendbarsWithDeltaHighQuirk(_ isOn: Bool = true) async {
        await core.updateFaults { $0.trendbarDeltaHighQuirk = isOn }
    }
}
