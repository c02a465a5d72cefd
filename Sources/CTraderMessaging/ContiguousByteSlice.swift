// swift-ctrader: the cTrader Open API message layer.

import SwiftProtobuf

/// An `ArraySlice<UInt8>` as swift-protobuf's byte-bag protocol, so that a payload is decoded
/// straight from its range in the received envelope, without a copy.
struct ContiguousByteSlice: SwiftProtobufContiguousBytes {
    var base: ArraySlice<UInt8>

    init(_ base: ArraySlice<UInt8>) {
        self.base = base
    }

    init(repeating: UInt8, count: Int) {
        base = ArraySlice(repeating: repeating, count: count)
    }

    init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
        base = ArraySlice(sequence)
    }

    var count: Int { base.count }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try base.withUnsafeBytes(body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try base.withUnsafeMutableBytes(body)
    }
}
