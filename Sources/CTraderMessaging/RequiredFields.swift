// swift-ctrader: the cTrader Open API message layer.

import Foundation
public import SwiftProtobuf

/// A proto2 `required` field of a message, from the generated catalogue.
struct RequiredField: Sendable {
    /// The field number.
    var number: Int
    /// The field name, as in the `.proto` and in JSON.
    var name: String
}

extension SwiftProtobuf.Message {
    /// The path of the first proto2 `required` field that is not set, searching this message and
    /// every message nested in it, e.g. `volume` or `position.tradeData.symbolId`; `nil` when
    /// every required field is set.
    ///
    /// swift-protobuf's JSON decoder does not check `required` fields and its `isInitialized`
    /// does not say which one is missing; this walks the message with the catalogue's table of
    /// required fields.
    public var firstMissingRequiredFieldPath: String? {
        var finder = MissingRequiredFieldFinder(messageName: Self.protoMessageName)
        try? traverse(visitor: &finder)
        return finder.result
    }
}

/// Visits the fields that are set, then reports the first required field that was not visited,
/// descending into nested messages (depth first, in field order).
private struct MissingRequiredFieldFinder: SwiftProtobuf.Visitor {
    let messageName: String
    let prefix: String
    var seen: Set<Int> = []
    var nested: String?

    init(messageName: String, prefix: String = "") {
        self.messageName = messageName
        self.prefix = prefix
    }

    /// The first missing required field at this level, else the first found in a nested message.
    var result: String? {
        for field in Catalogue.requiredFields[messageName] ?? [] where !seen.contains(field.number) {
            return prefix + field.name
        }
        return nested
    }

    private mutating func saw(_ fieldNumber: Int) {
        seen.insert(fieldNumber)
    }

    private mutating func descend<M: SwiftProtobuf.Message>(into value: M, fieldNumber: Int, index: Int?) {
        guard nested == nil else { return }
        let name = Catalogue.messageFieldNames[messageName]?[fieldNumber] ?? String(fieldNumber)
        let path = prefix + name + (index.map { "[\($0)]" } ?? "") + "."
        var finder = MissingRequiredFieldFinder(messageName: M.protoMessageName, prefix: path)
        try? value.traverse(visitor: &finder)
        nested = finder.result
    }

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws { saw(fieldNumber) }
    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws { saw(fieldNumber) }
    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws { saw(fieldNumber) }
    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws { saw(fieldNumber) }
    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws { saw(fieldNumber) }
    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws { saw(fieldNumber) }
    mutating func visitSingularEnumField<E: SwiftProtobuf.Enum>(value: E, fieldNumber: Int) throws {
        saw(fieldNumber)
    }
    mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {
        saw(fieldNumber)
        descend(into: value, fieldNumber: fieldNumber, index: nil)
    }
    mutating func visitRepeatedMessageField<M: SwiftProtobuf.Message>(value: [M], fieldNumber: Int) throws {
        saw(fieldNumber)
        for (index, element) in value.enumerated() {
            descend(into: element, fieldNumber: fieldNumber, index: index)
        }
    }
    mutating func visitMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type,
        value: _ProtobufMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws { saw(fieldNumber) }
    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type,
        value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws where ValueType.RawValue == Int { saw(fieldNumber) }
    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
        value: _ProtobufMessageMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws { saw(fieldNumber) }
    mutating func visitUnknown(bytes: Data) throws {}
}
