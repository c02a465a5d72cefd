public import CTraderFraming

/// The limits and behaviour of a ``WebSocketConnection``, for either role.
///
/// Every field has a documented default. `WebSocketConfiguration()` is the plain WebSocket layer's
/// default (no compression offered, no `User-Agent`); the cTrader connectors start from
/// `WebSocketConfiguration.cTraderClient` (in `CTraderChannel`), which offers permessage-deflate
/// and names the library in `User-Agent`.
///
/// ```swift
/// var configuration = WebSocketConfiguration()
/// configuration.autoPing = .enabled(interval: .seconds(10), timeout: .seconds(5))
/// configuration.perMessageDeflateOffer = .perMessageDeflate(PerMessageDeflateClientConfiguration())
/// let connection = try await WebSocketConnection.connect(to: "wss://live.ctraderapi.com:5036", configuration: configuration)
/// ```
public struct WebSocketConfiguration: Sendable {
    /// The largest frame payload accepted from the peer, in bytes; a larger frame fails the
    /// connection with 1009. Default `WebSocketFrameDecoder.defaultMaxFrameSize` (16 MiB).
    public var maxFrameSize: Int
    /// The largest message accepted from the peer (after inflation), in bytes; a larger one fails
    /// the connection with 1009. Default `WebSocketMessageAssembler.defaultMaxMessageSize` (16 MiB).
    public var maxMessageSize: Int
    /// The most frames one incoming message may have; more fail the connection with 1009.
    /// Default `WebSocketMessageAssembler.defaultMaxFragmentCount` (1024).
    public var maxFragmentCount: Int
    /// How long the opening handshake (the HTTP upgrade request and its answer) may take, after
    /// the transport is connected. Default 10 s.
    public var handshakeTimeout: Duration
    /// How long the closing handshake may take before the transport is closed anyway (and the
    /// status is 1006, not clean). Default 10 s.
    public var closeTimeout: Duration
    /// Whether to ping an idle peer and when to give up on it. Default ``WebSocketAutoPing/disabled``.
    public var autoPing: WebSocketAutoPing
    /// Client role: what to offer in `Sec-WebSocket-Extensions`. Default `.none`: no compression
    /// unless asked for, so that a server's compression quirks never surprise a plain WebSocket
    /// client (the cTrader connectors' `WebSocketConfiguration.cTraderClient` offers it).
    /// Use `.perMessageDeflate(...)` for RFC 7692, or `.raw(...)` to send a header value as written.
    public var perMessageDeflateOffer: WebSocketClientHandshake.ExtensionOffer
    /// Client role: the `User-Agent` header field of the opening handshake, or `nil` (the default)
    /// to send none. A `User-Agent` among the `extraHeaders` given to `connect` takes precedence.
    public var userAgent: String?
    /// Server role: which permessage-deflate offers to accept, or `nil` to decline them all.
    /// Default `PerMessageDeflateServerConfiguration()`: accept a client's offer with its own
    /// parameters (context takeover, 15-bit windows unless the client asks for less).
    public var perMessageDeflateAccept: PerMessageDeflateServerConfiguration?
    /// zlib's compression level for outgoing compressed messages (0…9). Default 6.
    public var compressionLevel: Int
    /// zlib's `memLevel` for outgoing compressed messages (1…9): how much memory the compressor
    /// keeps per connection besides its window (`2^(memoryLevel+9)` bytes of hash table and
    /// pending output). Default 8 (zlib's default, 128 KiB); 1 or 2 keep a connection's
    /// compressor within a few KiB at a small cost in compression. Together with the window
    /// (`2^(windowBits+2)` bytes, 128 KiB at 15 bits), this is the memory a connection that
    /// compresses keeps for its life; servers with many connections lower both (the window
    /// through ``perMessageDeflateAccept``'s `serverMaxWindowBits`).
    public var compressionMemoryLevel: Int
    /// Outgoing messages shorter than this are sent uncompressed even when compression was
    /// negotiated (compressing a few bytes costs more than it saves). Default 64 bytes.
    public var minimumSizeToCompress: Int
    /// How many received messages the connection buffers for ``WebSocketConnection/messages``.
    /// When the buffer is full the connection stops reading the transport until the application
    /// takes a message (backpressure reaches the peer through TCP). Default 16.
    public var inboundQueueDepth: Int
    /// The most bytes asked of the transport per read. Default 64 KiB.
    public var readChunkSize: Int
    /// The largest HTTP head accepted during the opening handshake. Default 16 KiB.
    public var maxHandshakeHeaderSize: Int

    /// Creates a configuration; every parameter has the default documented on its property.
    public init(
        maxFrameSize: Int = WebSocketFrameDecoder.defaultMaxFrameSize,
        maxMessageSize: Int = WebSocketMessageAssembler.defaultMaxMessageSize,
        maxFragmentCount: Int = WebSocketMessageAssembler.defaultMaxFragmentCount,
        handshakeTimeout: Duration = .seconds(10),
        closeTimeout: Duration = .seconds(10),
        autoPing: WebSocketAutoPing = .disabled,
        perMessageDeflateOffer: WebSocketClientHandshake.ExtensionOffer = .none,
        perMessageDeflateAccept: PerMessageDeflateServerConfiguration? = PerMessageDeflateServerConfiguration(),
        userAgent: String? = nil,
        compressionLevel: Int = 6,
        compressionMemoryLevel: Int = 8,
        minimumSizeToCompress: Int = 64,
        inboundQueueDepth: Int = 16,
        readChunkSize: Int = 64 * 1024,
        maxHandshakeHeaderSize: Int = 16 * 1024
    ) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
        self.maxFragmentCount = maxFragmentCount
        self.handshakeTimeout = handshakeTimeout
        self.closeTimeout = closeTimeout
        self.autoPing = autoPing
        self.perMessageDeflateOffer = perMessageDeflateOffer
        self.perMessageDeflateAccept = perMessageDeflateAccept
        self.userAgent = userAgent
        self.compressionLevel = compressionLevel
        self.compressionMemoryLevel = compressionMemoryLevel
        self.minimumSizeToCompress = minimumSizeToCompress
        self.inboundQueueDepth = inboundQueueDepth
        self.readChunkSize = readChunkSize
        self.maxHandshakeHeaderSize = maxHandshakeHeaderSize
    }
}

extension WebSocketConfiguration {
    /// The deflater for this end's outbound messages under the agreed permessage-deflate
    /// parameters, with this configuration's ``compressionLevel``, ``compressionMemoryLevel`` and
    /// ``minimumSizeToCompress``.
    func makeDeflater(
        _ agreed: PerMessageDeflateParameters, for role: WebSocketRole
    ) throws(WebSocketFramingError) -> PerMessageDeflateDeflater {
        try PerMessageDeflateDeflater(
            agreed.configuration(for: role).outbound, level: compressionLevel, memoryLevel: compressionMemoryLevel,
            minimumSizeToCompress: minimumSizeToCompress)
    }
}
