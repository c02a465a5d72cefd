/// What a client offers for permessage-deflate (RFC 7692 §7.1).
///
/// Window sizes are limited to 9…15 in what this library offers: zlib cannot compress with an
/// 8-bit window, so zlib-based servers decline `server_max_window_bits=8`, and a client that
/// offers `client_max_window_bits=8` gains nothing (see ``PerMessageDeflateDeflater`` for how an
/// 8-bit window is honoured when a server imposes it). A requested 8 is raised to 9.
public struct PerMessageDeflateClientConfiguration: Hashable, Sendable {
    /// Ask the server to reset its context after each message (`server_no_context_takeover`).
    public var serverNoContextTakeover: Bool
    /// Tell the server this client resets its context after each message
    /// (`client_no_context_takeover`); the client then does so whatever the response says.
    public var clientNoContextTakeover: Bool
    /// Ask the server to compress with at most this window (`server_max_window_bits`, 9…15), or
    /// `nil` to leave it to the server.
    public var serverMaxWindowBits: Int?
    /// What to send as `client_max_window_bits`: value-less (the default: "you may choose my
    /// window"), a value 9…15 (a limit this client keeps), or `nil` not to send it.
    public var clientMaxWindowBits: PerMessageDeflateParameters.ClientMaxWindowBits?

    /// Creates a client offer.
    /// - Parameters:
    ///   - serverNoContextTakeover: send `server_no_context_takeover`; `false` by default.
    ///   - clientNoContextTakeover: send `client_no_context_takeover`; `false` by default.
    ///   - serverMaxWindowBits: send `server_max_window_bits` with this value (raised to 9 when
    ///     lower, lowered to 15 when higher); `nil` (absent) by default.
    ///   - clientMaxWindowBits: `client_max_window_bits`; `.valueless` by default. A value is
    ///     kept within 9…15.
    public init(
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil,
        clientMaxWindowBits: PerMessageDeflateParameters.ClientMaxWindowBits? = .valueless
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits.map { min(max($0, 9), 15) }
        switch clientMaxWindowBits {
        case .bits(let bits): self.clientMaxWindowBits = .bits(min(max(bits, 9), 15))
        case .valueless, nil: self.clientMaxWindowBits = clientMaxWindowBits
        }
    }

    /// The offer as parameters.
    public var offer: PerMessageDeflateParameters {
        PerMessageDeflateParameters(
            serverNoContextTakeover: serverNoContextTakeover,
            clientNoContextTakeover: clientNoContextTakeover,
            serverMaxWindowBits: serverMaxWindowBits,
            clientMaxWindowBits: clientMaxWindowBits
        )
    }
}

extension PerMessageDeflateParameters {
    /// Checks a server's response against the offer it answers and returns what the client
    /// must follow (RFC 7692 §7.1).
    ///
    /// The response may add `server_no_context_takeover`, `client_no_context_takeover` and
    /// `server_max_window_bits` (at most the offered value, if one was offered) on its own; it
    /// may carry `client_max_window_bits`, with a value, only if the offer had it. The result
    /// also keeps the client's own promises from the offer (`client_no_context_takeover`, a
    /// `client_max_window_bits` value).
    ///
    /// - Throws: ``WebSocketHandshakeError`` with ``WebSocketHandshakeError/Code/unofferedExtensionParameter``
    ///   for `client_max_window_bits` that was not offered or a `server_max_window_bits` above the
    ///   offered one, and ``WebSocketHandshakeError/Code/invalidExtensionHeader`` for a value-less
    ///   `client_max_window_bits`.
    ///
    /// A response's `client_max_window_bits=8` is accepted, although zlib cannot compress with an
    /// 8-bit window: declining is not an option for a client (it could only fail the
    /// connection), so its ``PerMessageDeflateDeflater`` honours the limit by sending stored
    /// (uncompressed) DEFLATE blocks, which refer to no earlier data.
    public static func agreement(
        response: PerMessageDeflateParameters,
        offer: PerMessageDeflateParameters
    ) throws(WebSocketHandshakeError) -> PerMessageDeflateParameters {
        var agreed = response
        agreed.clientNoContextTakeover = response.clientNoContextTakeover || offer.clientNoContextTakeover
        if let offered = offer.serverMaxWindowBits, let answered = response.serverMaxWindowBits, answered > offered {
            throw WebSocketHandshakeError(
                code: .unofferedExtensionParameter,
                detail: "server_max_window_bits=\(answered) exceeds the offered \(offered)"
            )
        }
        switch (response.clientMaxWindowBits, offer.clientMaxWindowBits) {
        case (.valueless, _):
            throw WebSocketHandshakeError(
                code: .invalidExtensionHeader, detail: "client_max_window_bits without a value in a response")
        case (.bits, nil):
            throw WebSocketHandshakeError(
                code: .unofferedExtensionParameter, detail: "client_max_window_bits was not offered")
        case (.bits(let answered), .bits(let offered)):
            agreed.clientMaxWindowBits = .bits(min(answered, offered))
        case (.bits, .valueless), (nil, .valueless), (nil, nil):
            break
        case (nil, .bits(let offered)):
            agreed.clientMaxWindowBits = .bits(offered)
        }
        return agreed
    }
}

/// What a server accepts and asks for in permessage-deflate (RFC 7692 §7.1).
///
/// The server takes the client's offers in order and accepts the first one it can honour. It
/// declines an offer whose parameters do not parse (unknown, repeated, invalid values) and an
/// offer with `server_max_window_bits=8`: the response's value must not exceed the offered one,
/// and zlib cannot compress with an 8-bit window (it could be honoured only with stored,
/// uncompressed blocks, which is no better than declining). An offer's `client_max_window_bits=8` is
/// accepted: inflating with a 9-bit window reads data compressed with an 8-bit one.
public struct PerMessageDeflateServerConfiguration: Hashable, Sendable {
    /// Always reset the server's context after each message (adds `server_no_context_takeover`).
    public var serverNoContextTakeover: Bool
    /// Ask clients to reset their context after each message (adds `client_no_context_takeover`),
    /// which saves the server the memory of a window kept per connection.
    public var clientNoContextTakeover: Bool
    /// Compress with at most this window (9…15; adds `server_max_window_bits`), or `nil` for 15
    /// or whatever smaller value the client asks.
    public var serverMaxWindowBits: Int?
    /// Ask clients that offer `client_max_window_bits` to use at most this window (8…15), or
    /// `nil` not to ask.
    public var clientMaxWindowBits: Int?

    /// Creates a server configuration.
    /// - Parameters:
    ///   - serverNoContextTakeover: `false` by default (context takeover compresses better).
    ///   - clientNoContextTakeover: `false` by default.
    ///   - serverMaxWindowBits: `nil` by default; kept within 9…15.
    ///   - clientMaxWindowBits: `nil` by default; kept within 8…15.
    public init(
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil,
        clientMaxWindowBits: Int? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits.map { min(max($0, 9), 15) }
        self.clientMaxWindowBits = clientMaxWindowBits.map { min(max($0, 8), 15) }
    }

    /// The response to one offer, or `nil` when this server declines it.
    public func response(to offer: PerMessageDeflateParameters) -> PerMessageDeflateParameters? {
        if let offered = offer.serverMaxWindowBits, offered < 9 { return nil }
        var response = PerMessageDeflateParameters(
            serverNoContextTakeover: offer.serverNoContextTakeover || serverNoContextTakeover,
            clientNoContextTakeover: offer.clientNoContextTakeover || clientNoContextTakeover
        )
        switch (offer.serverMaxWindowBits, serverMaxWindowBits) {
        case (nil, nil): response.serverMaxWindowBits = nil
        case (let offered?, nil): response.serverMaxWindowBits = offered
        case (nil, let own?): response.serverMaxWindowBits = own
        case (let offered?, let own?): response.serverMaxWindowBits = min(offered, own)
        }
        switch (offer.clientMaxWindowBits, clientMaxWindowBits) {
        case (nil, _): response.clientMaxWindowBits = nil  // RFC 7692 §7.1.2.2: not without an offer
        case (.valueless, nil): response.clientMaxWindowBits = nil
        case (.valueless, let wanted?): response.clientMaxWindowBits = .bits(wanted)
        case (.bits(let offered), nil): response.clientMaxWindowBits = .bits(offered)
        case (.bits(let offered), let wanted?): response.clientMaxWindowBits = .bits(min(offered, wanted))
        }
        return response
    }

    /// The response to the first acceptable permessage-deflate offer among `extensions` (the
    /// parsed Sec-WebSocket-Extensions of a request), or `nil` when none is acceptable. Other
    /// extensions are skipped.
    public func negotiate(_ extensions: [WebSocketExtension]) -> PerMessageDeflateParameters? {
        for element in extensions where element.name == PerMessageDeflateParameters.extensionName {
            guard let offer = try? PerMessageDeflateParameters(element) else { continue }
            if let response = response(to: offer) { return response }
        }
        return nil
    }
}
