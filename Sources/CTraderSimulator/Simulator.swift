// swift-ctrader: the local cTrader-compatible simulator.

import CTraderChannel
public import CTraderFraming
public import CTraderMessaging
public import CTraderTransport
import CTraderWebSocket
public import Logging
import _CTraderLocking

/// A running cTrader Open API simulator: JSON over WebSocket (like port 5036) and protobuf frames
/// over TCP (like port 5035), both optionally over TLS, served by one ``SimulatorEngine``.
///
/// ```swift
/// let simulator = try await Simulator.start(.init(seed: 42))
/// // connect a client to simulator.url ("ws://127.0.0.1:PORT") with
/// // SimulatorIdentity.demoClientId / demoClientSecret and demoAccessToken
/// await simulator.stop()
/// ```
public final class Simulator: Sendable {
    /// How to run a simulator.
    public struct Configuration: Sendable {
        /// The TLS certificate and key to serve `wss://` and protobuf-over-TLS with.
        public struct TLS: Sendable, Hashable {
            /// PEM certificate chain, leaf first.
            public var certificateChainFile: String
            /// PEM private key of the leaf.
            public var privateKeyFile: String
            /// Makes a TLS setting.
            public init(certificateChainFile: String, privateKeyFile: String) {
                self.certificateChainFile = certificateChainFile
                self.privateKeyFile = privateKeyFile
            }
        }

        /// The address to listen on; default `127.0.0.1`.
        public var host: String
        /// The WebSocket (JSON) port; `0` (the default) picks a free one.
        public var webSocketPort: Int
        /// The protobuf port; `0` (the default) picks a free one, `nil` serves no protobuf.
        public var protobufPort: Int?
        /// TLS for both listeners; `nil` (the default) serves plain `ws://` and plain TCP.
        public var tls: TLS?
        /// The engine: seed, identity (credentials, tokens, accounts), catalogue, timings, limits.
        public var engine: SimulatorEngine.Configuration
        /// How often the market moves (spot, depth and live trendbar events, pending orders, heartbeats);
        /// default 200 ms, i.e. about five spot events per second per symbol. A smaller interval
        /// floods clients.
        public var tickInterval: Duration
        /// The longest message accepted, in bytes; a longer one gets `FRAME_TOO_LONG` and the
        /// connection is closed. Default 1 MiB.
        public var maximumMessageSize: Int
        /// How JSON payloads are written; default ``SimulatorJSONStyle/server`` (the real server's
        /// numbers). The other styles test that a client also reads int64 strings and enum names.
        public var jsonStyle: SimulatorJSONStyle
        /// The most messages waiting to be written to one connection; default 4096. Nothing grows
        /// with what a peer does: when a client that does not read fills its queue, its spot events
        /// are coalesced (the latest per symbol is kept), and if the queue is still full (answers,
        /// execution events) the connection is dropped with a `warning` log line.
        public var maximumQueuedMessages: Int
        /// Whether a WebSocket client's permessage-deflate offer (RFC 7692) is accepted; default
        /// `true`, answered as ``perMessageDeflate`` says. `false` declines every offer, and the
        /// connections stay uncompressed.
        public var acceptsPerMessageDeflate: Bool
        /// How an accepted permessage-deflate offer is answered; default
        /// ``defaultPerMessageDeflate`` (10-bit windows both ways, context takeover). Each
        /// compressing connection keeps its zlib state for its whole life, so the windows decide
        /// most of the memory a connection costs: with 15-bit windows and zlib's default
        /// `memLevel` it is about 290 KiB, with the defaults here about 20 KiB.
        public var perMessageDeflate: PerMessageDeflateServerConfiguration
        /// zlib's `memLevel` (1…9) for the messages the simulator compresses; default 2 (4 KiB of
        /// hash table and pending output per connection instead of zlib's default 128 KiB). See
        /// `WebSocketConfiguration.compressionMemoryLevel`.
        public var compressionMemoryLevel: Int
        /// A tape whose spots, depth and live trendbars replace the simulated market (see
        /// ``SimulatorTapeFeed``); default `nil`, the seeded model.
        public var tape: SimulatorTapeFeed?
        /// The OAuth authorization server to serve beside (``SimulatorAuthorizationServer``: the
        /// authorization page and `/apps/token`, on a port of its own); default `nil`, none.
        public var authorization: SimulatorAuthorizationServer.Configuration?
        /// How long a client has to finish its WebSocket opening handshake before the connection
        /// is dropped (the slowloris bound). Default 10 s.
        public var handshakeTimeout: Duration = .seconds(10)

        /// Makes a configuration.
        public init(
            host: String = "127.0.0.1",
            webSocketPort: Int = 0,
            protobufPort: Int? = 0,
            tls: TLS? = nil,
            engine: SimulatorEngine.Configuration = .init(),
            tickInterval: Duration = .milliseconds(200),
            maximumMessageSize: Int = 1 << 20,
            jsonStyle: SimulatorJSONStyle = .server,
            maximumQueuedMessages: Int = 4_096,
            acceptsPerMessageDeflate: Bool = true,
            perMessageDeflate: PerMessageDeflateServerConfiguration = Configuration.defaultPerMessageDeflate,
            compressionMemoryLevel: Int = 2
        ) {
            self.host = host
            self.webSocketPort = webSocketPort
            self.protobufPort = protobufPort
            self.tls = tls
            self.engine = engine
            self.tickInterval = tickInterval
            self.maximumMessageSize = maximumMessageSize
            self.jsonStyle = jsonStyle
            self.maximumQueuedMessages = max(1, maximumQueuedMessages)
            self.acceptsPerMessageDeflate = acceptsPerMessageDeflate
            self.perMessageDeflate = perMessageDeflate
            self.compressionMemoryLevel = min(max(compressionMemoryLevel, 1), 9)
        }

        /// The simulator's default answer to a permessage-deflate offer: it compresses with a
        /// 10-bit window (`server_max_window_bits=10`) and asks a client that offers
        /// `client_max_window_bits` (`CTraderClient` does, as do browsers and Python's
        /// `websockets`) to compress with a 10-bit window too, so that its inflater needs 1 KiB.
        /// Measured on the simulator's messages (Benchmarks/README.md, "Soak"): zlib state of
        /// about 20 KiB per connection instead of about 240 KiB, and the symbol list still
        /// compressed to 18% (17% with 15 bits), spot events to 20% (10%).
        public static let defaultPerMessageDeflate = PerMessageDeflateServerConfiguration(
            serverMaxWindowBits: 10, clientMaxWindowBits: 10)

        /// The default configuration with another seed.
        public init(seed: UInt64) {
            self.init(engine: .init(seed: seed))
        }
    }

    /// The configuration the simulator runs with.
    public let configuration: Configuration
    /// The WebSocket URL to connect to, e.g. `ws://127.0.0.1:50123` (`wss://` with TLS).
    public let url: String
    /// The bound WebSocket port.
    public let webSocketPort: Int
    /// The bound protobuf port, or `nil` when protobuf is not served.
    public let protobufPort: Int?
    /// The switches that make the simulator misbehave on purpose.
    public let faults: SimulatorFaults

    let core: SimulatorCore
    /// ``authorizationServer`` (Simulator+Authorization.swift).
    let authorization = Locked<SimulatorAuthorizationServer?>(nil)
    private let listeners: [any TransportListener]
    private let tasks: [Task<Void, Never>]

    private init(
        configuration: Configuration, url: String, webSocketPort: Int, protobufPort: Int?, core: SimulatorCore,
        listeners: [any TransportListener], tasks: [Task<Void, Never>]
    ) {
        self.configuration = configuration
        self.url = url
        self.webSocketPort = webSocketPort
        self.protobufPort = protobufPort
        self.core = core
        self.faults = SimulatorFaults(core: core)
        self.listeners = listeners
        self.tasks = tasks
    }

    /// Binds the listeners and starts serving; returns once the simulator accepts connections.
    ///
    /// - Throws: `TransportError` when a port cannot be bound or the TLS files are unusable.
    public static func start(
        _ configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "ctrader.simulator")
    ) async throws -> Simulator {
        var listeners: [any TransportListener] = []
        do {
            let webSocket: any TransportListener
            var protobuf: (any TransportListener)?
            if let tls = configuration.tls {
                let server = TLSConfiguration.server(
                    certificateChainFile: tls.certificateChainFile, privateKeyFile: tls.privateKeyFile)
                webSocket = try await TLSListener.bind(
                    host: configuration.host, port: configuration.webSocketPort, configuration: server, logger: logger)
                listeners.append(webSocket)
                if let port = configuration.protobufPort {
                    protobuf = try await TLSListener.bind(
                        host: configuration.host, port: port, configuration: server, logger: logger)
                }
            } else {
                webSocket = try await TCPListener.bind(
                    host: configuration.host, port: configuration.webSocketPort, logger: logger)
                listeners.append(webSocket)
                if let port = configuration.protobufPort {
                    protobuf = try await TCPListener.bind(host: configuration.host, port: port, logger: logger)
                }
            }
            if let protobuf { listeners.append(protobuf) }
            let scheme = configuration.tls == nil ? "ws" : "wss"
            let host = configuration.host == "0.0.0.0" || configuration.host.isEmpty ? "127.0.0.1" : configuration.host
            let urlHost = host.contains(":") ? "[\(host)]" : host
            let simulator = start(
                configuration, webSocketListener: webSocket, protobufListener: protobuf,
                url: "\(scheme)://\(urlHost):\(webSocket.port)", logger: logger)
            listeners = []
            try await simulator.startAuthorizationServer(logger: logger)
            return simulator
        } catch {
            for listener in listeners { await listener.close() }
            throw error
        }
    }

    /// Starts serving on listeners the caller made (TCP, TLS or in-memory).
    ///
    /// - Parameters:
    ///   - configuration: its host, ports and TLS are ignored; the listeners decide.
    ///   - webSocketListener: where JSON-over-WebSocket clients come from.
    ///   - protobufListener: where protobuf clients come from; `nil` for none.
    ///   - url: what ``url`` reports; default `ws://127.0.0.1:<port>`.
    ///   - logger: receives `debug` lines.
    public static func start(
        _ configuration: Configuration,
        webSocketListener: any TransportListener,
        protobufListener: (any TransportListener)?,
        url: String? = nil,
        logger: Logger = Logger(label: "ctrader.simulator")
    ) -> Simulator {
        let core = SimulatorCore(
            configuration: configuration.engine, maximumQueuedMessages: configuration.maximumQueuedMessages,
            servesTape: configuration.tape != nil, logger: logger)
        var tasks: [Task<Void, Never>] = []
        let channelListeners = channelListeners(
            configuration, webSocketListener: webSocketListener, protobufListener: protobufListener, logger: logger)
        for listener in channelListeners {
            tasks.append(Task { await listener.serve { channel in await core.run(wire: channel) } })
        }
        let interval = configuration.tickInterval
        let tape = configuration.tape
        tasks.append(
            Task {
                async let playing: Void = playTape(tape, core: core)
                let clock = ContinuousClock()
                var next = clock.now
                while !Task.isCancelled {
                    next = next.advanced(by: interval)
                    if next < clock.now { next = clock.now }
                    do { try await clock.sleep(until: next) } catch { break }
                    await core.tick()
                }
                await playing
            })
        var listeners: [any TransportListener] = [webSocketListener]
        if let protobufListener { listeners.append(protobufListener) }
        return Simulator(
            configuration: configuration, url: url ?? "ws://127.0.0.1:\(webSocketListener.port)",
            webSocketPort: webSocketListener.port, protobufPort: protobufListener?.port, core: core,
            listeners: listeners, tasks: tasks)
    }

    /// Wraps the listeners in channel listeners: JSON in the configured style over WebSocket,
    /// protobuf frames.
    private static func channelListeners(
        _ configuration: Configuration,
        webSocketListener: any TransportListener,
        protobufListener: (any TransportListener)?,
        logger: Logger
    ) -> [CTraderChannelListener] {
        let maximumMessageSize = configuration.maximumMessageSize
        let style = configuration.jsonStyle
        // The WebSocket layer's own limit sits above the server's, so that an oversized message
        // reaches the engine (and gets FRAME_TOO_LONG) instead of a bare close frame.
        let deflate = configuration.acceptsPerMessageDeflate ? configuration.perMessageDeflate : nil
        var webSocket = WebSocketConfiguration(
            maxFrameSize: maximumMessageSize * 2 + 1_024,
            maxMessageSize: maximumMessageSize * 2 + 1_024,
            perMessageDeflateAccept: deflate,
            compressionMemoryLevel: configuration.compressionMemoryLevel,
            inboundQueueDepth: 64
        )
        webSocket.handshakeTimeout = configuration.handshakeTimeout
        let codec = JSONEnvelopeCodec(maximumMessageSize: maximumMessageSize, omitsEmptyPayload: true)
        var listeners = [
            CTraderChannelListener.webSocket(
                webSocketListener, configuration: webSocket, codec: codec,
                encoder: { envelope in try style.encodeBytes(envelope, codec: codec) }, logger: logger)
        ]
        if let protobufListener {
            listeners.append(CTraderChannelListener.protobuf(protobufListener, maximumFrameLength: maximumMessageSize))
        }
        return listeners
    }

    /// Stops accepting, closes every connection, and returns once everything has stopped.
    public func stop() async {
        await authorization.withLock { $0 }?.stop()
        for listener in listeners { await listener.close() }
        await core.stop()
        tasks.last?.cancel()
        for task in tasks { await task.value }
    }

    /// Returns once ``stop()`` has stopped the simulator: what a standalone runner (the
    /// `ctrader simulator` command) waits on.
    public func waitUntilStopped() async {
        for task in tasks.dropLast() { await task.value }
    }

    /// The number of open client connections.
    public var connectionCount: Int {
        get async { await core.connectionCount }
    }

    /// Overrides a symbol's quote (prices in 1/100000 units) until ``clearQuote(symbolId:)``: moves
    /// the market across a pending order or a stop on demand.
    public func setQuote(symbolId: Int64, bid: Int64, ask: Int64) async {
        await core.setQuote(symbolId: symbolId, bid: bid, ask: ask)
    }

    /// Returns a symbol to its simulated prices.
    public func clearQuote(symbolId: Int64) async {
        await core.clearQuote(symbolId: symbolId)
    }
}

/// Fault injection on a running ``Simulator``: for testing how a client copes with a server that
/// drops connections, answers late or not at all, or refuses orders.
public final class SimulatorFaults: Sendable {
    let core: SimulatorCore

    init(core: SimulatorCore) {
        self.core = core
    }

    /// Drops every open connection at once, without a WebSocket close or any message.
    public func dropAllConnections() async {
        await core.endAll(.drop)
    }

    /// Delays every message the simulator sends by `delay` (`nil` to stop delaying).
    public func delayResponses(by delay: Duration?) async {
        core.wireFaults.responseDelay.withLock { $0 = delay }
    }

    /// Answers no request of these payload types (empty to answer all again).
    public func withholdResponses(to payloadTypes: Set<PayloadType>) async {
        await core.updateFaults { $0.withheldRequestTypes = payloadTypes }
    }

    /// Refuses every new order with a `ProtoOAOrderErrorEvent` carrying `errorCode` (for example
    /// `"MARKET_CLOSED"`); `nil` accepts orders again.
    public func rejectOrders(withErrorCode errorCode: String?) async {
        await core.updateFaults { $0.rejectOrdersWithErrorCode = errorCode }
    }
}
