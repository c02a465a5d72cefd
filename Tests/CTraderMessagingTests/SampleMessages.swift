// swift-ctrader: test helpers for the message layer.

import Foundation
import SwiftProtobuf

@testable import CTraderMessaging

/// Fills a message generically, through swift-protobuf's `Decoder` protocol: the generated
/// `decodeMessage(decoder:)` asks for each field number this decoder offers and hands over the
/// field's storage. It offers either every field number (1…64: the generated code ignores numbers
/// the message lacks) or only the proto2 `required` ones from the catalogue, and descends into
/// nested messages. So it covers the whole catalogue without a per-type sample.
struct SampleFiller: SwiftProtobuf.Decoder {
    enum Mode { case requiredOnly, everyField }

    let mode: Mode
    let depth: Int
    private var numbers: [Int]

    init<M: SwiftProtobuf.Message>(for type: M.Type, mode: Mode, depth: Int = 0) {
        self.mode = mode
        self.depth = depth
        switch mode {
        case .requiredOnly:
            numbers = (Catalogue.requiredFields[M.protoMessageName] ?? []).map(\.number)
        case .everyField:
            numbers = Array(1...64)
        }
        numbers.reverse()
    }

    static func makeTyped<M: SwiftProtobuf.Message>(_ type: M.Type, mode: Mode, depth: Int = 0) -> M {
        var message = M()
        var filler = SampleFiller(for: type, mode: mode, depth: depth)
        try! message.decodeMessage(decoder: &filler)
        return message
    }

    static func make(_ type: any CTraderMessage.Type, mode: Mode) -> any CTraderMessage {
        func open<M: CTraderMessage>(_ type: M.Type) -> any CTraderMessage { makeTyped(type, mode: mode) }
        return open(type)
    }

    static let int64Sample: Int64 = 9_007_199_254_740_993
    static let uint64Sample: UInt64 = 18_446_744_073_709_551_615
    static let stringSample = "sample \"quoted\" \\ ✓"

    mutating func handleConflictingOneOf() throws {}
    mutating func nextFieldNumber() throws -> Int? { numbers.popLast() }

    mutating func decodeSingularFloatField(value: inout Float) throws { value = 1.5 }
    mutating func decodeSingularFloatField(value: inout Float?) throws { value = 1.5 }
    mutating func decodeRepeatedFloatField(value: inout [Float]) throws { value = [1.5, -2] }
    mutating func decodeSingularDoubleField(value: inout Double) throws { value = 0.125 }
    mutating func decodeSingularDoubleField(value: inout Double?) throws { value = 0.125 }
    mutating func decodeRepeatedDoubleField(value: inout [Double]) throws { value = [0.125, 3] }
    mutating func decodeSingularInt32Field(value: inout Int32) throws { value = -42 }
    mutating func decodeSingularInt32Field(value: inout Int32?) throws { value = -42 }
    mutating func decodeRepeatedInt32Field(value: inout [Int32]) throws { value = [-42, 7] }
    mutating func decodeSingularInt64Field(value: inout Int64) throws { value = Self.int64Sample }
    mutating func decodeSingularInt64Field(value: inout Int64?) throws { value = Self.int64Sample }
    mutating func decodeRepeatedInt64Field(value: inout [Int64]) throws { value = [Self.int64Sample, -1] }
    mutating func decodeSingularUInt32Field(value: inout UInt32) throws { value = 4_000_000_000 }
    mutating func decodeSingularUInt32Field(value: inout UInt32?) throws { value = 4_000_000_000 }
    mutating func decodeRepeatedUInt32Field(value: inout [UInt32]) throws { value = [4_000_000_000, 1] }
    mutating func decodeSingularUInt64Field(value: inout UInt64) throws { value = Self.uint64Sample }
    mutating func decodeSingularUInt64Field(value: inout UInt64?) throws { value = Self.uint64Sample }
    mutating func decodeRepeatedUInt64Field(value: inout [UInt64]) throws { value = [Self.uint64Sample, 2] }
    mutating func decodeSingularSInt32Field(value: inout Int32) throws { value = -3 }
    mutating func decodeSingularSInt32Field(value: inout Int32?) throws { value = -3 }
    mutating func decodeRepeatedSInt32Field(value: inout [Int32]) throws { value = [-3] }
    mutating func decodeSingularSInt64Field(value: inout Int64) throws { value = -Self.int64Sample }
    mutating func decodeSingularSInt64Field(value: inout Int64?) throws { value = -Self.int64Sample }
    mutating func decodeRepeatedSInt64Field(value: inout [Int64]) throws { value = [-Self.int64Sample] }
    mutating func decodeSingularFixed32Field(value: inout UInt32) throws { value = 5 }
    mutating func decodeSingularFixed32Field(value: inout UInt32?) throws { value = 5 }
    mutating func decodeRepeatedFixed32Field(value: inout [UInt32]) throws { value = [5] }
    mutating func decodeSingularFixed64Field(value: inout UInt64) throws { value = 6 }
    mutating func decodeSingularFixed64Field(value: inout UInt64?) throws { value = 6 }
    mutating func decodeRepeatedFixed64Field(value: inout [UInt64]) throws { value = [6] }
    mutating func decodeSingularSFixed32Field(value: inout Int32) throws { value = -5 }
    mutating func decodeSingularSFixed32Field(value: inout Int32?) throws { value = -5 }
    mutating func decodeRepeatedSFixed32Field(value: inout [Int32]) throws { value = [-5] }
    mutating func decodeSingularSFixed64Field(value: inout Int64) throws { value = -6 }
    mutating func decodeSingularSFixed64Field(value: inout Int64?) throws { value = -6 }
    mutating func decodeRepeatedSFixed64Field(value: inout [Int64]) throws { value = [-6] }
    mutating func decodeSingularBoolField(value: inout Bool) throws { value = true }
    mutating func decodeSingularBoolField(value: inout Bool?) throws { value = true }
    mutating func decodeRepeatedBoolField(value: inout [Bool]) throws { value = [true, false] }
    mutating func decodeSingularStringField(value: inout String) throws { value = Self.stringSample }
    mutating func decodeSingularStringField(value: inout String?) throws { value = Self.stringSample }
    mutating func decodeRepeatedStringField(value: inout [String]) throws { value = [Self.stringSample, "b"] }
    mutating func decodeSingularBytesField(value: inout Data) throws { value = Data([0, 1, 254, 255]) }
    mutating func decodeSingularBytesField(value: inout Data?) throws { value = Data([0, 1, 254, 255]) }
    mutating func decodeRepeatedBytesField(value: inout [Data]) throws { value = [Data([0, 1])] }

    /// The last case: never the default, so that a required enum equal to its default is
    /// covered by the required-only samples (where the default is the first case).
    private func enumSample<E: SwiftProtobuf.Enum>(_ type: E.Type) -> E where E.RawValue == Int {
        if let all = E.self as? any CaseIterable.Type {
            func last<C: CaseIterable>(_ c: C.Type) -> E? { C.allCases.reversed().first as? E }
            if let value = last(all) { return value }
        }
        return E()
    }

    mutating func decodeSingularEnumField<E: SwiftProtobuf.Enum>(value: inout E) throws where E.RawValue == Int {
        value = mode == .everyField ? enumSample(E.self) : E()
    }
    mutating func decodeSingularEnumField<E: SwiftProtobuf.Enum>(value: inout E?) throws where E.RawValue == Int {
        value = mode == .everyField ? enumSample(E.self) : E()
    }
    mutating func decodeRepeatedEnumField<E: SwiftProtobuf.Enum>(value: inout [E]) throws where E.RawValue == Int {
        value = [E(), enumSample(E.self)]
    }
    mutating func decodeSingularMessageField<M: SwiftProtobuf.Message>(value: inout M?) throws {
        guard depth < 6 else { return }
        value = Self.makeTyped(M.self, mode: mode, depth: depth + 1)
    }
    mutating func decodeRepeatedMessageField<M: SwiftProtobuf.Message>(value: inout [M]) throws {
        guard depth < 6 else { return }
        value = [Self.makeTyped(M.self, mode: mode, depth: depth + 1)]
    }
    mutating func decodeSingularGroupField<G: SwiftProtobuf.Message>(value: inout G?) throws {}
    mutating func decodeRepeatedGroupField<G: SwiftProtobuf.Message>(value: inout [G]) throws {}
    mutating func decodeMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type,
        value: inout _ProtobufMap<KeyType, ValueType>.BaseType
    ) throws {}
    mutating func decodeMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type,
        value: inout _ProtobufEnumMap<KeyType, ValueType>.BaseType
    ) throws where ValueType.RawValue == Int {}
    mutating func decodeMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
        value: inout _ProtobufMessageMap<KeyType, ValueType>.BaseType
    ) throws {}
    mutating func decodeExtensionField(
        values: inout ExtensionFieldValueSet,
        messageType: any SwiftProtobuf.Message.Type,
        fieldNumber: Int
    ) throws {}
}
