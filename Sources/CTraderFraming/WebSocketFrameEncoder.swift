/// Writes WebSocket frames (RFC 6455 §5.2) into a caller's buffer, for either role.
///
/// Lengths are always in their minimal encoding (7, 16 or 64 bits). In the
/// ``WebSocketRole/client`` role every frame is masked, with the key given or else a fresh
/// ``WebSocketMaskingKey/random()``; in the ``WebSocketRole/server`` role no frame is masked and
/// any key given is ignored (RFC 6455 §5.1).
///
/// Output goes into an `inout [UInt8]`: reuse one buffer (`removeAll(keepingCapacity: true)`
/// between writes) and encoding allocates nothing.
public struct WebSocketFrameEncoder: Sendable {
    /// The end this encoder speaks for; it decides masking.
    public let role: WebSocketRole

    /// Creates an encoder.
    /// - Parameter role: the end this encoder speaks for.
    public init(role: WebSocketRole) {
        self.role = role
    }

    /// The size of a frame header for a payload of `payloadLength` bytes.
    public static func headerLength(payloadLength: Int, masked: Bool) -> Int {
        let lengthBytes = payloadLength < 126 ? 0 : payloadLength <= 0xFFFF ? 2 : 8
        return 2 + lengthBytes + (masked ? 4 : 0)
    }

    /// Appends one frame to `output`.
    ///
    /// The frame's ``WebSocketFrame/maskingKey`` is used in the client role (a random key when it
    /// is `nil`) and ignored in the server role.
    /// - Throws: as ``encode(opcode:payload:fin:rsv1:maskingKey:into:)-(_,ArraySlice<UInt8>,_,_,_,_)``.
    public func encode(_ frame: WebSocketFrame, into output: inout [UInt8]) throws(WebSocketFramingError) {
        try encode(
            opcode: frame.opcode,
            payload: frame.payload,
            fin: frame.fin,
            reservedBits: Self.bits(rsv1: frame.rsv1, rsv2: frame.rsv2, rsv3: frame.rsv3),
            maskingKey: frame.maskingKey,
            into: &output
        )
    }

    /// Appends one frame to `output`.
    ///
    /// - Parameters:
    ///   - opcode: the frame's opcode.
    ///   - payload: the unmasked payload.
    ///   - fin: whether this is a message's final frame; `true` by default.
    ///   - rsv1: the RSV1 bit ("compressed" under permessage-deflate); `false` by default.
    ///   - maskingKey: in the client role, the key to mask with (a random one when `nil`, the
    ///     default); ignored in the server role.
    ///   - output: where the frame is appended.
    /// - Throws: ``WebSocketFramingError`` for a frame RFC 6455 forbids:
    ///   ``WebSocketFramingError/Code/reservedOpcode``, ``WebSocketFramingError/Code/fragmentedControlFrame``
    ///   or ``WebSocketFramingError/Code/controlFrameTooLong``. `output` is unchanged then.
    public func encode(
        opcode: WebSocketOpcode,
        payload: ArraySlice<UInt8>,
        fin: Bool = true,
        rsv1: Bool = false,
        maskingKey: WebSocketMaskingKey? = nil,
        into output: inout [UInt8]
    ) throws(WebSocketFramingError) {
        try encode(
            opcode: opcode,
            payload: payload,
            fin: fin,
            reservedBits: rsv1 ? .rsv1 : [],
            maskingKey: maskingKey,
            into: &output
        )
    }

    /// Appends one frame to `output`; see
    /// ``encode(opcode:payload:fin:rsv1:maskingKey:into:)-(_,ArraySlice<UInt8>,_,_,_,_)``.
    /// - Throws: as that method.
    public func encode(
        opcode: WebSocketOpcode,
        payload: [UInt8],
        fin: Bool = true,
        rsv1: Bool = false,
        maskingKey: WebSocketMaskingKey? = nil,
        into output: inout [UInt8]
    ) throws(WebSocketFramingError) {
        try encode(opcode: opcode, payload: payload[...], fin: fin, rsv1: rsv1, maskingKey: maskingKey, into: &output)
    }

    /// Appends a close frame to `output`.
    ///
    /// - Parameters:
    ///   - close: the status code and reason (at most 123 bytes of UTF-8);
    ///     ``WebSocketCloseCode/noStatusReceived`` sends an empty payload.
    ///   - maskingKey: as for ``encode(opcode:payload:fin:rsv1:maskingKey:into:)-(_,ArraySlice<UInt8>,_,_,_,_)``.
    ///   - output: where the frame is appended.
    /// - Throws: as ``WebSocketClosePayload/encode(into:)``. `output` is unchanged then.
    public func encodeClose(
        _ close: WebSocketClosePayload,
        maskingKey: WebSocketMaskingKey? = nil,
        into output: inout [UInt8]
    ) throws(WebSocketFramingError) {
        // Validate before writing anything, so a failure leaves `output` untouched.
        var payload: [UInt8] = []
        try close.encode(into: &payload)
        try encode(opcode: .close, payload: payload[...], maskingKey: maskingKey, into: &output)
    }

    /// Appends a whole message to `output`, split into `fragmentCount` frames.
    ///
    /// The payload is cut into `fragmentCount` pieces of near-equal size (the first ones one
    /// byte longer when it does not divide evenly); the first frame carries `opcode` (and RSV1
    /// when `rsv1`), the others are continuations, and the last has FIN.
    ///
    /// - Parameters:
    ///   - payload: the message's (already compressed, if `rsv1`) data.
    ///   - opcode: ``WebSocketOpcode/text`` or ``WebSocketOpcode/binary``.
    ///   - rsv1: whether to set RSV1 on the first frame; `false` by default.
    ///   - fragmentCount: how many frames to send; `1` by default. Must be at least 1.
    ///   - maskingKey: in the client role, the key for every frame (a random key per frame when
    ///     `nil`, the default); ignored in the server role.
    ///   - output: where the frames are appended.
    /// - Throws: ``WebSocketFramingError/Code/reservedOpcode`` for an opcode that is not text or
    ///   binary. `output` is unchanged then.
    public func encodeMessage(
        _ payload: ArraySlice<UInt8>,
        opcode: WebSocketOpcode,
        rsv1: Bool = false,
        fragmentCount: Int = 1,
        maskingKey: WebSocketMaskingKey? = nil,
        into output: inout [UInt8]
    ) throws(WebSocketFramingError) {
        precondition(fragmentCount >= 1, "fragmentCount must be at least 1")
        guard opcode == .text || opcode == .binary else {
            throw .protocolError(.reservedOpcode, "a message's opcode must be text or binary, not \(opcode)")
        }
        let base = payload.count / fragmentCount
        let extra = payload.count % fragmentCount
        var start = payload.startIndex
        for index in 0..<fragmentCount {
            let end = start + base + (index < extra ? 1 : 0)
            try encode(
                opcode: index == 0 ? opcode : .continuation,
                payload: payload[start..<end],
                fin: index == fragmentCount - 1,
                reservedBits: index == 0 && rsv1 ? .rsv1 : [],
                maskingKey: maskingKey,
                into: &output
            )
            start = end
        }
    }

    /// Appends a whole message to `output`, compressed by `deflater` when it chooses to.
    ///
    /// When the deflater returns compressed bytes they are sent with RSV1 set on the first frame
    /// (RFC 7692 §6); when it returns `nil` the message goes out as is, with RSV1 clear.
    ///
    /// - Parameters:
    ///   - payload: the message's uncompressed data.
    ///   - opcode: ``WebSocketOpcode/text`` or ``WebSocketOpcode/binary``.
    ///   - deflater: the negotiated compressor, e.g. ``PerMessageDeflateDeflater``.
    ///   - fragmentCount: how many frames to send; `1` by default.
    ///   - maskingKey: as for ``encodeMessage(_:opcode:rsv1:fragmentCount:maskingKey:into:)``.
    ///   - output: where the frames are appended.
    /// - Throws: what the deflater throws, or as
    ///   ``encodeMessage(_:opcode:rsv1:fragmentCount:maskingKey:into:)``.
    public func encodeMessage(
        _ payload: ArraySlice<UInt8>,
        opcode: WebSocketOpcode,
        deflater: inout some WebSocketMessageDeflater,
        fragmentCount: Int = 1,
        maskingKey: WebSocketMaskingKey? = nil,
        into output: inout [UInt8]
    ) throws(WebSocketFramingError) {
        guard opcode == .text || opcode == .binary else {
            throw .protocolError(.reservedOpcode, "a message's opcode must be text or binary, not \(opcode)")
        }
        if let compressed = try deflater.deflate(payload) {
            try encodeMessage(
                compressed[...], opcode: opcode, rsv1: true, fragmentCount: fragmentCount,
                maskingKey: maskingKey, into: &output
            )
        } else {
            try encodeMessage(
                payload, opcode: opcode, rsv1: false, fragmentCount: fragmentCount,
                maskingKey: maskingKey, into: &output
            )
        }
    }

    // MARK: - Core

    private static func bits(rsv1: Bool, rsv2: Bool, rsv3: Bool) -> WebSocketReservedBits {
        var bits: WebSocketReservedBits = []
        if rsv1 { bits.insert(.rsv1) }
        if rsv2 { bits.insert(.rsv2) }
        if rsv3 { bits.insert(.rsv3) }
        return bits
    }

    private func encode(
        opcode: WebSocketOpcode,
        payload: ArraySlice<UInt8>,
        fin: Bool,
        reservedBits: WebSocketReservedBits,
        maskingKey: WebSocketMaskingKey?,
        into output: inout [UInt8]
    ) throws(WebSocketFramingError) {
        if opcode.isReserved {
            throw .protocolError(.reservedOpcode, "opcode \(opcode) is reserved")
        }
        if opcode.isControl {
            if !fin {
                throw .protocolError(.fragmentedControlFrame, "\(opcode) frame without FIN")
            }
            if payload.count > 125 {
                throw .protocolError(.controlFrameTooLong, "\(opcode) payload of \(payload.count) bytes")
            }
        }
        let key: WebSocketMaskingKey?
        switch role {
        case .client: key = maskingKey ?? .random()
        case .server: key = nil
        }
        let length = payload.count
        let needed = output.count + Self.headerLength(payloadLength: length, masked: key != nil) + length
        if output.capacity < needed {
            // Grow geometrically so that appending many frames to one buffer stays linear.
            output.reserveCapacity(Swift.max(needed, output.capacity * 2))
        }
        output.append((fin ? 0x80 : 0) | reservedBits.rawValue | opcode.rawValue)
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        if length < 126 {
            output.append(maskBit | UInt8(truncatingIfNeeded: length))
        } else if length <= 0xFFFF {
            output.append(maskBit | 126)
            output.append(UInt8(truncatingIfNeeded: length >> 8))
            output.append(UInt8(truncatingIfNeeded: length))
        } else {
            output.append(maskBit | 127)
            let wide = UInt64(length)
            for shift in stride(from: 56, through: 0, by: -8) {
                output.append(UInt8(truncatingIfNeeded: wide >> UInt64(shift)))
            }
        }
        if let key {
            output.append(UInt8(truncatingIfNeeded: key.rawValue >> 24))
            output.append(UInt8(truncatingIfNeeded: key.rawValue >> 16))
            output.append(UInt8(truncatingIfNeeded: key.rawValue >> 8))
            output.append(UInt8(truncatingIfNeeded: key.rawValue))
        }
        guard let key, length > 0 else {
            output.append(contentsOf: payload)
            return
        }
        if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
            // Copy and mask in one pass, into the capacity reserved above. Safe because exactly
            // `length` bytes are written into a span of `length` uninitialized bytes, and marked
            // initialized.
            output.append(addingCapacity: length) { span in
                span.withUnsafeMutableBufferPointer { buffer, initialized in
                    payload.withUnsafeBytes { source in
                        WebSocketMasking.mask(source, into: UnsafeMutableRawBufferPointer(buffer), key: key)
                    }
                    initialized = length
                }
            }
        } else {
            let start = output.count
            output.append(contentsOf: payload)
            WebSocketMasking.mask(&output, range: start..<(start + length), key: key)
        }
    }
}
