import Foundation
import Redis

/// A test CA and what it signs, made with the `openssl` command in a temporary directory: a
/// server certificate for 127.0.0.1 (an `IP:` subject alternative name only, so `localhost` does
/// not match it; also a client's, for a replica's or a Sentinel's connections), a client certificate, and a second, unrelated CA (`rogueCA`) that vouches for
/// nothing of ours. Elliptic-curve keys (P-256): quick to make.
public final class TestCertificates: @unchecked Sendable {
    public let directory: URL
    public var ca: String { path("ca.crt") }
    public var serverCertificate: String { path("server.crt") }
    public var serverKey: String { path("server.key") }
    public var clientCertificate: String { path("client.crt") }
    public var clientKey: String { path("client.key") }
    /// A CA that signed none of these: a client trusting it refuses the server.
    public var rogueCA: String { path("rogue-ca.crt") }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["ca", "rogue-ca", "server", "client"] {
            try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("\(name).key")])
        }
        for (name, subject) in [("ca", "/CN=Baedal test CA"), ("rogue-ca", "/CN=Someone else's CA")] {
            try openssl(["req", "-x509", "-new", "-key", path("\(name).key"), "-subj", subject, "-days", "2", "-out", path("\(name).crt"),
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        for (name, usage, names) in [("server", "serverAuth,clientAuth", "IP:127.0.0.1"), ("client", "clientAuth", "DNS:baedal-test-client")] {
            try "subjectAltName=\(names)\nextendedKeyUsage=\(usage)\nbasicConstraints=CA:FALSE\n"
                .write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            try openssl(["req", "-new", "-key", path("\(name).key"), "-subj", "/CN=\(name)", "-out", path("\(name).csr")])
            try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", ca, "-CAkey", path("ca.key"), "-CAcreateserial",
                         "-days", "2", "-extfile", path("\(name).ext"), "-out", path("\(name).crt")])
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// What a client trusting the test CA, with the client certificate, adds to its configuration.
    public var clientTLS: RedisTLS { RedisTLS(caFile: ca, certificateFile: clientCertificate, keyFile: clientKey) }

    /// The same for a process: `BAEDAL_REDIS_TLS_*`.
    public var environment: [String: String] {
        ["BAEDAL_REDIS_TLS_CA": ca, "BAEDAL_REDIS_TLS_CERT": clientCertificate, "BAEDAL_REDIS_TLS_KEY": clientKey]
    }

    /// redis-server's arguments to serve TLS only on `port`, clients' certificates required.
    public func serverArguments(port: Int) -> [String] {
        ["--port", "0", "--tls-port", String(port), "--tls-cert-file", serverCertificate, "--tls-key-file", serverKey,
         "--tls-ca-cert-file", ca, "--tls-auth-clients", "yes"]
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try findExecutable("openssl"))
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)") }
    }
}
