// swift-ctrader benchmarks: the end-to-end echo server.
//
//   ws-echo-server PORT [--deflate] [--tls-cert CHAIN.pem --tls-key KEY.pem]
//
// Listens on 127.0.0.1:PORT and echoes every message back with its opcode, until killed.
// With `--deflate` it accepts permessage-deflate offers (server defaults); without, it accepts
// no extension. With `--tls-cert` and `--tls-key` it serves wss (a `TLSListener` presenting that
// chain, leaf first, and key, both PEM); without, plain ws.

import CTraderFraming
import CTraderTransport
import CTraderWebSocket
import Foundation
import Logging

@main
struct WSEchoServer {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var certificateChainFile: String?
        var privateKeyFile: String?
        for (flag, value) in [("--tls-cert", 0), ("--tls-key", 1)] {
            guard let index = arguments.firstIndex(of: flag) else { continue }
            guard index + 1 < arguments.count else { usage() }
            if value == 0 { certificateChainFile = arguments[index + 1] } else { privateKeyFile = arguments[index + 1] }
            arguments.removeSubrange(index...(index + 1))
        }
        guard let first = arguments.first, let port = Int(first),
            arguments.dropFirst().allSatisfy({ $0 == "--deflate" }),
            (certificateChainFile == nil) == (privateKeyFile == nil)
        else { usage() }
        var logger = Logger(label: "ws-echo-server")
        logger.logLevel = .warning
        var configuration = WebSocketConfiguration(maxFrameSize: 32 << 20, maxMessageSize: 32 << 20)
        configuration.perMessageDeflateAccept =
            arguments.contains("--deflate") ? PerMessageDeflateServerConfiguration() : nil
        do {
            let listener: any TransportListener
            if let certificateChainFile, let privateKeyFile {
                listener = try await TLSListener.bind(
                    port: port,
                    configuration: .server(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile),
                    logger: logger)
            } else {
                listener = try await TCPListener.bind(port: port, logger: logger)
            }
            let server = WebSocketServer(listener: listener, configuration: configuration, logger: logger) {
                connection in
                for await message in connection.messages {
                    do {
                        try await connection.send(message.data, opcode: message.opcode)
                    } catch {
                        return
                    }
                }
            }
            print("listening on \(certificateChainFile == nil ? "ws" : "wss")://127.0.0.1:\(listener.port)")
            fflush(nil)  // all streams: `stdout` is not concurrency-safe to name
            // Handlers run on the transport's I/O thread (`TransportExecutor`): an echo then
            // needs no switch between threads.
            await withTaskExecutorPreference(TransportExecutor.preferred) { await server.run() }
        } catch {
            FileHandle.standardError.write(Data("ws-echo-server: \(error)\n".utf8))
            exit(1)
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: ws-echo-server PORT [--deflate] [--tls-cert CHAIN.pem --tls-key KEY.pem]\n".utf8))
        exit(2)
    }
}
