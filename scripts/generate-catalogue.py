#!/usr/bin/env python3
"""Writes Catalogue.swift for CTraderMessaging from the cTrader .proto files.

Usage: generate-catalogue.py PROTO_DIR GENERATED_DIR > Catalogue.swift

PROTO_DIR holds the .proto files; GENERATED_DIR the .pb.swift files protoc-gen-swift made from
them (read for the Swift names of the payload-type enum cases, so that the PayloadType constants
are spelled exactly like ProtoOAPayloadType's and ProtoPayloadType's cases).

Besides the payload types it writes the catalogue facts other modules need, so that a message
type added to the .proto files cannot be missed by a hand-kept list:
  - AccountScopedMessage: every payload message with a `ctidTraderAccountId` field;
  - SymbolScopedMessage: every payload message with a `symbolId` field (singular or repeated);
  - TradingRequest and PayloadType.tradingRequests: the requests whose leading comment says they
    are allowed only if the access token has "trade" permissions;
  - the named ErrorCode values: every value of ProtoErrorCode and ProtoOAErrorCode.

The output is deterministic: it depends only on the input files.
"""
import os
import re
import sys

PAYLOAD_ENUMS = ("ProtoPayloadType", "ProtoOAPayloadType")
ERROR_CODE_ENUMS = ("ProtoErrorCode", "ProtoOAErrorCode")
ACCOUNT_FIELD = "ctidTraderAccountId"
SYMBOL_FIELD = "symbolId"
TRADE_PERMISSION = re.compile(r'"trade"\s+permissions', flags=re.I)
# Members of ErrorCode that a generated constant must not shadow.
ERROR_CODE_RESERVED = {"rawValue", "description", "catalogue", "allNamed", "isNamed", "init"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_protos(proto_dir):
    enums = {}  # enum name -> [(VALUE_NAME, number)]
    messages = []  # [(name, [(label, type, field, number, default)])]
    for file in sorted(f for f in os.listdir(proto_dir) if f.endswith(".proto")):
        with open(os.path.join(proto_dir, file), encoding="utf-8") as fh:
            text = strip_comments(fh.read())
        for m in re.finditer(r"\benum\s+(\w+)\s*\{(.*?)\}", text, flags=re.S):
            values = re.findall(r"(\w+)\s*=\s*(-?\d+)\s*;", m.group(2))
            enums[m.group(1)] = [(n, int(v)) for n, v in values]
        for m in re.finditer(r"\bmessage\s+(\w+)\s*\{(.*?)\}", text, flags=re.S):
            fields = []
            for f in re.finditer(
                r"\b(required|optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;",
                m.group(2),
            ):
                default = None
                if f.group(5):
                    d = re.search(r"default\s*=\s*(\w+)", f.group(5))
                    default = d.group(1) if d else None
                fields.append((f.group(1), f.group(2), f.group(3), int(f.group(4)), default))
            messages.append((m.group(1), fields))
    return enums, messages


def leading_comments(proto_dir):
    """The comment right before each top-level `message NAME {`, by message name (comment markers removed)."""
    comments = {}
    for file in sorted(f for f in os.listdir(proto_dir) if f.endswith(".proto")):
        with open(os.path.join(proto_dir, file), encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r"^message\s+(\w+)\s*\{", text, flags=re.M):
            before = text[: m.start()].rstrip()
            comment = ""
            if before.endswith("*/"):
                comment = before[before.rfind("/*") + 2 : -2].strip("* \n\t")
            else:
                lines = []
                for line in reversed(before.split("\n")):
                    if not line.strip().startswith("//"):
                        break
                    lines.insert(0, line.strip()[2:].strip())
                comment = " ".join(lines)
            comments[m.group(1)] = " ".join(comment.split())
    return comments


def enum_value_comments(proto_dir, enum_names):
    """The trailing `// comment` of each value of the given enums: {enum: {VALUE: comment}}."""
    comments = {}
    for file in sorted(f for f in os.listdir(proto_dir) if f.endswith(".proto")):
        with open(os.path.join(proto_dir, file), encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r"^enum\s+(\w+)\s*\{(.*?)^\}", text, flags=re.S | re.M):
            if m.group(1) not in enum_names:
                continue
            values = {}
            for line in m.group(2).split("\n"):
                v = re.match(r"\s*(\w+)\s*=\s*-?\d+\s*;\s*//(.*)$", line)
                if v and v.group(2).strip():
                    values[v.group(1)] = " ".join(v.group(2).split())
            comments[m.group(1)] = values
    return comments


def camel_case(name):
    """`TRADING_BAD_VOLUME` -> `tradingBadVolume`."""
    words = name.lower().split("_")
    return words[0] + "".join(w.capitalize() for w in words[1:])


def swift_field_names(generated_dir):
    """The Swift property names protoc-gen-swift gave each message's fields: {message: {lowercased: name}}."""
    names = {}
    for file in sorted(os.listdir(generated_dir)):
        if not file.endswith(".pb.swift"):
            continue
        with open(os.path.join(generated_dir, file), encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r"^public nonisolated struct (\w+):[^{]*\{(.*?)^\}", text, flags=re.S | re.M):
            props = re.findall(r"^  public var (\w+):", m.group(2), flags=re.M)
            names[m.group(1)] = {p.lower(): p for p in props}
    return names


def swift_case_names(generated_dir, enum_name):
    """The Swift case names protoc-gen-swift gave an enum's values, by number."""
    for file in sorted(os.listdir(generated_dir)):
        if not file.endswith(".pb.swift"):
            continue
        with open(os.path.join(generated_dir, file), encoding="utf-8") as fh:
            text = fh.read()
        m = re.search(r"public nonisolated enum %s\b[^{]*\{(.*?)\n\}" % enum_name, text, flags=re.S)
        if m:
            cases = re.findall(r"^  case (\w+) = (\d+)$", m.group(1), flags=re.M)
            return {int(v): n for n, v in cases}
    raise SystemExit("enum %s not found in %s" % (enum_name, generated_dir))


def main():
    proto_dir, generated_dir = sys.argv[1], sys.argv[2]
    enums, messages = parse_protos(proto_dir)

    payload_types = []  # (number, PROTO_NAME, swiftName, enum)
    for enum_name in PAYLOAD_ENUMS:
        swift_names = swift_case_names(generated_dir, enum_name)
        for name, number in enums[enum_name]:
            payload_types.append((number, name, swift_names[number], enum_name))

    carrier = {}  # PROTO_NAME -> message name
    conformances = []  # (message, protocol)
    for name, fields in messages:
        for label, ftype, field, number, default in fields:
            if field == "payloadType" and ftype in PAYLOAD_ENUMS and default:
                carrier[default] = name
                protocol = "OpenAPIPayloadMessage" if ftype == "ProtoOAPayloadType" else "CommonPayloadMessage"
                conformances.append((name, protocol, default))
    carrier.setdefault("PROTO_MESSAGE", "ProtoMessage")

    out = []
    w = out.append
    w("// DO NOT EDIT.")
    w("// swift-format-ignore-file")
    w("//")
    w("// Generated by scripts/generate-catalogue.py (run by scripts/generate-protos.sh) from")
    w("// Protos/*.proto: the named payload types, the message type of every payloadType, the")
    w("// proto2 `required` fields of every message, the account-scoped, symbol-scoped and trading")
    w("// messages, and the named error codes.")
    w("")
    w("extension PayloadType {")
    for number, name, swift, enum_name in payload_types:
        message = carrier.get(name)
        carried = " Carried by ``%s``." % message if message else ""
        w("    /// `%s` = %d, from `%s`.%s" % (name, number, enum_name, carried))
        w("    public static let %s = PayloadType(rawValue: %d)" % (swift, number))
    w("")
    w("    /// Every named payload type with its proto name, in catalogue order.")
    w("    static let catalogue: [(PayloadType, String)] = [")
    for number, name, swift, enum_name in payload_types:
        w('        (.%s, "%s"),' % (swift, name))
    w("    ]")
    w("}")
    w("")
    swift_by_proto_name = {name: swift for _, name, swift, _ in payload_types}
    number_by_proto_name = {name: number for number, name, _, _ in payload_types}
    for name, protocol, default in conformances:
        w("extension %s: %s {" % (name, protocol))
        w("    /// ``PayloadType/%s`` (%d)." % (swift_by_proto_name[default], number_by_proto_name[default]))
        w("    public static let messagePayloadType: PayloadType = .%s" % swift_by_proto_name[default])
        w("}")
        w("")
    w("/// Tables derived from the .proto files.")
    w("enum Catalogue {")
    w("    /// Every message type that carries a payloadType, in .proto order (``ProtoMessage`` first).")
    w("    static let messageTypes: [any CTraderMessage.Type] = [")
    w("        ProtoMessage.self,")
    for name, _, _ in conformances:
        w("        %s.self," % name)
    w("    ]")
    w("")
    w("    /// The proto2 `required` fields of every message that has any, by proto message name.")
    w("    static let requiredFields: [String: [RequiredField]] = [")
    for name, fields in sorted(messages):
        required = [(field, number) for label, _, field, number, _ in fields if label == "required"]
        if not required:
            continue
        items = ", ".join('RequiredField(number: %d, name: "%s")' % (n, f) for f, n in required)
        w('        "%s": [%s],' % (name, items))
    w("    ]")
    w("")
    w("    /// The names of the message-typed fields of every message that has any, by proto message")
    w("    /// name and field number: the path of a missing required field goes through them.")
    w("    static let messageFieldNames: [String: [Int: String]] = [")
    message_names = {name for name, _ in messages}
    for name, fields in sorted(messages):
        nested = [(number, field) for _, ftype, field, number, _ in fields if ftype in message_names]
        if not nested:
            continue
        items = ", ".join('%d: "%s"' % (n, f) for n, f in nested)
        w('        "%s": [%s],' % (name, items))
    w("    ]")
    w("}")
    write_scopes(w, messages, conformances, swift_field_names(generated_dir))
    write_trading_requests(w, conformances, leading_comments(proto_dir), swift_by_proto_name)
    write_error_codes(w, enums, enum_value_comments(proto_dir, ERROR_CODE_ENUMS))
    sys.stdout.write("\n".join(out) + "\n")


def scalar_field(fields, name):
    """The (label, type) of the field `name`, or None."""
    for label, ftype, field, _, _ in fields:
        if field == name:
            return label, ftype
    return None


def write_scopes(w, messages, conformances, swift_fields):
    """AccountScopedMessage and SymbolScopedMessage conformances of the payload messages."""
    fields_by_message = dict(messages)
    for field, protocol, what in (
        (ACCOUNT_FIELD, "AccountScopedMessage", "account-scoped"),
        (SYMBOL_FIELD, "SymbolScopedMessage", "symbol-scoped"),
    ):
        w("")
        w("// MARK: - %s messages: the payload messages with a `%s` field" % (what.capitalize(), field))
        for name, _, _ in conformances:
            found = scalar_field(fields_by_message[name], field)
            if not found:
                continue
            label, ftype = found
            if ftype not in ("int64", "uint64"):
                raise SystemExit("%s.%s is %s, not int64 or uint64" % (name, field, ftype))
            swift = swift_fields.get(name, {}).get(field.lower())
            if not swift:
                raise SystemExit("no Swift property for %s.%s" % (name, field))
            has = "has" + swift[0].upper() + swift[1:]
            w("")
            w("extension %s: %s {" % (name, protocol))
            if protocol == "AccountScopedMessage":
                w("    /// `%s` (%s %s); `nil` when not set." % (field, label, ftype))
                value = swift if ftype == "int64" else "Int64(exactly: %s)" % swift
                w("    public var accountId: Int64? { %s ? %s : nil }" % (has, value))
            else:
                if label == "repeated":
                    w("    /// `%s` (repeated %s)." % (field, ftype))
                    value = swift if ftype == "int64" else "%s.compactMap { Int64(exactly: $0) }" % swift
                else:
                    w("    /// `%s` (%s %s): one element when set, none when not." % (field, label, ftype))
                    if ftype == "int64":
                        value = "%s ? [%s] : []" % (has, swift)
                    else:
                        value = "%s ? Int64(exactly: %s).map { [$0] } ?? [] : []" % (has, swift)
                w("    public var symbolIds: [Int64] { %s }" % value)
            w("}")


def write_trading_requests(w, conformances, comments, swift_by_proto_name):
    """TradingRequest conformances and PayloadType.tradingRequests."""
    trading = [(name, default) for name, _, default in conformances if TRADE_PERMISSION.search(comments.get(name, ""))]
    w("")
    w('// MARK: - Trading requests: "Allowed only if the accessToken has \\"trade\\" permissions"')
    for name, _ in trading:
        w("")
        w("extension %s: TradingRequest {}" % name)
    w("")
    w("extension PayloadType {")
    w("    /// The trading requests: the payload types of the messages whose comment in the `.proto` says")
    w('    /// they are allowed only if the access token has "trade" permissions (see ``TradingRequest``).')
    w("    public static let tradingRequests: Set<PayloadType> = [")
    for _, default in trading:
        w("        .%s," % swift_by_proto_name[default])
    w("    ]")
    w("}")


def write_error_codes(w, enums, comments):
    """The named ErrorCode values of ProtoErrorCode and ProtoOAErrorCode."""
    codes = {}  # VALUE_NAME -> [(enum, number)]
    order = []
    for enum_name in ERROR_CODE_ENUMS:
        for name, number in enums[enum_name]:
            if name not in codes:
                order.append(name)
                codes[name] = []
            codes[name].append((enum_name, number))
    swift_names = {}
    for name in order:
        swift = camel_case(name)
        if swift in ERROR_CODE_RESERVED or swift in swift_names.values():
            raise SystemExit("error code %s: Swift name %s collides" % (name, swift))
        swift_names[name] = swift
    w("")
    w("// MARK: - Error codes: the values of `ProtoErrorCode` and `ProtoOAErrorCode`")
    w("")
    w("extension ErrorCode {")
    for name in order:
        docs = []
        for enum_name, number in codes[name]:
            comment = comments.get(enum_name, {}).get(name)
            if comment and comment not in docs:
                docs.append(comment)
        for doc in docs:
            w("    /// %s" % doc)
        if docs:
            w("    ///")
        where = ", ".join("%d in `%s`" % (number, enum_name) for enum_name, number in codes[name])
        w("    /// `%s`: %s." % (name, where))
        w('    public static let %s = ErrorCode(rawValue: "%s")' % (swift_names[name], name))
    w("")
    w("    /// Every named error code with the name of its constant, in catalogue order (`ProtoErrorCode`")
    w("    /// first).")
    w("    static let catalogue: [(ErrorCode, String)] = [")
    for name in order:
        w('        (.%s, "%s"),' % (swift_names[name], swift_names[name]))
    w("    ]")
    w("}")


if __name__ == "__main__":
    main()
