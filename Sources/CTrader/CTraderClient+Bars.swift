// swift-ctrader: the umbrella's glue: the toolkit's bars fed from a client.

public import CTraderMessaging
public import CTraderSession
public import CTraderToolkit
import Foundation

/// How `CTraderClient.liveBars(account:symbol:period:options:)` builds its bars.
public struct LiveBarsOptions: Sendable {
    /// How many bars of history seed the builder (the request's `count`); default 100, 0 for none.
    public var historyCount: Int
    /// The builder's grace period, bar limit and week start.
    public var builder: BarBuilder.Configuration
    /// Whether to subscribe to the server's live trendbar of the period too (its prices then
    /// replace the forming bar's); default `true`.
    public var subscribesLiveTrendbar: Bool
    /// How often the timer runs `BarBuilder.advance(to:)` to close a bar
    /// without a tick of the next period; default 1 s.
    public var timerInterval: Duration
    /// The most bar updates kept for a consumer that falls behind (the oldest are dropped);
    /// default 10,000.
    public var bufferSize: Int
    /// The current time, Unix ms; default (`nil` in the initializer) the system clock.
    public var now: @Sendable () -> Int64

    /// Makes options.
    public init(
        historyCount: Int = 100,
        builder: BarBuilder.Configuration = BarBuilder.Configuration(),
        subscribesLiveTrendbar: Bool = true,
        timerInterval: Duration = .seconds(1),
        bufferSize: Int = 10_000,
        now: (@Sendable () -> Int64)? = nil
    ) {
        self.historyCount = max(0, historyCount)
        self.builder = builder
        self.subscribesLiveTrendbar = subscribesLiveTrendbar
        self.timerInterval = timerInterval
        self.bufferSize = max(1, bufferSize)
        self.now = now ?? { CTraderUnits.milliseconds(Date()) }
    }
}

extension CTraderClient {
    /// The bars of a symbol and period as they form and close, from a `BarBuilder`.
    ///
    /// Subscribes to the symbol's spots (with server timestamps) and, unless
    /// ``LiveBarsOptions/subscribesLiveTrendbar`` is off, to its live trendbar; seeds the builder
    /// with the last ``LiveBarsOptions/historyCount`` bars of history (`ProtoOAGetTrendbarsReq`);
    /// then yields every bar the builder changes: the seeded bars (`confirmed`,
    /// the last one forming), the forming bar at each tick, each bar as it closes, and, after a
    /// reconnect (from `sessionEvents(bufferSize:)`), the bars of the missed range downloaded
    /// again (within the server's spans) and merged without duplicates. A consumer keys the bars
    /// by `Bar.start`: a later value of the same start replaces the earlier. The spots come from
    /// `spots(bufferSize:)`, which merges the spots of a consumer that falls behind, so a bar
    /// built live may count fewer ticks than the server's; history corrects it when it confirms
    /// the bar.
    ///
    /// The stream ends with the error that ends the client's spot stream or a request, and when
    /// the consuming task is cancelled. The subscriptions stay (other streams may use them).
    public nonisolated func liveBars(
        account: Int64,
        symbol: Int64,
        period: ProtoOATrendbarPeriod,
        options: LiveBarsOptions = LiveBarsOptions()
    ) -> AsyncThrowingStream<Bar, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: Bar.self, bufferingPolicy: .bufferingNewest(options.bufferSize))
        let task = Task {
            do {
                try await self.runLiveBars(
                    account: account, symbol: symbol, period: period, options: options, continuation: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// What the bar loop reacts to, in the order it arrives.
    private enum LiveBarsInput: Sendable {
        case spot(ProtoOASpotEvent)
        case connectionLost
        case restored(gap: Duration)
        case timer
        case ended((any Error)?)
    }

    private nonisolated func runLiveBars(
        account: Int64,
        symbol: Int64,
        period: ProtoOATrendbarPeriod,
        options: LiveBarsOptions,
        continuation: AsyncThrowingStream<Bar, any Error>.Continuation
    ) async throws {
        // The streams first, so that nothing between the subscription and the loop is missed.
        let spots = spots()
        let events = sessionEvents()
        let (inputs, input) = AsyncStream.makeStream(of: LiveBarsInput.self)
        try await subscribeSpots(account: account, symbols: [symbol], withTimestamps: true)
        if options.subscribesLiveTrendbar {
            try await subscribeLiveTrendbar(account: account, symbol: symbol, period: period)
        }
        var builder = BarBuilder(period: period, configuration: options.builder)
        if options.historyCount > 0 {
            let now = options.now()
            let window = HistoryWindow(from: max(0, now - period.maximumRequestSpan), to: now)
            let bars = try await liveBarsHistory(
                account: account, symbol: symbol, period: period, window: window,
                count: options.historyCount)
            for bar in builder.seed(bars, now: options.now()) { continuation.yield(bar) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await element in spots {
                        if case .message(let spot) = element, spot.ctidTraderAccountID == account,
                            spot.symbolID == symbol
                        {
                            input.yield(.spot(spot))
                        }
                    }
                    input.yield(.ended(nil))
                } catch {
                    input.yield(.ended(error))
                }
            }
            group.addTask {
                for try await event in events {
                    switch event {
                    case .reconnecting: input.yield(.connectionLost)
                    case .restored(let gap): input.yield(.restored(gap: gap))
                    default: break
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: options.timerInterval)
                    input.yield(.timer)
                }
            }
            defer { group.cancelAll() }
            for await next in inputs {
                try Task.checkCancellation()
                var changed: [Bar] = []
                switch next {
                case .spot(let spot):
                    changed = builder.apply(spot, receivedAt: options.now())
                case .connectionLost:
                    builder.connectionLost(at: options.now())
                case .restored(let gap):
                    let now = options.now()
                    let gapMs = gap.components.seconds * 1_000 + gap.components.attoseconds / 1_000_000_000_000_000
                    builder.connectionLost(at: now - gapMs)
                    changed = try await backfill(&builder, account: account, symbol: symbol, now: now)
                case .timer:
                    changed = builder.advance(to: options.now())
                case .ended(let error):
                    if let error { throw error }
                    return
                }
                for bar in changed { continuation.yield(bar) }
            }
        }
    }

    /// Downloads the builder's backfill range, window by window within the server's span, and
    /// merges it.
    private nonisolated func backfill(
        _ builder: inout BarBuilder, account: Int64, symbol: Int64, now: Int64
    ) async throws -> [Bar] {
        guard let range = builder.reconnected(at: now) else { return [] }
        var changed: [Bar] = []
        for window in try HistorySpans.windows(for: .trendbars(builder.period), from: range.from, to: range.to) {
            let bars = try await liveBarsHistory(
                account: account, symbol: symbol, period: builder.period, window: window, count: nil)
            changed += builder.backfill(bars, covering: window, now: now)
        }
        var latest: [Int64: Bar] = [:]
        for bar in changed { latest[bar.start] = bar }
        return latest.values.sorted { $0.start < $1.start }
    }

    /// One `ProtoOAGetTrendbarsReq` (2137 → 2138).
    private nonisolated func liveBarsHistory(
        account: Int64, symbol: Int64, period: ProtoOATrendbarPeriod, window: HistoryWindow, count: Int?
    ) async throws -> [ProtoOATrendbar] {
        var request = ProtoOAGetTrendbarsReq()
        request.ctidTraderAccountID = account
        request.symbolID = symbol
        request.period = period
        request.fromTimestamp = window.from
        request.toTimestamp = window.to
        if let count { request.count = UInt32(clamping: count) }
        return try await send(request, expecting: ProtoOAGetTrendbarsRes.self).trendbar
    }
}
