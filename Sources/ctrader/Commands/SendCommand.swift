import ArgumentParser
import CTraderMessaging
import CTraderSession
import Foundation

/// `ctrader send PAYLOADTYPE 'JSON'`
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a raw request and print every answer as a JSON envelope.",
        discussion: """
            ctidTraderAccountId is filled in with the session's account when the message has it and the JSON omits it. \
            Example: ctrader send PROTO_OA_TRADER_REQ '{}'
            """
    )
    @Argument(help: "The payloadType: a number, a proto name or a message name.") var payloadType: String
    @Argument(help: "The payload as a JSON object.") var payload: String = "{}"
    @Option(help: "Seconds to keep printing the order's further execution events (trading requests).") var wait:
        Double = 2
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let codec = JSONEnvelopeCodec(ignoreUnknownFields: false)
        guard let type = codec.registry.payloadType(named: payloadType) else {
            throw CLIError.usage("'\(payloadType)' is not a payload type")
        }
        let payload = payload
        let wait = wait
        do {
            _ = try codec.decodePayload(payload, payloadType: type)
        } catch {
            // Valid once the session's account is filled in?
            guard !payload.contains("ctidTraderAccountId"),
                let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
            else { throw CLIError.usage("the payload is not a valid \(payloadType): \(error)") }
            var withAccount = object
            withAccount["ctidTraderAccountId"] = 1
            do {
                _ = try codec.decodePayload(Output.encode(withAccount), payloadType: type)
            } catch {
                throw CLIError.usage("the payload is not a valid \(payloadType): \(error)")
            }
        }
        try await Session.run(options) { session in
            var text = payload
            if !payload.contains("ctidTraderAccountId"),
                let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
            {
                var withAccount = object
                withAccount["ctidTraderAccountId"] = session.account
                let candidate = Output.encode(withAccount)
                if (try? codec.decodePayload(candidate, payloadType: type)) != nil { text = candidate }
            }
            let message = try codec.decodePayload(text, payloadType: type)
            let executions = session.client.executions()
            let answer: Envelope
            do {
                answer = try await session.client.send(message)
            } catch let error as CTraderError where error.code == .serverError || error.code == .orderError {
                // The server's answer is still an answer: print it, then fail.
                var object: [String: Any] = ["errorCode": error.errorCode?.rawValue ?? "", "description": error.reason]
                if let account = error.ctidTraderAccountId { object["ctidTraderAccountId"] = account }
                let errorType =
                    error.code == .orderError ? PayloadType.protoOaOrderErrorEvent : PayloadType.protoOaErrorRes
                session.output.emit(["payloadType": errorType.rawValue, "payload": object] as [String: Any])
                throw error
            }
            session.output.terminal.line(try codec.encodeString(answer))
            if let event = answer.message(as: ProtoOAExecutionEvent.self), event.executionType == .orderAccepted,
                wait > 0
            {
                let orderId = event.order.orderID
                let lines = try? await withTimeout(wait, "further events") { () -> [String] in
                    var lines: [String] = []
                    for try await element in executions {
                        guard let next = element.message, next.order.orderID == orderId,
                            next.executionType != .orderAccepted
                        else { continue }
                        lines.append((try? codec.encodeString(Envelope(next))) ?? "")
                        if [.orderFilled, .orderRejected, .orderCancelled, .orderExpired].contains(next.executionType) {
                            break
                        }
                    }
                    return lines
                }
                for line in lines ?? [] { session.output.terminal.line(line) }
            }
        }
    }
}
