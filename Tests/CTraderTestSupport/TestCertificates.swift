import Foundation

/// Making the test certificates failed (the `openssl` command exited with an error).
public struct CertificateSetupFailed: Error, CustomStringConvertible {
    /// The command and its standard error.
    public var description: String
}

/// Certificates made for the TLS tests with the `openssl` command, in a temporary folder: a test
/// CA, a server certificate for `localhost` and `127.0.0.1`, and one for `wrong.example`; and for
/// the failure-mode tests, certificates for `localhost` that are expired, not yet valid,
/// self-signed, issued by an intermediate, or issued by a root nobody trusts.
///
/// Every `localhost` certificate shares the key ``serverKey``.
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
    /// A certificate for `localhost`, signed by the test CA, valid only during 1–2 January 2020.
    public var expiredCertificate: String { directory + "/expired.pem" }
    /// A certificate for `localhost`, signed by the test CA, valid only in December 2099.
    public var notYetValidCertificate: String { directory + "/future.pem" }
    /// A self-signed certificate for `localhost`.
    public var selfSignedCertificate: String { directory + "/selfsigned.pem" }
    /// A certificate for `localhost` alone, signed by ``intermediateCertificate`` (which the test CA
    /// signed): a server presenting only this leaf leaves out the intermediate.
    public var leafOfIntermediate: String { directory + "/leaf-of-intermediate.pem" }
    /// ``leafOfIntermediate`` followed by ``intermediateCertificate``: the complete chain.
    public var chainThroughIntermediate: String { directory + "/chain-through-intermediate.pem" }
    /// An intermediate CA certificate, signed by the test CA.
    public var intermediateCertificate: String { directory + "/intermediate.pem" }
    /// A certificate for `localhost` followed by the self-signed root that signed it, a root no
    /// client trusts.
    public var chainToUntrustedRoot: String { directory + "/chain-to-untrusted-root.pem" }

    /// One set per test process, made on first use.
    public static let shared = Task { try await make() }

    private static func run(_ openssl: String, _ arguments: [String], in directory: String) async throws {
        let process = try PeerProcess(openssl, arguments, currentDirectory: URL(fileURLWithPath: directory))
        let status = try await process.waitForExit()
        guard status == 0 else {
            throw CertificateSetupFailed(
                description: "openssl \(arguments.joined(separator: " ")) exited \(status): \(process.standardError)")
        }
    }

    private static func make() async throws -> TestCertificates {
        let openssl = try TestPeers.openssl()
        let directory = NSTemporaryDirectory() + "ctrader-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(
            openssl,
            ["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=swift-ctrader test CA",
            ], in: directory)
        for (name, subjectAltName, serial) in [
            ("server", "DNS:localhost,IP:127.0.0.1", "2"), ("wrong", "DNS:wrong.example", "3"),
        ] {
            try "subjectAltName=\(subjectAltName)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
            let commonName = name == "server" ? "localhost" : "wrong.example"
            try await run(
                openssl,
                ["req", "-new"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(commonName)"],
                in: directory)
            try await run(
                openssl,
                [
                    "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", serial,
                    "-days", "2", "-out", "\(name).pem", "-extfile", "\(name).ext",
                ], in: directory)
        }
        try await makeFailureModes(openssl, in: directory)
        return TestCertificates(directory: directory)
    }

    /// The certificates of the failure-mode tests (see the properties). Dates in the past or
    /// future need `openssl ca` (`x509 -req` only counts days from now), with a minimal config.
    private static func makeFailureModes(_ openssl: String, in directory: String) async throws {
        func write(_ text: String, _ name: String) throws {
            try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        func concatenate(_ names: [String], into name: String) throws {
            let text = try names.map { try String(contentsOfFile: "\(directory)/\($0)", encoding: .utf8) }.joined()
            try write(text, name)
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let caExtensions = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
        try write(caExtensions, "ca-ext.ext")
        // Every leaf below is for localhost, with the server's key.
        try await run(
            openssl, ["req", "-new", "-key", "server.key", "-out", "localhost.csr", "-subj", "/CN=localhost"],
            in: directory)
        try write(
            """
            [ ca ]
            default_ca = test_ca
            [ test_ca ]
            database = index.txt
            new_certs_dir = .
            serial = serial.txt
            default_md = sha256
            policy = any
            unique_subject = no
            [ any ]
            commonName = supplied

            """, "ca.cnf")
        try write("", "index.txt")
        try write("10\n", "serial.txt")
        for (name, start, end) in [
            ("expired", "20200101000000Z", "20200102000000Z"), ("future", "20991201000000Z", "20991231000000Z"),
        ] {
            try await run(
                openssl,
                [
                    "ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in",
                    "localhost.csr",
                    "-startdate", start, "-enddate", end, "-extfile", "server.ext", "-out", "\(name).pem",
                ], in: directory)
        }
        try await run(
            openssl,
            [
                "req", "-x509", "-key", "server.key", "-out", "selfsigned.pem", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-addext", "basicConstraints=CA:FALSE",
            ], in: directory)
        // The test CA → an intermediate → a leaf.
        try await run(
            openssl,
            ["req", "-new"] + ec + [
                "-keyout", "intermediate.key", "-out", "intermediate.csr", "-subj",
                "/CN=swift-ctrader test intermediate",
            ], in: directory)
        try await run(
            openssl,
            [
                "x509", "-req", "-in", "intermediate.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "4",
                "-days", "2",
                "-extfile", "ca-ext.ext", "-out", "intermediate.pem",
            ], in: directory)
        try await run(
            openssl,
            [
                "x509", "-req", "-in", "localhost.csr", "-CA", "intermediate.pem", "-CAkey", "intermediate.key",
                "-set_serial", "5",
                "-days", "2", "-extfile", "server.ext", "-out", "leaf-of-intermediate.pem",
            ], in: directory)
        try concatenate(["leaf-of-intermediate.pem", "intermediate.pem"], into: "chain-through-intermediate.pem")
        // A second root, trusted by no one, and a leaf it signed.
        try await run(
            openssl,
            [
                "req", "-x509",
            ] + ec + [
                "-keyout", "other-root.key", "-out", "other-root.pem", "-days", "2", "-subj",
                "/CN=swift-ctrader untrusted root",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ], in: directory)
        try await run(
            openssl,
            [
                "x509", "-req", "-in", "localhost.csr", "-CA", "other-root.pem", "-CAkey", "other-root.key",
                "-set_serial", "6",
                "-days", "2", "-extfile", "server.ext", "-out", "leaf-of-other-root.pem",
            ], in: directory)
        try concatenate(["leaf-of-other-root.pem", "other-root.pem"], into: "chain-to-untrusted-root.pem")
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
