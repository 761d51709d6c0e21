import Contract
import Backbone
import Foundation
import Redis
import Testing
import TestSupport

/// A real Redis and real `baedal-worker projector` processes, and what a user would look at:
/// the dashboards (`HGETALL`), the group's pending list and lag (`XPENDING`, `XINFO`), `baedal:dead`.
final class ProjectorHarness: @unchecked Sendable {
    let server: RedisServer
    let connection: RedisConnection
    let keys = Keys(prefix: "baedal")
    let group = "projector"
    let streams: [StreamName] = [.order, .store, .delivery]
    private(set) var workers: [BaedalProcess] = []

    init(server: RedisServer? = nil) throws {
        self.server = try server ?? RedisServer()
        connection = try self.server.connect()
    }

    deinit {
        for worker in workers where worker.isRunning { worker.signal(SIGKILL) }
    }

    func environment(consumer: String, claimIdleMs: Int = 1_000, maxDeliveries: Int = 5) -> [String: String] {
        ["BAEDAL_REDIS_URL": server.url, "BAEDAL_CONSUMER": consumer,
         "BAEDAL_CLAIM_IDLE_MS": String(claimIdleMs), "BAEDAL_MAX_DELIVERIES": String(maxDeliveries)]
    }

    @discardableResult
    func startWorker(_ consumer: String, claimIdleMs: Int = 1_000, maxDeliveries: Int = 5, waitUntilReady: Bool = true) async throws -> BaedalProcess {
        let worker = try BaedalProcess("baedal-worker", ["projector"], environment: environment(consumer: consumer, claimIdleMs: claimIdleMs, maxDeliveries: maxDeliveries))
        workers.append(worker)
        if waitUntilReady {
            let ready = await eventually(seconds: 20) { worker.log.contains("ready") || !worker.isRunning }
            try #require(ready && worker.isRunning, "worker \(consumer) did not start:\n\(worker.log)")
        }
        return worker
    }

    /// Writes `mix` as a backlog, starts one worker per name and returns once they are counting:
    /// every worker is busy, holding messages most of the time.
    func workersBusyWith(_ mix: EventMix, names: [String]) async throws -> [BaedalProcess] {
        try mix.write(to: connection, keys: keys)
        var started: [BaedalProcess] = []
        for name in names { started.append(try await startWorker(name)) }
        let counting = await eventually { ((try? self.dashboard("food-orders"))?.isEmpty == false) }
        try #require(counting)
        return started
    }

    /// A dashboard hash as numbers, zero entries left out.
    func dashboard(_ name: String) throws -> [String: Int] {
        let flat = try connection.send(RedisCommand("HGETALL", keys.key("dashboard", name))).array?.compactMap(\.string) ?? []
        var result: [String: Int] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) where Int(flat[index + 1]) != 0 {
            result[flat[index]] = Int(flat[index + 1])
        }
        return result
    }

    /// Messages pending in the group, in all, or for one consumer.
    func pending(consumer: String? = nil) throws -> Int {
        var total = 0
        for stream in streams {
            if let consumer {
                let reply = try connection.send(RedisCommand(["XPENDING", keys.stream(stream), group, "-", "+", "100000", consumer]))
                total += reply.array?.count ?? 0
            } else {
                total += try connection.send(RedisCommand("XPENDING", keys.stream(stream), group)).array?.first?.int ?? 0
            }
        }
        return total
    }

    /// The group's last delivered id per stream.
    func lastDelivered(_ stream: StreamName) throws -> String? {
        let groups = try connection.send(RedisCommand("XINFO", "GROUPS", keys.stream(stream))).array ?? []
        for entry in groups {
            let fields = entry.array ?? []
            var info: [String: RESPValue] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { info[fields[index].string ?? ""] = fields[index + 1] }
            if info["name"]?.string == group { return info["last-delivered-id"]?.string }
        }
        return nil
    }

    /// True when every entry of every stream was delivered to the group and acknowledged.
    func isDrained() throws -> Bool {
        for stream in streams {
            let reply = try connection.sendKeepingErrors(RedisCommand("XINFO", "STREAM", keys.stream(stream)))
            guard case .array(let fields) = reply else { continue }  // no such stream: nothing to drain
            var info: [String: RESPValue] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { info[fields[index].string ?? ""] = fields[index + 1] }
            guard let last = info["last-generated-id"]?.string, let delivered = try lastDelivered(stream) else { return false }
            if (info["length"]?.int ?? 0) > 0 && delivered != last { return false }
        }
        return try pending() == 0
    }

    func waitUntilDrained(seconds: Double = 120) async throws {
        let drained = await eventually(seconds: seconds, every: 100) { (try? self.isDrained()) ?? false }
        let stillPending = (try? pending()) ?? -1
        try #require(drained, "not drained: \(stillPending) pending\n\(logs)")
    }

    /// Stops a worker while it holds read-but-unacknowledged messages (checked with XPENDING).
    func stopWhileHolding(_ worker: BaedalProcess, consumer: String) async throws -> Int {
        for _ in 0..<100 {
            worker.signal(SIGSTOP)
            // Stopped for certain (the kernel says so), and whatever it sent before is in Redis's
            // socket: a round trip of this connection lets Redis read it before the count below.
            let stopped = await eventually(seconds: 5, every: 1) { processState(worker.pid) == "T" }
            try #require(stopped, "\(consumer) is stopped (state \(processState(worker.pid) ?? "-"))")
            _ = try connection.send(RedisCommand("PING"))
            let held = try pending(consumer: consumer)
            if held > 0 { return held }
            worker.signal(SIGCONT)
            // Caught between two batches: stop it again once it holds messages again.
            let holding = await eventually(seconds: 10, every: 1) { ((try? self.pending(consumer: consumer)) ?? 0) > 0 }
            if !holding { break }
        }
        Issue.record("\(consumer) never held pending messages")
        return 0
    }

    var logs: String {
        workers.map { "--- \($0.name) (running: \($0.isRunning))\n\($0.log.suffix(4_000))" }.joined(separator: "\n")
    }

    func expectDashboards(_ expected: (food: [String: Int], riders: [String: Int]), sourceLocation: SourceLocation = #_sourceLocation) throws {
        let food = try dashboard("food-orders")
        let riders = try dashboard("rider-deliveries")
        #expect(food == expected.food, "food-orders differs", sourceLocation: sourceLocation)
        #expect(riders == expected.riders, "rider-deliveries differs", sourceLocation: sourceLocation)
        if food != expected.food || riders != expected.riders { print(logs) }
    }
}

/// A process's state as the kernel shows it (`/proc/<pid>/stat`): "R" running, "S" sleeping,
/// "T" stopped by a signal, …; nil once it is gone.
func processState(_ pid: Int32) -> String? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(after: close)...].split(separator: " ").first.map(String.init)
}

/// Compares stream ids (`ms-seq`) as numbers.
func streamId(_ id: String, isAtMost other: String) -> Bool {
    func parts(_ text: String) -> (UInt64, UInt64) {
        let split = text.split(separator: "-")
        return (UInt64(split.first ?? "0") ?? 0, UInt64(split.count > 1 ? split[1] : "0") ?? 0)
    }
    let (a, b) = (parts(id), parts(other))
    return a.0 < b.0 || (a.0 == b.0 && a.1 <= b.1)
}
