/// The parameters of one permessage-deflate offer or response (RFC 7692 §7.1).
///
/// The same value describes an offer (client → server), a response (server → client), and,
/// after negotiation, the agreement that ``configuration(for:)`` turns into the settings of a
/// ``PerMessageDeflateDeflater`` and a ``PerMessageDeflateInflater``.
public struct PerMessageDeflateParameters: Hashable, Sendable, CustomStringConvertible {
    /// The `client_max_window_bits` parameter: value-less (only in an offer: "I support the
    /// parameter, you may pick a value") or a value in 8…15.
    public enum ClientMaxWindowBits: Hashable, Sendable {
        /// `client_max_window_bits` without a value (offers only).
        case valueless
        /// `client_max_window_bits=N`, N in 8…15.
        case bits(Int)
    }

    /// The extension name, `permessage-deflate`.
    public static let extensionName = "permessage-deflate"

    /// `server_no_context_takeover`: the server resets its compression context after each message.
    public var serverNoContextTakeover: Bool
    /// `client_no_context_takeover`: the client resets its compression context after each message.
    public var clientNoContextTakeover: Bool
    /// `server_max_window_bits`: the base-2 logarithm of the server's LZ77 window (8…15), or
    /// `nil` when absent (15).
    public var serverMaxWindowBits: Int?
    /// `client_max_window_bits`, or `nil` when absent.
    public var clientMaxWindowBits: ClientMaxWindowBits?

    /// Creates parameters; every parameter is absent by default.
    public init(
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil,
        clientMaxWindowBits: ClientMaxWindowBits? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// Reads the parameters of a `permessage-deflate` extension element.
    ///
    /// - Throws: ``WebSocketHandshakeError/Code/invalidExtensionHeader`` for another extension, an
    ///   unknown parameter, a parameter given twice, a value on a flag, or a window size that is
    ///   missing (for `server_max_window_bits`) or not a plain decimal in 8…15 (RFC 7692 §7.1).
    ///   A server ignores such an offer; a client fails such a response.
    public init(_ element: WebSocketExtension) throws(WebSocketHandshakeError) {
        guard element.name == Self.extensionName else {
            throw Self.invalid("not permessage-deflate: \(element)")
        }
        self.init()
        var seen: Set<String> = []
        for parameter in element.parameters {
            guard seen.insert(parameter.name).inserted else {
                throw Self.invalid("\(parameter.name) given twice in \"\(element)\"")
            }
            switch parameter.name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { throw Self.invalid("server_no_context_takeover takes no value") }
                serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { throw Self.invalid("client_no_context_takeover takes no value") }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let value = parameter.value, let bits = Self.windowBits(value) else {
                    throw Self.invalid(
                        "server_max_window_bits needs a value in 8...15, got \(parameter.value ?? "none")")
                }
                serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value = parameter.value {
                    guard let bits = Self.windowBits(value) else {
                        throw Self.invalid("client_max_window_bits needs a value in 8...15, got \(value)")
                    }
                    clientMaxWindowBits = .bits(bits)
                } else {
                    clientMaxWindowBits = .valueless
                }
            default:
                throw WebSocketHandshakeError(
                    code: .unofferedExtensionParameter,
                    detail: "unknown permessage-deflate parameter \(parameter.name)"
                )
            }
        }
    }

    /// `1*DIGIT` without a leading zero, in 8…15 (RFC 7692 §7.1.2).
    private static func windowBits(_ text: String) -> Int? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int(text), (8...15).contains(value)
        else { return nil }
        return value
    }

    private static func invalid(_ detail: String) -> WebSocketHandshakeError {
        WebSocketHandshakeError(code: .invalidExtensionHeader, detail: detail)
    }

    /// The extension element these parameters write.
    public var extensionElement: WebSocketExtension {
        var parameters: [WebSocketExtension.Parameter] = []
        if serverNoContextTakeover { parameters.append(.init(name: "server_no_context_takeover")) }
        if clientNoContextTakeover { parameters.append(.init(name: "client_no_context_takeover")) }
        if let serverMaxWindowBits {
            parameters.append(.init(name: "server_max_window_bits", value: "\(serverMaxWindowBits)"))
        }
        switch clientMaxWindowBits {
        case nil: break
        case .valueless: parameters.append(.init(name: "client_max_window_bits"))
        case .bits(let bits): parameters.append(.init(name: "client_max_window_bits", value: "\(bits)"))
        }
        return WebSocketExtension(name: Self.extensionName, parameters: parameters)
    }

    /// The header text, e.g. `permessage-deflate; client_max_window_bits`.
    public var description: String { extensionElement.description }

    /// The settings each direction of a connection uses under these agreed parameters.
    ///
    /// For the client, outbound messages follow the `client_*` parameters and inbound messages
    /// the `server_*` ones; for the server it is the reverse. An absent window size means 15. A
    /// value-less `client_max_window_bits` (which only an offer may carry) also means 15.
    public func configuration(for role: WebSocketRole) -> PerMessageDeflateConfiguration {
        let client = PerMessageDeflateConfiguration.Direction(
            noContextTakeover: clientNoContextTakeover,
            maxWindowBits: {
                switch clientMaxWindowBits {
                case .bits(let bits): bits
                case .valueless, nil: 15
                }
            }()
        )
        let server = PerMessageDeflateConfiguration.Direction(
            noContextTakeover: serverNoContextTakeover,
            maxWindowBits: serverMaxWindowBits ?? 15
        )
        switch role {
        case .client: return PerMessageDeflateConfiguration(outbound: client, inbound: server)
        case .server: return PerMessageDeflateConfiguration(outbound: server, inbound: client)
        }
    }
}

/// The compression settings of one connection end, per direction, derived from the agreed
/// ``PerMessageDeflateParameters`` by ``PerMessageDeflateParameters/configuration(for:)``.
public struct PerMessageDeflateConfiguration: Hashable, Sendable {
    /// The settings of one direction.
    public struct Direction: Hashable, Sendable {
        /// Whether the context is reset after each message.
        public var noContextTakeover: Bool
        /// The base-2 logarithm of the LZ77 window the sender may use (8…15).
        public var maxWindowBits: Int

        /// Creates direction settings.
        public init(noContextTakeover: Bool = false, maxWindowBits: Int = 15) {
            self.noContextTakeover = noContextTakeover
            self.maxWindowBits = maxWindowBits
        }
    }

    /// What this end compresses with (for its ``PerMessageDeflateDeflater``).
    public var outbound: Direction
    /// What the peer compresses with (for this end's ``PerMessageDeflateInflater``).
    public var inbound: Direction

    /// Creates a configuration.
    public init(outbound: Direction, inbound: Direction) {
        self.outbound = outbound
        self.inbound = inbound
    }
}

extension PerMessageDeflateParameters {
    /// A deflater for this end's outbound messages under these agreed parameters:
    /// `PerMessageDeflateDeflater(configuration(for: role).outbound, …)`.
    /// - Parameters:
    ///   - role: which end this is.
    ///   - level: zlib's compression level; 6 by default (see ``PerMessageDeflateDeflater``).
    ///   - minimumSizeToCompress: messages shorter than this go out uncompressed; 64 by default.
    /// - Throws: ``WebSocketFramingError/Code/compressionFailure`` when zlib cannot be set up.
    public func makeDeflater(
        for role: WebSocketRole,
        level: Int = 6,
        minimumSizeToCompress: Int = 64
    ) throws(WebSocketFramingError) -> PerMessageDeflateDeflater {
        try PerMessageDeflateDeflater(
            configuration(for: role).outbound, level: level, minimumSizeToCompress: minimumSizeToCompress)
    }

    /// An inflater for the peer's messages under these agreed parameters:
    /// `PerMessageDeflateInflater(configuration(for: role).inbound)`.
    /// - Throws: ``WebSocketFramingError/Code/compressionFailure`` when zlib cannot be set up.
    public func makeInflater(for role: WebSocketRole) throws(WebSocketFramingError) -> PerMessageDeflateInflater {
        try PerMessageDeflateInflater(configuration(for: role).inbound)
    }
}
