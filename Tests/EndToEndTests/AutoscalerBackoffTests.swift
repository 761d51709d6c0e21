import Foundation
import Testing
import TestSupport

/// A worker that cannot start (a configuration error: exit 2) is started again after a pause
/// that grows while it keeps failing, reported as failing, its reason logged once — not started
/// every interval while `/metrics` says it runs (issue 18, item 10).
@Suite("The autoscaler backs off instances that keep failing", .serialized)
struct AutoscalerBackoffTests {
    @Test func aWorkerThatExitsAtOnceIsStartedAHandfulOfTimesAndReported() async throws {
        let server = try RedisServer()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-backoff-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logs) }
        let metricsPort = try freePort()
        let scaler = try BaedalProcess("baedal-autoscaler", [
            "--launcher", "process", "--policy", "notification:1:2", "--interval", "0.5", "--log-directory", logs.path,
            "--metrics-port", String(metricsPort),
        ], environment: ["BAEDAL_REDIS_URL": server.url, "BAEDAL_NOTIFY_WEBHOOK": "notaurl"])
        defer { if scaler.isRunning { scaler.signal(SIGKILL) } }
        func metric(_ name: String) async -> Int? {
            guard let text = try? await httpGet("http://127.0.0.1:\(metricsPort)/metrics") else { return nil }
            let line = text.split(separator: "\n").first { $0.hasPrefix(#"\#(name){policy="notification"}"#) }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
        }
        // Four failures in a row take 1 + 2 + 4 s of pauses; without them, 14 intervals would pass.
        try #require(await eventually(seconds: 60) { (await metric("baedal_autoscaler_instance_failures") ?? 0) >= 4 }, "\(scaler.log)")
        let starts = scaler.log.components(separatedBy: "instance started").count - 1
        #expect((4...5).contains(starts), "\(starts) starts:\n\(scaler.log)")
        let startedAt = scaler.log.split(separator: "\n").filter { $0.contains("instance started") }.compactMap { AutoscalerTests.loggedAt($0) }
        if let first = startedAt.first, let fourth = startedAt.dropFirst(3).first {
            #expect(fourth - first >= 6.5, "the pauses grow: \(startedAt)")
        }
        #expect(await metric("baedal_autoscaler_running_instances") == 0)
        // The reason, from the worker's own last words, logged once.
        #expect(scaler.log.components(separatedBy: "BAEDAL_NOTIFY_WEBHOOK must be an http:// URL").count - 1 == 1, "\(scaler.log)")
        // baedalctl status and the view say it is failing.
        let status = try await runProgram(binaryDirectory().appendingPathComponent("baedalctl").path, ["status"],
                                          environment: ["BAEDAL_REDIS_URL": server.url])
        #expect(status.output.contains("FAILING") && status.output.contains("exit 2 (a configuration error)"), "\(status.output)")
    }
}
