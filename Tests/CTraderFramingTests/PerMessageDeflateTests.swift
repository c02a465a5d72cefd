import CTraderFraming
import CTraderTestSupport
import Foundation
import Testing

private let hello = Array("Hello".utf8)

private func makeDeflater(noContextTakeover: Bool = false, windowBits: Int = 15) throws -> PerMessageDeflateDeflater {
    try PerMessageDeflateDeflater(
        .init(noContextTakeover: noContextTakeover, maxWindowBits: windowBits), minimumSizeToCompress: 0)
}

private func makeInflater(noContextTakeover: Bool = false, windowBits: Int = 15) throws -> PerMessageDeflateInflater {
    try PerMessageDeflateInflater(.init(noContextTakeover: noContextTakeover, maxWindowBits: windowBits))
}

/// Inflates a whole message, split into `frames` fragments.
private func inflateMessage(
    _ inflater: PerMessageDeflateInflater, _ payload: [UInt8], frames: Int = 1, limit: Int = 64 << 20
) throws -> [UInt8] {
    var output: [UInt8] = []
    let size = max(1, (payload.count + frames - 1) / frames)
    var start = 0
    repeat {
        let end = min(payload.count, start + size)
        try inflater.inflate(payload[start..<end], isFinalFragment: end == payload.count, into: &output, limit: limit)
        start = end
    } while start < payload.count
    return output
}

/// A realistic JSON payload: spot events of the cTrader Open API, `count` of them.
private func jsonPayload(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407  // LCG; wrapping is intended
        return state >> 33
    }
    var text =
        "{\"clientMsgId\":\"cm_\(seed)\",\"payloadType\":2131,\"payload\":{\"ctidTraderAccountId\":44112233,\"events\":["
    for i in 0..<count {
        if i > 0 { text += "," }
        let bid = 108_000 + Int(next() % 2_000)
        text +=
            "{\"symbolId\":\(1 + next() % 40),\"bid\":\(bid),\"ask\":\(bid + Int(next() % 30)),\"timestamp\":\(1_764_000_000_000 + UInt64(i) * 250 + next() % 250),\"trendbar\":[{\"period\":\"M1\",\"low\":\(bid - 40),\"deltaOpen\":\(next() % 90),\"volume\":\(next() % 100_000)}]}"
    }
    text += "]}}"
    return Array(text.utf8)
}

@Suite(.timeLimit(.minutes(5))) struct PerMessageDeflateCodecTests {
    @Test func rfc7692HelloWithContextTakeover() throws {
        let deflater = try makeDeflater()
        #expect(try deflater.deflate(hello[...]) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(try deflater.deflate(hello[...]) == [0xF2, 0x00, 0x11, 0x00, 0x00])
        let inflater = try makeInflater()
        #expect(try inflateMessage(inflater, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == hello)
        #expect(try inflateMessage(inflater, [0xF2, 0x00, 0x11, 0x00, 0x00]) == hello)
    }

    @Test func rfc7692HelloWithoutContextTakeover() throws {
        let deflater = try makeDeflater(noContextTakeover: true)
        for _ in 0..<3 {
            #expect(try deflater.deflate(hello[...]) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        }
        let inflater = try makeInflater(noContextTakeover: true)
        for _ in 0..<3 {
            #expect(try inflateMessage(inflater, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == hello)
        }
    }

    @Test func rfc7692OtherExamples() throws {
        // §7.2.3.3: a DEFLATE block with no compression.
        #expect(
            try inflateMessage(try makeInflater(), [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00])
                == hello)
        // §7.2.3.4: a block with BFINAL set; the trailing 00 is ignored and the next message still works.
        let inflater = try makeInflater()
        #expect(try inflateMessage(inflater, [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00]) == hello)
        #expect(try inflateMessage(inflater, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]) == hello)
        // §7.2.3.5: two DEFLATE blocks in one message.
        #expect(
            try inflateMessage(
                try makeInflater(), [0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00])
                == hello)
        // §7.2.3.6: an empty message is a single 00.
        #expect(try makeDeflater().deflate([][...]) == [0x00])
        #expect(try inflateMessage(try makeInflater(), [0x00]) == [])
    }

    @Test func fragmentsInflateLikeTheWholeMessage() throws {
        let message = jsonPayload(count: 300, seed: 7)
        let compressed = try #require(try makeDeflater().deflate(message[...]))
        #expect(compressed.count < message.count / 3)
        for frames in [1, 2, 7, compressed.count] {
            #expect(try inflateMessage(try makeInflater(), compressed, frames: frames) == message)
        }
    }

    @Test func minimumSizeToCompress() throws {
        let deflater = try PerMessageDeflateDeflater(.init(), minimumSizeToCompress: 10)
        #expect(try deflater.deflate(hello[...]) == nil)
        #expect(try deflater.deflate(Array("Hello, Hello, Hello".utf8)[...]) != nil)
    }

    @Test func levelsAndWindowsRoundTrip() throws {
        let messages = (0..<3).map { jsonPayload(count: 200, seed: UInt64($0)) }
        for windowBits in 9...15 {
            for level in [0, 1, 9] {
                for noContextTakeover in [false, true] {
                    let deflater = try PerMessageDeflateDeflater(
                        .init(noContextTakeover: noContextTakeover, maxWindowBits: windowBits), level: level,
                        memoryLevel: 9, minimumSizeToCompress: 0
                    )
                    let inflater = try makeInflater(noContextTakeover: noContextTakeover, windowBits: windowBits)
                    for message in messages {
                        let compressed = try #require(try deflater.deflate(message[...]))
                        #expect(try inflateMessage(inflater, compressed, frames: 3) == message)
                    }
                }
            }
        }
    }

    @Test func incompressibleDataRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<(1 << 20) + 17).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for level in [0, 1, 6, 9] {
            for windowBits in [9, 15] {
                let deflater = try PerMessageDeflateDeflater(
                    .init(maxWindowBits: windowBits), level: level, minimumSizeToCompress: 0)
                let inflater = try makeInflater(windowBits: windowBits)
                for _ in 0..<2 {
                    let compressed = try #require(try deflater.deflate(noise[...]))
                    #expect(
                        try inflateMessage(inflater, compressed, frames: 3) == noise,
                        "level \(level) window \(windowBits)")
                }
            }
        }
    }

    @Test func eightBitWindowSendsStoredBlocks() throws {
        // zlib cannot compress within 256 bytes of history: stored blocks reference nothing.
        let deflater = try PerMessageDeflateDeflater(.init(maxWindowBits: 8), level: 9, minimumSizeToCompress: 0)
        #expect(deflater.level == 0)
        let inflater = try makeInflater(windowBits: 8)
        let message = Array(String(repeating: "abcabcabc", count: 100).utf8)
        for _ in 0..<2 {
            let compressed = try #require(try deflater.deflate(message[...]))
            #expect(compressed[0] & 0x06 == 0, "BTYPE 00: stored")
            #expect(compressed.count >= message.count)
            #expect(compressed[5..<(5 + message.count)].elementsEqual(message))
            #expect(try inflateMessage(inflater, compressed, frames: 2) == message)
        }
        #expect(throws: WebSocketFramingError(code: .compressionFailure, closeCode: .internalServerError, detail: "")) {
            try PerMessageDeflateDeflater(.init(maxWindowBits: 7))
        }
    }

    @Test func corruptDataIs1007() throws {
        do {
            _ = try inflateMessage(try makeInflater(), [0xFF, 0xFF, 0xFF])
            Issue.record("inflated garbage")
        } catch let error as WebSocketFramingError {
            #expect(error.code == .invalidCompressedData)
            #expect(error.closeCode == .invalidFramePayloadData)
        }
    }

    /// Checked on each path of the inflater: a small final fragment (inflated with its tail in one
    /// call, through the scratch buffer), a large one (straight into the output), and fragments.
    @Test(arguments: [(5, 1), (5, 4), (300, 1), (300, 4)])
    func limitIsExactAndEnforced(count: Int, frames: Int) throws {
        let message = jsonPayload(count: count, seed: 3)
        let compressed = try #require(try makeDeflater().deflate(message[...]))
        #expect((compressed.count > 1024) == (count == 300), "one small and one large compressed message")
        #expect(try inflateMessage(try makeInflater(), compressed, frames: frames, limit: message.count) == message)
        #expect(throws: WebSocketFramingError(code: .inflatedMessageTooLarge, closeCode: .messageTooBig, detail: "")) {
            try inflateMessage(try makeInflater(), compressed, frames: frames, limit: message.count - 1)
        }
    }

    @Test func zipBombStopsAtTheLimit() throws {
        // 100 MiB of zeros deflate to about 100 KiB (DEFLATE tops out near 1032:1).
        let bomb = try #require(
            try PerMessageDeflateDeflater(.init(), level: 9, minimumSizeToCompress: 0).deflate(
                [UInt8](repeating: 0, count: 100 << 20)[...]))
        #expect(bomb.count < 128 * 1024)
        let limit = 1 << 20
        let inflater = try PerMessageDeflateInflater(.init(), chunkSize: 16 * 1024)
        var output: [UInt8] = []
        do {
            try inflater.inflate(bomb[...], isFinalFragment: true, into: &output, limit: limit)
            Issue.record("inflated the whole bomb")
        } catch {
            #expect(error.code == .inflatedMessageTooLarge)
            #expect(error.closeCode == .messageTooBig)
        }
        // It stopped at the limit: one byte past it at most, never the whole 100 MiB.
        #expect(output.count <= limit + 1)
        #expect(output.count >= limit)
        #expect(output.capacity < 4 * limit)
    }
}

@Suite(.timeLimit(.minutes(5))) struct PerMessageDeflateNegotiationTests {
    @Test func parsesOffersWithQuotesAndCase() throws {
        let elements = try WebSocketExtension.parse([
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", PerMessage-Deflate ;Server_No_Context_Takeover",
            " , x-other; a=\"b\"",
        ])
        #expect(elements.map(\.name) == ["permessage-deflate", "permessage-deflate", "x-other"])
        #expect(
            try PerMessageDeflateParameters(elements[0])
                == PerMessageDeflateParameters(serverMaxWindowBits: 10, clientMaxWindowBits: .valueless))
        #expect(
            try PerMessageDeflateParameters(elements[1]) == PerMessageDeflateParameters(serverNoContextTakeover: true))
        #expect(elements[2].parameters == [WebSocketExtension.Parameter(name: "a", value: "b")])
        for bad in [
            "permessage-deflate;", "permessage-deflate; a=\"b c\"", "permessage-deflate; a=\"x", "a b", ";x",
            "permessage-deflate; a=", "p, q r",
        ] {
            #expect(throws: WebSocketHandshakeError(code: .invalidExtensionHeader, detail: ""), "\(bad)") {
                try WebSocketExtension.parse([bad])
            }
        }
    }

    @Test func allFourParametersRoundTrip() throws {
        let parameters = PerMessageDeflateParameters(
            serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11,
            clientMaxWindowBits: .bits(13)
        )
        #expect(
            parameters.description
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=13"
        )
        let reparsed = try PerMessageDeflateParameters(
            try #require(try WebSocketExtension.parse([parameters.description]).first))
        #expect(reparsed == parameters)
        #expect(
            parameters.configuration(for: .server)
                == PerMessageDeflateConfiguration(
                    outbound: .init(noContextTakeover: true, maxWindowBits: 11),
                    inbound: .init(noContextTakeover: true, maxWindowBits: 13)
                ))
        #expect(
            PerMessageDeflateParameters().configuration(for: .client)
                == PerMessageDeflateConfiguration(outbound: .init(), inbound: .init()))
    }

    @Test func invalidAndDuplicateParametersAreRejected() throws {
        for bad in [
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; client_max_window_bits=+9",
            "permessage-deflate; server_no_context_takeover=1",
        ] {
            let element = try #require(try WebSocketExtension.parse([bad]).first)
            #expect(throws: WebSocketHandshakeError(code: .invalidExtensionHeader, detail: ""), "\(bad)") {
                try PerMessageDeflateParameters(element)
            }
        }
        let unknown = try #require(try WebSocketExtension.parse(["permessage-deflate; mystery"]).first)
        #expect(throws: WebSocketHandshakeError(code: .unofferedExtensionParameter, detail: "")) {
            try PerMessageDeflateParameters(unknown)
        }
    }

    @Test func serverDeclinesWindowEightAndFallsBack() throws {
        let server = PerMessageDeflateServerConfiguration()
        #expect(server.response(to: PerMessageDeflateParameters(serverMaxWindowBits: 8)) == nil)
        let offers = try WebSocketExtension.parse([
            "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=8; server_max_window_bits=9, permessage-deflate; server_max_window_bits=9"
        ])
        #expect(server.negotiate(offers) == PerMessageDeflateParameters(serverMaxWindowBits: 9))
        #expect(server.negotiate(Array(offers.prefix(2))) == nil)
        // A client window of 8 is fine for the server: it only inflates with it.
        #expect(
            server.response(to: PerMessageDeflateParameters(clientMaxWindowBits: .bits(8)))
                == PerMessageDeflateParameters(clientMaxWindowBits: .bits(8)))
    }

    @Test func serverPreferences() {
        let server = PerMessageDeflateServerConfiguration(
            serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12,
            clientMaxWindowBits: 10
        )
        #expect(
            server.response(to: PerMessageDeflateParameters())
                == PerMessageDeflateParameters(
                    serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12
                ))
        #expect(
            server.response(to: PerMessageDeflateParameters(serverMaxWindowBits: 10, clientMaxWindowBits: .valueless))
                == PerMessageDeflateParameters(
                    serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10,
                    clientMaxWindowBits: .bits(10)
                ))
        #expect(
            server.response(to: PerMessageDeflateParameters(clientMaxWindowBits: .bits(9)))?.clientMaxWindowBits
                == .bits(9))
        // Out-of-range preferences are clamped to what zlib can do.
        #expect(PerMessageDeflateServerConfiguration(serverMaxWindowBits: 8).serverMaxWindowBits == 9)
        #expect(
            PerMessageDeflateClientConfiguration(serverMaxWindowBits: 8, clientMaxWindowBits: .bits(8)).offer
                == PerMessageDeflateParameters(serverMaxWindowBits: 9, clientMaxWindowBits: .bits(9)))
    }

    @Test func clientKeepsItsOwnPromises() throws {
        let offer = PerMessageDeflateClientConfiguration(clientNoContextTakeover: true, clientMaxWindowBits: .bits(11))
            .offer
        let agreed = try PerMessageDeflateParameters.agreement(response: PerMessageDeflateParameters(), offer: offer)
        #expect(agreed.configuration(for: .client).outbound == .init(noContextTakeover: true, maxWindowBits: 11))
        let smaller = try PerMessageDeflateParameters.agreement(
            response: PerMessageDeflateParameters(clientMaxWindowBits: .bits(10)), offer: offer)
        #expect(smaller.clientMaxWindowBits == .bits(10))
    }
}

/// Interop with Python's zlib, an independent DEFLATE implementation.
@Suite(.timeLimit(.minutes(5))) struct PerMessageDeflatePythonInteropTests {
    static let script = #"""
        import sys, zlib, pathlib
        d = pathlib.Path(sys.argv[1])
        tail = b"\x00\x00\xff\xff"
        messages = [ (d / f"msg{i}").read_bytes() for i in range(int(sys.argv[2])) ]
        for n in range(9, 16):
            # Ours -> Python: inflate what Swift wrote, with context takeover across messages.
            dec = zlib.decompressobj(wbits=-n)
            for i, m in enumerate(messages):
                got = dec.decompress((d / f"swift_{n}_{i}").read_bytes() + tail)
                if got != m:
                    print(f"MISMATCH window {n} message {i}: {len(got)} != {len(m)}", flush=True)
                    sys.exit(1)
            # Python -> ours: sync-flushed, tail stripped, one compressor for all messages.
            comp = zlib.compressobj(6, zlib.DEFLATED, -n)
            for i, m in enumerate(messages):
                out = comp.compress(m) + comp.flush(zlib.Z_SYNC_FLUSH)
                assert out.endswith(tail)
                (d / f"python_{n}_{i}").write_bytes(out[:-4])
        print("OK", flush=True)
        """#

    @Test(.enabled(if: TestPeers.available(TestPeers.python)))
    func interoperatesWithPythonZlibForEveryWindow() async throws {
        let python = try TestPeers.python()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pmd-interop-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // A few hundred KiB of JSON, then smaller messages that share its vocabulary.
        let messages = [
            jsonPayload(count: 2_000, seed: 1), jsonPayload(count: 40, seed: 2), jsonPayload(count: 300, seed: 3),
        ]
        #expect(messages[0].count > 200_000)
        for (i, message) in messages.enumerated() {
            try Data(message).write(to: directory.appendingPathComponent("msg\(i)"))
        }
        for n in 9...15 {
            let deflater = try makeDeflater(windowBits: n)
            for (i, message) in messages.enumerated() {
                let compressed = try #require(try deflater.deflate(message[...]))
                try Data(compressed).write(to: directory.appendingPathComponent("swift_\(n)_\(i)"))
            }
        }

        let peer = try PeerProcess(python, ["-c", Self.script, directory.path, "\(messages.count)"])
        let status = try await peer.waitForExit()
        #expect(status == 0, "python: \(peer.output) \(peer.standardError)")
        #expect(peer.output == ["OK"])
        guard status == 0 else { return }

        for n in 9...15 {
            let inflater = try makeInflater(windowBits: n)
            for (i, message) in messages.enumerated() {
                let compressed = Array(try Data(contentsOf: directory.appendingPathComponent("python_\(n)_\(i)")))
                #expect(try inflateMessage(inflater, compressed, frames: 5) == message, "window \(n) message \(i)")
            }
        }
    }
}

/// An empty message after a compressed one (issue 19): zlib writes nothing for a second sync
/// flush in a row, and RFC 7692 §7.2.3.6 gives the compressed empty message as the octet `0x00`.
@Suite(.timeLimit(.minutes(5))) struct PerMessageDeflateEmptyMessageTests {
    /// Messages around empty ones: compressed, empty, empty again, short, empty, compressed.
    static let messages: [[UInt8]] = [
        jsonPayload(count: 20, seed: 7), [], [], hello, [], jsonPayload(count: 5, seed: 8), [],
    ]

    /// Deflates ``messages`` with one deflater; `nil` for a message sent uncompressed.
    static func deflateAll(noContextTakeover: Bool, minimumSizeToCompress: Int) throws -> [[UInt8]?] {
        let deflater = try PerMessageDeflateDeflater(
            .init(noContextTakeover: noContextTakeover, maxWindowBits: 15), minimumSizeToCompress: minimumSizeToCompress
        )
        return try messages.map { try deflater.deflate($0[...]) }
    }

    static let settings: [(Bool, Int)] = [false, true].flatMap { takeover in
        [0, 1, 64, 1 << 20].map { (takeover, $0) }
    }

    @Test(arguments: settings)
    func emptyMessageAfterACompressedOneRoundTrips(noContextTakeover: Bool, minimumSizeToCompress: Int) throws {
        let compressed = try Self.deflateAll(
            noContextTakeover: noContextTakeover, minimumSizeToCompress: minimumSizeToCompress)
        let inflater = try makeInflater(noContextTakeover: noContextTakeover)
        for (i, message) in Self.messages.enumerated() {
            #expect((compressed[i] == nil) == (message.count < minimumSizeToCompress), "message \(i)")
            guard let payload = compressed[i] else { continue }
            if message.isEmpty {
                #expect(payload == [0x00], "message \(i): RFC 7692 §7.2.3.6")
            }
            #expect(try inflateMessage(inflater, payload) == message, "message \(i)")
        }
    }

    @Test func emptyMessageAloneIsTheOctetZero() throws {
        for noContextTakeover in [false, true] {
            let deflater = try makeDeflater(noContextTakeover: noContextTakeover)
            #expect(try deflater.deflate([][...]) == [0x00])
            #expect(try deflater.deflate([][...]) == [0x00])
            #expect(try deflater.deflate(hello[...]) != nil)
            #expect(try deflater.deflate([][...]) == [0x00])
        }
    }

    /// Python's zlib inflates what we sent, as an independent check: one decompressor across
    /// messages with context takeover, a new one per message without.
    static let script = #"""
        import sys, zlib, pathlib
        d = pathlib.Path(sys.argv[1])
        tail = b"\x00\x00\xff\xff"
        for case in sorted(p for p in d.iterdir() if p.is_dir()):
            takeover = not case.name.startswith("nct")
            dec = zlib.decompressobj(wbits=-15)
            for i in range(int(sys.argv[2])):
                sent = case / f"c{i}"
                if not sent.exists():
                    continue
                if not takeover:
                    dec = zlib.decompressobj(wbits=-15)
                got = dec.decompress(sent.read_bytes() + tail)
                want = (d / f"m{i}").read_bytes()
                if got != want:
                    print(f"MISMATCH {case.name} message {i}: {got[:20]!r} != {want[:20]!r}", flush=True)
                    sys.exit(1)
        print("OK", flush=True)
        """#

    @Test(.enabled(if: TestPeers.available(TestPeers.python)))
    func pythonZlibInflatesEveryMessage() async throws {
        let python = try TestPeers.python()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pmd-empty-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (i, message) in Self.messages.enumerated() {
            try Data(message).write(to: directory.appendingPathComponent("m\(i)"))
        }
        for (noContextTakeover, minimumSizeToCompress) in Self.settings {
            let compressed = try Self.deflateAll(
                noContextTakeover: noContextTakeover, minimumSizeToCompress: minimumSizeToCompress)
            let caseDirectory = directory.appendingPathComponent(
                "\(noContextTakeover ? "nct" : "ct")-\(minimumSizeToCompress)")
            try FileManager.default.createDirectory(at: caseDirectory, withIntermediateDirectories: true)
            for (i, payload) in compressed.enumerated() {
                guard let payload else { continue }
                try Data(payload).write(to: caseDirectory.appendingPathComponent("c\(i)"))
            }
        }
        let peer = try PeerProcess(python, ["-c", Self.script, directory.path, "\(Self.messages.count)"])
        let status = try await peer.waitForExit()
        #expect(status == 0, "python: \(peer.output) \(peer.standardError)")
        #expect(peer.output == ["OK"])
    }
}
