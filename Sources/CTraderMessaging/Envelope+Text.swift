// swift-ctrader: the cTrader Open API message layer.

import SwiftProtobuf

extension Envelope {
    /// A one-line, human-readable rendering for logs and tools:
    /// `PROTO_OA_SPOT_EVENT clientMsgId="7" ProtoOASpotEvent { ctidTraderAccountId: 1 symbolId: 1 bid: 112345 }`.
    ///
    /// The fields are in protobuf text format, joined on one line. A raw envelope shows its
    /// payloadType and the size and format of its payload.
    public var textSummary: String {
        var text = payloadType.name ?? "payloadType \(payloadType.rawValue)"
        if let clientMsgId {
            var quoted: [UInt8] = []
            JSONEnvelopeCodec.appendJSONString(clientMsgId, to: &quoted)
            text += " clientMsgId=" + String(decoding: quoted, as: UTF8.self)
        }
        if let message {
            let fields = message.textFormatString()
                .split(separator: "\n")
                .map { $0.trimmingPrefix(while: { $0 == " " }) }
                .joined(separator: " ")
            text += " \(type(of: message).protoMessageName) {" + (fields.isEmpty ? "" : " \(fields) ") + "}"
        } else if let rawPayload {
            text +=
                " (unregistered: \(rawPayload.bytes.count) bytes of \(rawPayload.format == .json ? "JSON" : "protobuf"))"
        }
        return text
    }
}
