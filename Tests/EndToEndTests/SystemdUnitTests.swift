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
                      ("baedal-payment.service", "baedal-payment.service"),
                      ("baedal.target", "baedal.target")])
    func unitVerifiesCleanly(_ file: String, _ instance: String) throws {
        guard let analyze = try? findExecutable("systemd-analyze") else {
            Issue.record("systemd-analyze is not installed")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Every unit beside the one verified, so that references between them resolve.
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.ops.appendingPathComponent("systemd").path) {
            let unit = try String(contentsOf: Self.ops.appendingPathComponent("systemd").appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/", with: binaryDirectory().path + "/")
            try unit.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        _ = file
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify", directory.appendingPathComponent(instance).path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze complained:\n\(text)")
    }

    @Test func redisConfigurationKeepsDataOnDisk() throws {
        let configuration = try String(contentsOf: Self.ops.appendingPathComponent("redis").appendingPathComponent("baedal.conf"), encoding: .utf8)
        let lines = Set(configuration.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(lines.contains("appendonly yes"))
        #expect(lines.contains("maxmemory-policy noeviction"))
        #expect(lines.contains("appendfsync everysec"))
        #expect(lines.contains("supervised systemd"))
    }
}
