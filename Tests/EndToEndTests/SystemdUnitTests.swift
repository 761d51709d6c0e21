import Foundation
import Testing
import TestSupport

@Suite("ops/: systemd units and configuration")
struct SystemdUnitTests {
    static let ops = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ops")

    /// `systemd-analyze verify` works without systemd as PID 1; it needs the executables to
    /// exist, so the unit is checked pointing at the ones this build made.
    @Test(arguments: [("baedal-worker@.service", "baedal-worker@projector-2.service"),
                      ("baedal-worker@.service", "baedal-worker@store-inbox.service"),
                      ("baedal-worker@.service", "baedal-worker@payment-refund-3.service"),
                      ("baedal-api.service", "baedal-api.service"),
                      ("baedal-api.socket", "baedal-api.socket"),
                      ("baedal-payment.service", "baedal-payment.service"),
                      ("baedal-payment.socket", "baedal-payment.socket"),
                      ("baedal-autoscaler.service", "baedal-autoscaler.service"),
                      ("baedal.target", "baedal.target")])
    func unitVerifiesCleanly(_ file: String, _ instance: String) async throws {
        guard let analyze = try? findExecutable("systemd-analyze") else {
            Issue.record("systemd-analyze is not installed")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Every unit beside the one verified, so that references between them resolve.
        // Drop-ins (NAME.service.d/*.conf, the Redis passwords as credentials) too: verify reads them.
        let source = Self.ops.appendingPathComponent("systemd")
        for name in try FileManager.default.subpathsOfDirectory(atPath: source.path).sorted() {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: source.appendingPathComponent(name).path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent(name), withIntermediateDirectories: true)
                continue
            }
            let unit = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/", with: binaryDirectory().path + "/")
            try unit.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        _ = file
        let (status, text) = try await runProgram(analyze, ["verify", directory.appendingPathComponent(instance).path])
        #expect(status == 0, "\(text)")
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze complained:\n\(text)")
    }

    /// With ACL users, each daemon's Redis password is a credential its drop-in loads from a file
    /// named after its user (ops/redis/users.acl), and each worker logs in as its policy's user.
    @Test func theRedisPasswordDropInsNameEachDaemonsUser() throws {
        let systemd = Self.ops.appendingPathComponent("systemd")
        func dropIn(_ unit: String) throws -> String {
            try String(contentsOf: systemd.appendingPathComponent("\(unit).d/redis-password.conf"), encoding: .utf8)
        }
        for daemon in ["baedal-api", "baedal-payment", "baedal-autoscaler"] {
            #expect(try dropIn("\(daemon).service").contains("\nLoadCredential=redis-password:/etc/baedal/redis/\(daemon).password\n"))
        }
        let worker = try dropIn("baedal-worker@.service")
        #expect(worker.contains("\nLoadCredential=redis-password:/etc/baedal/redis/worker-%i.password\n"))
        #expect(worker.contains("BAEDAL_REDIS_USER=\"baedal-$$p\""))
        // The shell line as systemd runs it ($$ → $, %% → %, %i → the instance): the policy's user.
        let exec = try #require(worker.split(separator: "\n").last { $0.hasPrefix("ExecStart=/bin/sh -c '") })
        let script = exec.dropFirst("ExecStart=/bin/sh -c '".count).prefix { $0 != "'" }
            .replacingOccurrences(of: "$$", with: "$").replacingOccurrences(of: "%%", with: "%")
            .replacingOccurrences(of: "exec /usr/local/bin/baedal-worker", with: "exec /usr/bin/printenv BAEDAL_REDIS_USER")
        for (instance, user) in [("projector-2", "baedal-projector"), ("delivery-dispatch-11", "baedal-delivery-dispatch"), ("store-inbox", "baedal-store-inbox")] {
            let run = Process()
            let pipe = Pipe()
            run.executableURL = URL(fileURLWithPath: "/bin/sh")
            run.arguments = ["-c", script, "baedal-worker", instance]
            run.standardOutput = pipe
            try run.run()
            run.waitUntilExit()
            let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(printed == user + "\n", "\(instance): \(printed)")
        }
    }

    /// Each HTTP service takes its socket from its .socket unit, and the autoscaler's unit scales
    /// policies of the catalogue with the systemd launcher.
    @Test func socketUnitsAndTheAutoscalerUnitAreWiredTogether() throws {
        let systemd = Self.ops.appendingPathComponent("systemd")
        func lines(_ name: String) throws -> [String] {
            try String(contentsOf: systemd.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map(String.init)
        }
        for service in ["baedal-api", "baedal-payment"] {
            let socket = try lines("\(service).socket")
            #expect(socket.contains("Accept=no") && socket.contains("Service=\(service).service"))
            #expect(socket.contains { $0.hasPrefix("ListenStream=127.0.0.1:") })
            let unit = try lines("\(service).service")
            #expect(unit.contains("Requires=\(service).socket"))
            #expect(unit.contains { $0.hasPrefix("After=") && $0.contains("\(service).socket") })
        }
        let exec = try #require(try lines("baedal-autoscaler.service").first { $0.hasPrefix("ExecStart=") })
        #expect(exec.contains("--launcher systemd"))
        #expect(exec.contains("--policy projector:") && exec.contains("--policy notification:"))
        let target = try lines("baedal.target").filter { $0.hasPrefix("Wants=") }.joined(separator: " ")
        #expect(target.contains("baedal-api.socket") && target.contains("baedal-payment.socket"))
    }

    @Test func redisConfigurationKeepsDataOnDisk() throws {
        let configuration = try String(contentsOf: Self.ops.appendingPathComponent("redis").appendingPathComponent("baedal.conf"), encoding: .utf8)
        let lines = Set(configuration.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(lines.contains("appendonly yes"))
        #expect(lines.contains("maxmemory-policy noeviction"))
        #expect(lines.contains("appendfsync everysec"))
        #expect(lines.contains("supervised systemd"))
    }

    /// The exposure score `systemd-analyze security` gives each daemon's unit (0 best, 10 worst):
    /// the hardening stays in place. The autoscaler runs as root to drive systemctl, so it keeps more.
    @Test(arguments: [("baedal-api.service", 2.0), ("baedal-payment.service", 2.0), ("baedal-worker@projector.service", 2.0),
                      ("baedal-autoscaler.service", 4.0)])
    func unitsAreHardened(_ instance: String, _ worst: Double) async throws {
        let analyze = try findExecutable("systemd-analyze")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-security-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = instance.hasPrefix("baedal-worker@") ? "baedal-worker@.service" : instance
        try FileManager.default.copyItem(at: Self.ops.appendingPathComponent("systemd").appendingPathComponent(source),
                                         to: directory.appendingPathComponent(instance))
        let (_, text) = try await runProgram(analyze, ["security", "--offline=yes", "--root=/", "--no-pager", directory.appendingPathComponent(instance).path])
        let line: Substring? = text.split(separator: "\n").last { $0.contains("Overall exposure level") }
        let figure: Substring? = line?.split(separator: ":").last?.split(separator: " ").first
        let score: Double = figure.flatMap { Double(String($0)) } ?? 10
        #expect(score <= worst, "\(instance): exposure \(score) (at most \(worst))\n\(text.suffix(2_000))")
    }

    /// Without BAEDAL_JWT_SECRET, baedal-api takes the secret from systemd's credential
    /// `jwt-secret` (LoadCredential=): a token signed with it is accepted.
    @Test func theAPIReadsItsSecretFromASystemdCredential() async throws {
        let redis = try RedisServer()
        let credentials = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-credentials-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: credentials) }
        let secret = "credential-secret-0123456789abcdef0123456789"
        try (secret + "\n").write(to: credentials.appendingPathComponent("jwt-secret"), atomically: true, encoding: .utf8)
        let port = try freePort()
        let api = try BaedalProcess("baedal-api", [], environment: [
            "BAEDAL_REDIS_URL": redis.url, "BAEDAL_API_PORT": String(port), "CREDENTIALS_DIRECTORY": credentials.path,
        ])
        #expect(await eventually(seconds: 20) { (try? await httpGet("http://127.0.0.1:\(port)/health/live"))?.hasPrefix("HTTP/1.1 200") == true }, "\(api.log)")
        func token(signedWith secret: String) async throws -> String {
            let mint = try BaedalProcess("baedalctl", ["token", "--role", "customer", "--sub", "c-cred"], environment: ["BAEDAL_JWT_SECRET": secret])
            _ = await mint.waitForExit()
            return mint.log.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func status(_ token: String) throws -> Substring? {
            let socket = try RawSocket(port: port)
            try socket.send("GET /customers/me/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
            return socket.readUntilClosed(seconds: 10).text.split(separator: " ").dropFirst().first
        }
        #expect(try status(try await token(signedWith: secret)) == "200", "\(api.log)")
        #expect(try status(try await token(signedWith: "another-secret-0123456789abcdef0123456789")) == "401")
    }
}
