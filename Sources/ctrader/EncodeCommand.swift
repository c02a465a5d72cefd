import ArgumentParser
import CTraderMessaging
import Foundation

/// `ctrader encode NAME|NUMBER 'JSON'`: validates a payload and prints its envelope.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Validate a payload against its message type and print the JSON envelope.",
        discussion: """
            Unknown keys, values of the wrong type and missing required fields are errors. \
            Example: ctrader encode PROTO_OA_APPLICATION_AUTH_REQ '{"clientId":"a","clientSecret":"b"}'
            """
    )

    @Argument(
        help:
            "The payloadType: a number (2100), a proto name (PROTO_OA_APPLICATION_AUTH_REQ) or a message name (ProtoOAApplicationAuthReq)."
    )
    var payloadType: String

    @Argument(help: "The payload as a JSON object.")
    var payload: String = "{}"

    @Option(help: "The clientMsgId to put in the envelope.")
    var clientMsgId: String?

    func run() throws {
        let codec = JSONEnvelopeCodec(ignoreUnknownFields: false)
        do {
            guard let type = codec.registry.payloadType(named: payloadType) else {
                throw MessagingError(code: .unknownPayloadType, reason: "'\(payloadType)' is not a payload type")
            }
            let message = try codec.decodePayload(payload, payloadType: type)
            print(try codec.encodeString(Envelope(message, clientMsgId: clientMsgId)))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
