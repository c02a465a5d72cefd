// swift-ctrader: simulator tests.

import CTraderMessaging
import CTraderSimulator

/// Drives a ``SimulatorEngine`` without sockets: a clock, a request id counter, and helpers that
/// decode the outputs.
struct EngineHarness {
    var engine: SimulatorEngine
    var now: Int64 = 1_750_000_000_000
    var nextMsgId = 1
    let codec = JSONEnvelopeCodec(omitsEmptyPayload: true)

    static let hedged = SimulatorIdentity.demoHedgedAccountId
    static let netted = SimulatorIdentity.demoNettedAccountId

    init(configuration: SimulatorEngine.Configuration = .init(seed: 42)) {
        engine = SimulatorEngine(configuration: configuration)
        engine.connect(1, now: now)
    }

    /// Sends a message on connection 1 (or `connection`) and returns the outputs.
    mutating func send(_ message: some CTraderMessage, on connection: Int = 1) -> [SimulatorEngine.Output] {
        let msgId = "m\(nextMsgId)"
        nextMsgId += 1
        return engine.receive(.envelope(Envelope(message, clientMsgId: msgId)), from: connection, now: now)
    }

    /// The envelopes sent to `connection`, in order.
    static func envelopes(_ outputs: [SimulatorEngine.Output], to connection: Int = 1) -> [Envelope] {
        outputs.compactMap {
            if case .send(connection, let envelope) = $0 { return envelope }
            return nil
        }
    }

    /// Sends and returns the envelopes to connection 1.
    mutating func request(_ message: some CTraderMessage, on connection: Int = 1) -> [Envelope] {
        Self.envelopes(send(message, on: connection), to: connection)
    }

    mutating func tick(advancing milliseconds: Int64 = 200) -> [SimulatorEngine.Output] {
        now += milliseconds
        return engine.tick(now: now)
    }

    mutating func authorizeApplication(on connection: Int = 1) {
        var auth = ProtoOAApplicationAuthReq()
        auth.clientID = SimulatorIdentity.demoClientId
        auth.clientSecret = SimulatorIdentity.demoClientSecret
        _ = send(auth, on: connection)
    }

    mutating func authorize(account: Int64 = hedged, on connection: Int = 1) {
        var auth = ProtoOAAccountAuthReq()
        auth.ctidTraderAccountID = account
        auth.accessToken = SimulatorIdentity.demoAccessToken
        _ = send(auth, on: connection)
    }

    /// A connection with the application and both demo accounts authorized.
    static func ready(configuration: SimulatorEngine.Configuration = .init(seed: 42)) -> EngineHarness {
        var harness = EngineHarness(configuration: configuration)
        harness.authorizeApplication()
        harness.authorize(account: hedged)
        harness.authorize(account: netted)
        return harness
    }

    func json(_ envelope: Envelope) -> String {
        (try? codec.encodeString(envelope)) ?? "<unencodable>"
    }

    func bidAsk(_ symbolId: Int64) -> (bid: Int64, ask: Int64) {
        engine.quote(symbolId: symbolId, now: now)!
    }

    mutating func order(
        _ type: ProtoOAOrderType, _ side: ProtoOATradeSide, volume: Int64 = 100_000, symbol: Int64 = 1,
        account: Int64 = hedged, configure: (inout ProtoOANewOrderReq) -> Void = { _ in }
    ) -> [Envelope] {
        var req = ProtoOANewOrderReq()
        req.ctidTraderAccountID = account
        req.symbolID = symbol
        req.orderType = type
        req.tradeSide = side
        req.volume = volume
        configure(&req)
        return request(req)
    }
}

extension Envelope {
    var error: ProtoOAErrorRes? { message(as: ProtoOAErrorRes.self) }
    var execution: ProtoOAExecutionEvent? { message(as: ProtoOAExecutionEvent.self) }
    var orderError: ProtoOAOrderErrorEvent? { message(as: ProtoOAOrderErrorEvent.self) }
}
