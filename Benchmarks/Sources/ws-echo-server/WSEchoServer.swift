// swift-ctrader benchmarks: the end-to-end echo server.
//
//   ws-echo-server PORT [--deflate]
//
// Listens on 127.0.0.1:PORT and echoes every message back with its opcode, until killed.
// With `--deflate` it accepts permessage-deflate offers (server defaults); without, it accepts
// no extension.

import CTraderFraming
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging

@main
struct WSEchoServer {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first, let port = Int(first), arguments.dropFirst().allSatisfy({ $0 == "--deflate" })
        else {
            FileHandle.standardError.write(Data("usage: ws-echo-server PORT [--deflate]\n".utf8))
            exit(2)
        }
        var logger = Logger(label: "ws-echo-server")
        logger.logLevel = .warning
        var configuration = WebSocketConfiguration(maxFrameSize: 32 << 20, maxMessageSize: 32 << 20)
        configuration.perMessageDeflateAccept = arguments.contains("--deflate") ? PerMessageDeflateServerConfiguration() : nil
        do {
            let listener = try await TCPListener.bind(port: port, logger: logger)
            let server = WebSocketServer(listener: listener, configuration: configuration, logger: logger) { connection in
                for await message in connection.messages {
                    do {
                        try await connection.send(message.data, opcode: message.opcode)
                    } catch {
                        return
                    }
                }
            }
            print("listening on 127.0.0.1:\(listener.port)")
            fflush(nil)  // all streams: `stdout` is not concurrency-safe to name
            await server.run()
        } catch {
            FileHandle.standardError.write(Data("ws-echo-server: \(error)\n".utf8))
            exit(1)
        }
    }
}
