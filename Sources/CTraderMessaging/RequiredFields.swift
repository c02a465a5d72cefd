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
    ///
    /// A required enum field that holds a value the catalogue does not know (see
    /// ``unrecognizedEnumValue(field:)``) counts as set.
    public var firstMissingRequiredFieldPath: String? {
        firstMissingRequiredField(countingUnrecognizedEnums: true)?.path
    }

    /// The first missing required field: its path, and the field numbers along it (`nil` under
    /// a repeated field).
    func firstMissingRequiredField(countingUnrecognizedEnums: Bool) -> (path: String, numbers: [Int]?)? {
        var finder = MissingRequiredFieldFinder(messageName: Self.protoMessageName)
        finder.countsUnknownFields = countingUnrecognizedEnums
        try? traverse(visitor: &finder)
        return finder.result
    }

    /// The raw number of an enum field of this message whose value the catalogue's enum does not
    /// have (a server newer than the catalogue); `nil` when the field is unset or holds a known
    /// value. Such a value reads as the enum's default in the typed property, whose `has…` is
    /// `false`.
    ///
    /// - Parameter field: the name of a required field, as in the `.proto` (`executionType`), or
    ///   the number of any field (`"4"`). JSON decoding keeps the unknown numbers of required
    ///   fields only; protobuf decoding keeps every one.
    public func unrecognizedEnumValue(field: String) -> Int32? {
        let number =
            Int(field)
            ?? (Catalogue.requiredFields[Self.protoMessageName] ?? []).first(where: { $0.name == field })?.number
        guard let number else { return nil }
        return UnknownFieldScanner.varints(in: unknownFields.data).last { $0.number == number }
            .map { Int32(truncatingIfNeeded: $0.value) }
    }
}

/// Reads the varint fields of protobuf bytes (swift-protobuf keeps an unknown enum value of a
/// proto2 message in its unknown fields, as a varint field); stops at anything malformed.
enum UnknownFieldScanner {
    static func varints(in data: Data) -> [(number: Int, value: UInt64)] {
        var result: [(number: Int, value: UInt64)] = []
        var index = data.startIndex
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < data.endIndex, shift < 64 {
                let byte = data[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < data.endIndex {
            guard let tag = varint() else { break }
            let number = Int(tag >> 3)
            switch tag & 7 {
            case 0:
                guard let value = varint() else { return result }
                result.append((number, value))
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint(), length <= UInt64(data.endIndex - index) else { return result }
                index += Int(length)
            default: return result
            }
        }
        return result
    }

    /// The protobuf bytes that set the field at `numbers` (nested messages, then a varint) to
    /// `value`: merged into a message, they put an unknown enum value where the field is.
    static func patch(numbers: [Int], value: Int64) -> [UInt8] {
        func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
            var value = value
            while value >= 0x80 {
                out.append(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            out.append(UInt8(value))
        }
        guard let last = numbers.last else { return [] }
        var bytes: [UInt8] = []
        appendVarint(UInt64(last) << 3, to: &bytes)
        appendVarint(UInt64(bitPattern: value), to: &bytes)
        for number in numbers.dropLast().reversed() {
            var outer: [UInt8] = []
            appendVarint(UInt64(number) << 3 | 2, to: &outer)
            appendVarint(UInt64(bytes.count), to: &outer)
            bytes = outer + bytes
        }
        return bytes
    }
}

/// Visits the fields that are set, then reports the first required field that was not visited,
/// descending into nested messages (depth first, in field order).
private struct MissingRequiredFieldFinder: SwiftProtobuf.Visitor {
    let messageName: String
    let prefix: String
    let numbers: [Int]?
    /// Whether a varint in the unknown fields (an unrecognized enum value) counts as set.
    var countsUnknownFields = true
    var seen: Set<Int> = []
    var nested: (path: String, numbers: [Int]?)?

    init(messageName: String, prefix: String = "", numbers: [Int]? = []) {
        self.messageName = messageName
        self.prefix = prefix
        self.numbers = numbers
    }

    /// The first missing required field at this level, else the first found in a nested message.
    var result: (path: String, numbers: [Int]?)? {
        for field in Catalogue.requiredFields[messageName] ?? [] where !seen.contains(field.number) {
            return (prefix + field.name, numbers.map { $0 + [field.number] })
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
        var finder = MissingRequiredFieldFinder(
            messageName: M.protoMessageName,
            prefix: path,
            numbers: index == nil ? numbers.map { $0 + [fieldNumber] } : nil
        )
        finder.countsUnknownFields = countsUnknownFields
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
    mutating func visitUnknown(bytes: Data) throws {
        guard countsUnknownFields else { return }
        for field in UnknownFieldScanner.varints(in: bytes) { seen.insert(field.number) }
    }
}
