// swift-ctrader: the umbrella's glue: a position ledger kept live from a client.

import CTraderMessaging
public import CTraderSession
public import CTraderToolkit
import Foundation

extension CTraderClient {
    /// Starts a ``CTraderLedgerFeed`` for an authorized account: a `PositionLedger` and a
    /// `QuoteBoard` kept up to date from this client. See ``CTraderLedgerFeed/start()``.
    ///
    /// - Throws: `CTraderError` from the first synchronization (trader, reconcile, symbols,
    ///   conversion chains, spot subscriptions).
    public nonisolated func startLedger(
        account: Int64,
        configuration: CTraderLedgerFeed.Configuration = .init()
    ) async throws -> CTraderLedgerFeed {
        let feed = CTraderLedgerFeed(client: self, account: account, configuration: configuration)
        try await feed.start()
        return feed
    }
}

/// A `PositionLedger` of one account kept live from a `CTraderClient`, with the
/// `QuoteBoard` that values its positions.
///
/// On ``start()`` and after every reconnect it resynchronizes: the trader (`ProtoOATraderReq`:
/// balance, `moneyDigits`, deposit asset) and a reconcile (`ProtoOAReconcileReq`: open positions
/// and pending orders). It folds every execution event, margin change and trader update of the
/// account as they arrive. Whenever a position's symbol is new, it fetches the account's symbols
/// (for their quote assets), the conversion chain of the quote asset into the deposit asset
/// (`ProtoOASymbolsForConversionReq`), and subscribes to the spots of the position's symbol and
/// of the chain's symbols.
///
/// ``crossCheck()`` compares the ledger's unrealized profit with the server's
/// (`ProtoOAGetPositionUnrealizedPnLReq`) and resynchronizes when they disagree.
///
/// ```swift
/// let feed = try await client.startLedger(account: account)
/// let value = await feed.valuation()
/// print(value.balance, value.equity)
/// ```
public actor CTraderLedgerFeed {
    /// The feed's settings.
    public struct Configuration: Sendable {
        /// The ledger's own configuration (conversion price, deal limit, stale quotes).
        public var ledger: PositionLedger.Configuration
        /// The timeout of each request the feed sends; `nil` for the client's default.
        public var requestTimeout: Duration?
        /// Whether ``CTraderLedgerFeed/crossCheck()`` resynchronizes when it finds a
        /// discrepancy; default `true`.
        public var resynchronizesOnDiscrepancy: Bool
        /// How far apart the ledger's and the server's gross unrealized profit of a position may
        /// be; `nil` (the default) for one unit of the answer's last money digit (one cent).
        public var tolerance: Money?
        /// The buffer size of the feed's event streams; `nil` for the client's default.
        public var streamBufferSize: Int?
        /// The local time in Unix milliseconds, for the quotes' ages (the system clock unless the
        /// initializer was given another).
        public var now: @Sendable () -> Int64

        /// Makes a configuration.
        public init(
            ledger: PositionLedger.Configuration = .init(),
            requestTimeout: Duration? = nil,
            resynchronizesOnDiscrepancy: Bool = true,
            tolerance: Money? = nil,
            streamBufferSize: Int? = nil,
            now: (@Sendable () -> Int64)? = nil
        ) {
            self.ledger = ledger
            self.requestTimeout = requestTimeout
            self.resynchronizesOnDiscrepancy = resynchronizesOnDiscrepancy
            self.tolerance = tolerance
            self.streamBufferSize = streamBufferSize
            self.now = now ?? { CTraderUnits.milliseconds(Date()) }
        }
    }

    /// Why the feed stopped.
    public struct Stopped: Error, Sendable, CustomStringConvertible {
        /// What happened.
        public var reason: String
        /// What happened.
        public var description: String { "the ledger feed stopped: \(reason)" }
    }

    /// The account.
    public nonisolated let account: Int64
    /// The settings.
    public nonisolated let configuration: Configuration
    /// The ledger, as folded so far.
    public private(set) var ledger: PositionLedger
    /// The quotes of the positions' symbols and of their conversion symbols.
    public private(set) var quotes = QuoteBoard()
    /// How many times the feed resynchronized (the first synchronization included).
    public private(set) var resynchronizations = 0
    /// The symbols whose spots the feed subscribed to.
    public private(set) var subscribedSymbols: Set<Int64> = []
    /// Why the feed stopped, once it did.
    public private(set) var stopped: Stopped?

    private let client: CTraderClient
    private var tasks: [Task<Void, Never>] = []
    private var completing = false
    private var completeAgain = false
    private var waiters: [Int: Waiter] = [:]
    private var cancelledWaiters: Set<Int> = []
    private var nextWaiter = 0

    private struct Waiter {
        let condition: @Sendable (PositionLedger, QuoteBoard) -> Bool
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// Makes a feed; nothing happens until ``start()``.
    public init(client: CTraderClient, account: Int64, configuration: Configuration = .init()) {
        self.client = client
        self.account = account
        self.configuration = configuration
        self.ledger = PositionLedger(configuration: configuration.ledger)
    }

    /// Opens the event streams (before any request, so that nothing is missed) and synchronizes.
    ///
    /// - Throws: `CTraderError` from the requests of ``resynchronize()``.
    public func start() async throws {
        guard tasks.isEmpty else { return }
        let size = configuration.streamBufferSize
        let executions = client.executions(bufferSize: size)
        let spots = client.spots(bufferSize: size)
        let margins = client.marginChanges(bufferSize: size)
        let traders = client.traderUpdates(bufferSize: size)
        tasks.append(Task { await self.consume(executions) { await $0.received($1) } })
        tasks.append(Task { await self.consume(spots) { await $0.received($1) } })
        tasks.append(Task { await self.consume(margins) { await $0.received($1) } })
        tasks.append(Task { await self.consume(traders) { await $0.received($1) } })
        try await resynchronize()
    }

    /// Stops following the client; waiters fail with ``Stopped``.
    public func stop() {
        for task in tasks { task.cancel() }
        tasks = []
        finish(Stopped(reason: "stopped"))
    }

    /// The account valued at the current quotes.
    public func valuation() -> PositionLedger.Valuation {
        ledger.valuation(quotes: quotes)
    }

    /// Fetches the trader and a reconcile, and brings the symbols, conversion chains and spot
    /// subscriptions up to date.
    ///
    /// - Throws: `CTraderError` from the requests.
    public func resynchronize() async throws {
        ledger.beginResynchronization()
        var traderRequest = ProtoOATraderReq()
        traderRequest.ctidTraderAccountID = account
        let trader = try await client.send(
            traderRequest, expecting: ProtoOATraderRes.self, timeout: configuration.requestTimeout)
        ledger.apply(trader)
        let reconcile = try await client.reconcile(account: account, timeout: configuration.requestTimeout)
        ledger.apply(reconcile)
        resynchronizations += 1
        changed()
        try await completeReferences()
    }

    /// Asks the server for the positions' unrealized profit (`ProtoOAGetPositionUnrealizedPnLReq`)
    /// and compares it with the ledger's at the current quotes; resynchronizes when they disagree
    /// (unless ``Configuration/resynchronizesOnDiscrepancy`` is `false`).
    ///
    /// - Returns: the disagreements found (before any resynchronization); empty when they agree.
    /// - Throws: `CTraderError` from the requests.
    @discardableResult
    public func crossCheck() async throws -> [PnLDiscrepancy] {
        var request = ProtoOAGetPositionUnrealizedPnLReq()
        request.ctidTraderAccountID = account
        let answer = try await client.send(
            request, expecting: ProtoOAGetPositionUnrealizedPnLRes.self, timeout: configuration.requestTimeout)
        let found = ledger.discrepancies(with: answer, quotes: quotes, tolerance: configuration.tolerance)
        if !found.isEmpty, configuration.resynchronizesOnDiscrepancy { try await resynchronize() }
        return found
    }

    /// Waits until `condition` holds for the ledger and the quotes (checked now and after every
    /// change).
    ///
    /// - Throws: ``Stopped`` when the feed stops first; `CancellationError` when the task is
    ///   cancelled.
    public func wait(until condition: @escaping @Sendable (PositionLedger, QuoteBoard) -> Bool) async throws {
        if condition(ledger, quotes) { return }
        if let stopped { throw stopped }
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if cancelledWaiters.remove(id) != nil || Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[id] = Waiter(condition: condition, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    // MARK: - Events

    private nonisolated func consume<Message: CTraderMessage>(
        _ stream: CTraderEventStream<Message>,
        _ handle: @escaping @Sendable (CTraderLedgerFeed, CTraderStreamElement<Message>) async -> Void
    ) async {
        do {
            for try await element in stream { await handle(self, element) }
            await finish(Stopped(reason: "the client shut down"))
        } catch {
            // Events were lost (an overflowing stream): what is known may be wrong.
            await finish(Stopped(reason: "an event stream failed: \(error)"))
        }
    }

    private func received(_ element: CTraderStreamElement<ProtoOAExecutionEvent>) {
        switch element {
        case .message(let event):
            guard event.ctidTraderAccountID == account else { return }
            ledger.apply(event)
            changed()
            if !ledger.missingSymbols.isEmpty || !ledger.missingConversions.isEmpty
                || !Set(ledger.quotedSymbols).isSubset(of: subscribedSymbols)
            {
                Task { try? await self.completeReferences() }
            }
        case .reconnected:
            Task { try? await self.resynchronize() }
        }
    }

    private func received(_ element: CTraderStreamElement<ProtoOASpotEvent>) {
        let now = configuration.now()
        switch element {
        case .message(let spot):
            guard spot.ctidTraderAccountID == account else { return }
            quotes.apply(spot, now: now)
        case .reconnected:
            quotes.connectionLost(at: now)
            quotes.reconnected(at: now)
        }
        changed()
    }

    private func received(_ element: CTraderStreamElement<ProtoOAMarginChangedEvent>) {
        guard case .message(let event) = element, event.ctidTraderAccountID == account else { return }
        ledger.apply(event)
        changed()
    }

    private func received(_ element: CTraderStreamElement<ProtoOATraderUpdatedEvent>) {
        guard case .message(let event) = element, event.ctidTraderAccountID == account else { return }
        ledger.apply(event)
        changed()
    }

    // MARK: - Symbols, conversions and spots

    /// Fetches what valuing the positions needs and the ledger lacks; one pass at a time (a call
    /// during a pass makes it run once more).
    private func completeReferences() async throws {
        if completing {
            completeAgain = true
            return
        }
        completing = true
        defer { completing = false }
        repeat {
            completeAgain = false
            try await completeOnce()
        } while completeAgain
    }

    private func completeOnce() async throws {
        let timeout = configuration.requestTimeout
        if !ledger.missingSymbols.isEmpty {
            let list = try await client.symbols(account: account, timeout: timeout)
            ledger.register(list.symbol)
        }
        if let deposit = ledger.depositAssetId {
            for asset in ledger.missingConversions {
                var request = ProtoOASymbolsForConversionReq()
                request.ctidTraderAccountID = account
                request.firstAssetID = asset
                request.lastAssetID = deposit
                let chain = try await client.send(
                    request, expecting: ProtoOASymbolsForConversionRes.self, timeout: timeout)
                try ledger.registerConversion(chain, from: asset, to: deposit)
            }
        }
        let wanted = Set(ledger.quotedSymbols).subtracting(subscribedSymbols).sorted()
        if !wanted.isEmpty { try await subscribe(wanted) }
        changed()
    }

    /// Subscribes to spots; a symbol this client already follows for the account
    /// (`ALREADY_SUBSCRIBED`) counts as subscribed.
    private func subscribe(_ symbols: [Int64]) async throws {
        let timeout = configuration.requestTimeout
        do {
            try await client.subscribeSpots(account: account, symbols: symbols, timeout: timeout)
            subscribedSymbols.formUnion(symbols)
        } catch let error as CTraderError where error.errorCode == .alreadySubscribed {
            for symbol in symbols {
                do {
                    try await client.subscribeSpots(account: account, symbols: [symbol], timeout: timeout)
                } catch let error as CTraderError where error.errorCode == .alreadySubscribed {}
                subscribedSymbols.insert(symbol)
            }
        }
    }

    // MARK: - Waiters

    private func changed() {
        for (id, waiter) in waiters where waiter.condition(ledger, quotes) {
            waiters[id] = nil
            waiter.continuation.resume()
        }
    }

    private func cancelWaiter(_ id: Int) {
        if let waiter = waiters.removeValue(forKey: id) {
            waiter.continuation.resume(throwing: CancellationError())
        } else {
            cancelledWaiters.insert(id)
        }
    }

    private func finish(_ reason: Stopped) {
        if stopped == nil { stopped = reason }
        for waiter in waiters.values { waiter.continuation.resume(throwing: reason) }
        waiters = [:]
    }
}
