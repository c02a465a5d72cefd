import Foundation

/// Making the test certificates failed (the `openssl` command exited with an error).
public struct CertificateSetupFailed: Error, CustomStringConvertible {
    /// The command and its standard error.
    public var description: String
}

/// Certificates made for the TLS tests with the `openssl` command, in a temporary folder: a test
/// CA, a server certificate for `localhost` and `127.0.0.1`, and one for `wrong.example`.
public struct TestCertificates: Sendable {
    /// The folder holding the files.
    public var directory: String
    /// The test CA's certificate (PEM), to trust in clients.
    public var caFile: String { directory + "/ca.pem" }
    /// A certificate for `localhost` and `127.0.0.1`, signed by the test CA.
    public var serverCertificate: String { directory + "/server.pem" }
    /// The key of ``serverCertificate``.
    public var serverKey: String { directory + "/server.key" }
    /// A certificate for `wrong.example` only, signed by the test CA.
    public var wrongCertificate: String { directory + "/wrong.pem" }
    /// The key of ``wrongCertificate``.
    public var wrongKey: String { directory + "/wrong.key" }

    /// One set per test process, made on first use.
    public static let shared = Task { try await make() }

    private static func run(_ openssl: String, _ arguments: [String], in directory: String) async throws {
        let process = try PeerProcess(openssl, arguments, currentDirectory: URL(fileURLWithPath: directory))
        let status = try await process.waitForExit()
        guard status == 0 else {
            throw CertificateSetupFailed(description: "openssl \(arguments.joined(separator: " ")) exited \(status): \(process.standardError)")
        }
    }

    private static func make() async throws -> TestCertificates {
        let openssl = try TestPeers.openssl()
        let directory = NSTemporaryDirectory() + "ctrader-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(openssl, ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=swift-ctrader test CA"], in: directory)
        for (name, subjectAltName, serial) in [("server", "DNS:localhost,IP:127.0.0.1", "2"), ("wrong", "DNS:wrong.example", "3")] {
            try "subjectAltName=\(subjectAltName)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
            let commonName = name == "server" ? "localhost" : "wrong.example"
            try await run(openssl, ["req", "-new"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(commonName)"], in: directory)
            try await run(openssl, ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", serial, "-days", "2", "-out", "\(name).pem", "-extfile", "\(name).ext"], in: directory)
        }
        return TestCertificates(directory: directory)
    }
}

/// Counts of this process's resources, for leak tests.
public enum ProcessResources {
    /// Entries of `/proc/self/fd` (Linux) or `/dev/fd`.
    public static func openDescriptorCount() -> Int {
        #if os(Linux)
        let path = "/proc/self/fd"
        #else
        let path = "/dev/fd"
        #endif
        return ((try? FileManager.default.contentsOfDirectory(atPath: path))?.count) ?? -1
    }

    /// The `Threads:` line of `/proc/self/status` (Linux), or `nil`.
    public static func threadCount() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
