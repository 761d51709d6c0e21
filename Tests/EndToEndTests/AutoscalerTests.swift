import Foundation
import Redis
import Testing
import TestSupport

/// Issue 12: `baedal-autoscaler` with real workers, a real Redis, and (for the systemd launcher)
/// a stand-in `systemctl` that records what it is told.
@Suite("Autoscaling by lag: baedal-autoscaler", .serialized)
struct AutoscalerTests {
    /// The live `baedal-worker` children of `parent` (read from /proc, as `ps --ppid` would).
    static func workers(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
            let rest = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            // state, ppid: a zombie is not running.
            return name == "baedal-worker" && rest.count > 1 && rest[0] != "Z" && Int32(rest[1]) == parent
        }
    }

    /// Seconds of the day of a log line's `2026-11-22T07:09:39.841Z`.
    static func loggedAt(_ line: Substring) -> Double? {
        let parts = line.prefix(24).split(separator: "T")
        guard parts.count == 2 else { return nil }
        let clock = parts[1].dropLast().split(separator: ":").compactMap { Double($0) }
        return clock.count == 3 ? clock[0] * 3600 + clock[1] * 60 + clock[2] : nil
    }

    static func view(_ connection: RedisConnection, _ policy: String) -> [String: Any]? {
        guard let text = try? connection.send(RedisCommand("HGET", "baedal:autoscaler", policy)).string else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    func autoscaler(_ arguments: [String], _ harness: ProjectorHarness, metricsPort: Int = 0,
                    extra: [String: String] = [:]) throws -> BaedalProcess {
        try BaedalProcess("baedal-autoscaler", arguments + ["--metrics-port", String(metricsPort)],
                          environment: ["BAEDAL_REDIS_URL": harness.server.url, "BAEDAL_CLAIM_IDLE_MS": "1000"].merging(extra) { $1 })
    }

    @Test func aBurstOfSixtyThousandEventsScalesUpDrainsAndComesBackToMin() async throws {
        let harness = try ProjectorHarness()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-scaled-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logs) }
        let metricsPort = try freePort()
        let scaler = try autoscaler(["--launcher", "process", "--policy", "projector:1:4", "--lag-per-instance", "5000",
                                     "--interval", "0.5", "--cool-down", "3", "--log-directory", logs.path], harness, metricsPort: metricsPort)
        defer { if scaler.isRunning { scaler.signal(SIGKILL) } }
        func running() -> Int { (Self.view(harness.connection, "projector")?["running"] as? Int) ?? -1 }
        func diagnostics() -> String {
            let children = (try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []
            return scaler.log.suffix(6_000) + "\n" + children.map { name in
                "--- \(name)\n" + ((try? String(contentsOf: logs.appendingPathComponent(name), encoding: .utf8))?.suffix(2_000) ?? "")
            }.joined(separator: "\n")
        }
        // MIN: one instance, at once.
        try #require(await eventually(seconds: 20) { running() == 1 && Self.workers(of: scaler.pid).count == 1 }, "\(diagnostics())")

        let mix = EventMix(count: 60_000, seed: 12)
        try mix.write(to: harness.connection, keys: harness.keys)
        let written = ContinuousClock.now
        // Up above 1 within a few intervals, seen in the view and in the processes themselves.
        var peak = 1
        let rose = await eventually(seconds: 10, every: 100) {
            peak = max(peak, Self.workers(of: scaler.pid).count)
            return running() > 1 && peak > 1
        }
        #expect(rose, "no scale-up within 10 s of the burst:\n\(diagnostics())")
        let roseAfter = ContinuousClock.now - written
        // baedalctl status shows it per policy.
        let status = try BaedalProcess("baedalctl", ["status"], environment: ["BAEDAL_REDIS_URL": harness.server.url])
        #expect(await status.waitForExit() == 0)
        #expect(status.log.contains("projector") && status.log.contains("autoscaler wants"), "\(status.log)")
        // The backlog drains (4 instances at most).
        let drained = await eventually(seconds: 180, every: 100) {
            peak = max(peak, Self.workers(of: scaler.pid).count)
            return (try? harness.isDrained()) ?? false
        }
        try #require(drained, "not drained:\n\(diagnostics())")
        #expect((2...4).contains(peak), "peak \(peak) instances")
        // Back to MIN after the cool-down (3 s), in the view and in the processes.
        let drainedAt = ContinuousClock.now
        #expect(await eventually(seconds: 30) { running() == 1 && Self.workers(of: scaler.pid).count == 1 }, "\(diagnostics())")
        let backAfter = ContinuousClock.now - drainedAt
        // Down only once the backlog had stayed low for the cool-down (3 s): the log's own clock.
        let lines = scaler.log.split(separator: "\n")
        let upAt = lines.first { $0.contains("scale up") }.flatMap(Self.loggedAt)
        let downAt = lines.last { $0.contains("scale down") }.flatMap(Self.loggedAt)
        if let upAt, let downAt {
            #expect(downAt - upAt >= 3.0, "scaled down \(downAt - upAt) s after scaling up, within the cool-down")
        } else {
            Issue.record("no scale up or scale down logged:\n\(scaler.log.suffix(3_000))")
        }
        try harness.expectDashboards(mix.expected)
        #expect(try harness.pending() == 0)
        #expect(try harness.connection.send(RedisCommand("XLEN", "baedal:dead")).int == 0, "nothing dead-lettered")
        // Its decisions are logged with their figures, and /metrics says what it wants and sees.
        let up = scaler.log.split(separator: "\n").first { $0.contains("scale up") }
        #expect(up?.contains("backlog=") == true && up?.contains("wanted=") == true && up?.contains("lag=") == true, "\(up ?? "no scale up logged")")
        #expect(scaler.log.contains("scale down"))
        let metrics = try await httpGet("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(metrics.contains(#"baedal_autoscaler_desired_instances{policy="projector"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"baedal_autoscaler_running_instances{policy="projector"} 1"#))
        #expect(metrics.contains("baedal_autoscaler_lag"))
        // It stops with its instances, and says so in the view.
        scaler.signal(SIGTERM)
        #expect(await scaler.waitForExit(seconds: 40) == 0, "\(diagnostics())")
        #expect(Self.workers(of: scaler.pid).isEmpty)
        #expect(Self.view(harness.connection, "projector") == nil)
        print("autoscaling: above 1 instance \(roseAfter) after the burst, peak \(peak); back to MIN \(backAfter) after drained")
    }

    @Test func killedWithSIGKILLItsWorkersStopToo() async throws {
        let harness = try ProjectorHarness()
        let scaler = try autoscaler(["--launcher", "process", "--policy", "projector:2:2", "--interval", "0.3"], harness)
        try #require(await eventually(seconds: 20) { Self.workers(of: scaler.pid).count == 2 }, "\(scaler.log)")
        let children = Self.workers(of: scaler.pid)
        scaler.signal(SIGKILL)
        _ = await scaler.waitForExit()
        // setpriv --pdeathsig TERM: each got SIGTERM and finished.
        #expect(await eventually(seconds: 20) { children.allSatisfy { kill($0, 0) != 0 } }, "orphans left: \(children)")
    }

    @Test func theSystemdLauncherStartsAndStopsTemplateInstances() async throws {
        let harness = try ProjectorHarness()
        let stub = FileManager.default.temporaryDirectory.appendingPathComponent("baedal-systemctl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: stub, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: stub) }
        // A systemctl that keeps each unit's state in a file and records every call.
        let script = """
        #!/bin/sh
        echo "$*" >> "$STUB_DIR/calls"
        verb=$1; shift
        case "$verb" in
          is-active) for unit in "$@"; do if [ -f "$STUB_DIR/$unit" ]; then cat "$STUB_DIR/$unit"; else echo inactive; fi; done ;;
          start) echo active > "$STUB_DIR/$2" ;;
          stop) echo inactive > "$STUB_DIR/$2" ;;
          *) echo "unexpected: $verb" >&2; exit 1 ;;
        esac
        """
        let systemctl = stub.appendingPathComponent("systemctl")
        try script.write(to: systemctl, atomically: true, encoding: .utf8)
        chmod(systemctl.path, 0o755)
        func state(_ unit: String) -> String {
            ((try? String(contentsOf: stub.appendingPathComponent(unit), encoding: .utf8)) ?? "inactive").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func calls() -> [String] {
            ((try? String(contentsOf: stub.appendingPathComponent("calls"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        // 250 entries the group has not read: 3 instances at 100 each.
        for index in 0..<250 {
            _ = try harness.connection.send(RedisCommand(["XADD", "baedal:events:order", "*", "type", "Other", "orderId", "o-\(index)", "at", "1", "data", "{}"]))
        }
        _ = try harness.connection.send(RedisCommand("XGROUP", "CREATE", "baedal:events:order", "projector", "0"))
        let path = stub.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let scaler = try autoscaler(["--launcher", "systemd", "--policy", "projector:1:3", "--lag-per-instance", "100", "--interval", "0.2",
                                     "--cool-down", "1"], harness, extra: ["PATH": path, "STUB_DIR": stub.path])
        defer { if scaler.isRunning { scaler.signal(SIGKILL) } }
        let units = (1...3).map { "baedal-worker@projector-\($0).service" }
        #expect(await eventually(seconds: 20) { units.allSatisfy { state($0) == "active" } }, "\(scaler.log)\n\(calls())")
        #expect(calls().filter { $0.hasPrefix("start") } == units.map { "start --no-block \($0)" })
        #expect(state("baedal-worker@projector-4.service") == "inactive", "never above MAX")

        // The group catches up (read and acknowledged by hand): after the cool-down, down to MIN,
        // the highest numbers first.
        let read = try harness.connection.send(RedisCommand("XREADGROUP", "GROUP", "projector", "by-hand", "COUNT", "1000", "STREAMS",
                                                            "baedal:events:order", ">"))
        let ids = read.array?.first?.array?.last?.array?.compactMap { $0.array?.first?.string } ?? []
        _ = try harness.connection.send(RedisCommand(["XACK", "baedal:events:order", "projector"] + ids))
        #expect(await eventually(seconds: 20) { state(units[1]) == "inactive" && state(units[2]) == "inactive" }, "\(scaler.log)")
        #expect(state(units[0]) == "active")
        #expect(calls().filter { $0.hasPrefix("stop") } == ["stop --no-block \(units[2])", "stop --no-block \(units[1])"])

        // A unit that failed is reported and started again.
        try "failed\n".write(to: stub.appendingPathComponent(units[0]), atomically: true, encoding: .utf8)
        #expect(await eventually(seconds: 20) { state(units[0]) == "active" && calls().filter { $0 == "start --no-block \(units[0])" }.count == 2 })
        #expect(scaler.log.contains("instance ended on its own"))
        // Stopping the autoscaler leaves the units to systemd.
        scaler.signal(SIGTERM)
        #expect(await scaler.waitForExit() == 0)
        #expect(state(units[0]) == "active")
    }

    @Test func theCommandLineRefusesBadUsageWithExit64() async throws {
        let harness = try ProjectorHarness()
        let help = try autoscaler(["--help"], harness)
        #expect(await help.waitForExit() == 0)
        #expect(help.log.contains("--policy") && help.log.contains("--lag-per-instance") && help.log.contains("--launcher"))
        for (arguments, says) in [
            (["--launcher", "process"], "at least one --policy"),
            (["--launcher", "process", "--policy", "nobody:1:2"], "unknown policy"),
            (["--launcher", "process", "--policy", "projector:3:2"], "MIN <= MAX"),
            (["--launcher", "process", "--policy", "projector:1"], "NAME:MIN:MAX"),
            (["--launcher", "process", "--policy", "projector:1:2", "--policy", "projector:1:3"], "twice"),
            (["--launcher", "kubernetes", "--policy", "projector:1:2"], "launcher"),
            (["--policy", "projector:1:2"], "launcher"),
            (["--launcher", "process", "--policy", "projector:1:2", "--interval", "0"], "--interval"),
            (["--launcher", "process", "--policy", "projector:1:2", "--lag-per-instance", "0"], "--lag-per-instance"),
        ] {
            let process = try autoscaler(arguments, harness)
            #expect(await process.waitForExit() == 64, "\(arguments): \(process.log)")
            #expect(process.log.contains(says), "\(arguments): \(process.log)")
        }
        let badSetting = try BaedalProcess("baedal-autoscaler", ["--launcher", "process", "--policy", "projector:1:2"],
                                           environment: ["BAEDAL_REDIS_URL": "localhost:6379"])
        #expect(await badSetting.waitForExit() == 2)
        #expect(badSetting.log.contains("BAEDAL_REDIS_URL"))
    }

    @Test func statusShowsPerPolicyWhatRunsAndWhatTheAutoscalerWants() async throws {
        let harness = try ProjectorHarness()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let current = #"{"policy":"projector","min":1,"max":4,"running":2,"wanted":3,"backlog":12345,"lagPerInstance":5000,"at":\#(now),"lag":12000,"pending":345,"intervalMs":1000}"#
        let stale = #"{"policy":"notification","min":1,"max":4,"running":4,"wanted":4,"backlog":0,"lagPerInstance":5000,"at":\#(now - 10_000),"intervalMs":1000}"#
        _ = try harness.connection.send(RedisCommand("HSET", "baedal:autoscaler", "projector", current, "notification", stale, "store-inbox", "garbage"))
        let status = try BaedalProcess("baedalctl", ["status"], environment: ["BAEDAL_REDIS_URL": harness.server.url])
        #expect(await status.waitForExit() == 0)
        let lines = status.log.split(separator: "\n")
        let projector = lines.first { $0.contains("projector ") && $0.contains("running") }
        #expect(projector?.contains("running 2, autoscaler wants 3 (min 1, max 4, backlog 12345 = lag 12000 + pending 345") == true, "\(status.log)")
        let notification = lines.first { $0.contains("notification ") }
        #expect(notification?.contains("autoscaler not running (last seen 10") == true, "older than three intervals: \(status.log)")
        let storeInbox = lines.first { $0.contains("store-inbox ") && $0.contains("consumer") }
        #expect(storeInbox?.contains("not autoscaled") == true, "an unreadable value is ignored: \(status.log)")
    }

    /// Workers roll without loss under load: while events keep arriving, each of two projector
    /// instances is stopped with SIGTERM and started again, twice; nothing is lost or counted twice.
    @Test func workersRolledUnderLoadLoseNothing() async throws {
        let harness = try ProjectorHarness()
        let mix = EventMix(count: 24_000, seed: 21)
        // The mix in five parts: one arrives just before each of the four stops (so every stop
        // meets a fresh backlog the group is reading), the last after the last restart.
        let parts = stride(from: 0, to: mix.events.count, by: 4_800).map { start in
            var part = mix
            part.events = Array(mix.events[start..<min(start + 4_800, mix.events.count)])
            return part
        }
        #expect(parts.count == 5)
        var instances = [try await harness.startWorker("roll-1"), try await harness.startWorker("roll-2")]
        var written = 0
        for _ in 0..<2 {
            for index in instances.indices {
                try parts[written].write(to: harness.connection, keys: harness.keys)
                written += 1
                instances[index].signal(SIGTERM)
                #expect(await instances[index].waitForExit(seconds: 30) == 0)
                instances[index] = try await harness.startWorker("roll-\(index + 1)")
            }
        }
        for part in parts[written...] { try part.write(to: harness.connection, keys: harness.keys) }
        try await harness.waitUntilDrained()
        try harness.expectDashboards(mix.expected)
        #expect(try harness.pending() == 0)
        #expect(try harness.connection.send(RedisCommand("XLEN", "baedal:dead")).int == 0)
    }
}

/// A GET with the project's small client, as text.
func httpGet(_ url: String) async throws -> String {
    let (host, port, path) = try #require(splitURL(url))
    let socket = try RawSocket(port: port)
    try socket.send("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
    return socket.readUntilClosed(seconds: 10).text
}

private func splitURL(_ url: String) -> (String, Int, String)? {
    guard let components = URLComponents(string: url), let host = components.host, let port = components.port else { return nil }
    return (host, port, components.path)
}
