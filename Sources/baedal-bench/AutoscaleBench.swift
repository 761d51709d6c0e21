import Autoscaling
import Backbone
import Contract
import Foundation
import Redis

/// `baedal-bench autoscale AUTOSCALER-BIN WORKER-BIN N`: a burst of N `OrderPlaced` events written
/// at once, drained by one fixed projector, then by the projectors of `baedal-autoscaler`
/// (process launcher, MIN 1, MAX 4): the time to MAX instances, the drain time of each, and the
/// time from drained back to MIN. Dashboards checked after each run.
struct AutoscaleBench {
    let autoscaler: String
    let worker: String
    let burst: Int
    let connection: RedisConnection
    let keys: Keys
    let fill: (Int) throws -> Void
    /// The dashboard equals what the first N filled events ordered.
    let exact: (Int) throws -> Bool
    let interval = "0.5"
    let coolDown = 5.0

    func reset() throws {
        _ = try connection.send(RedisCommand("DEL", keys.stream(.order), keys.key("dashboard", "food-orders"), keys.key("autoscaler")))
    }

    func drained() throws -> Bool {
        let stream = keys.stream(.order)
        guard let last = try connection.sendKeepingErrors(RedisCommand("XINFO", "STREAM", stream)).fields["last-generated-id"]?.string else { return false }
        for group in try connection.send(RedisCommand("XINFO", "GROUPS", stream)).array ?? [] where group.fields["name"]?.string == "projector" {
            return group.fields["last-delivered-id"]?.string == last && group.fields["pending"]?.int == 0
        }
        return false
    }

    func view() -> AutoscalerView? {
        guard let text = try? connection.send(RedisCommand("HGET", keys.key("autoscaler"), "projector")).string else { return nil }
        return try? AutoscalerView(json: text)
    }

    func running() -> Int? { view()?.running }

    func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }

    func wait(_ what: String, seconds limit: Double = 600, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(limit)
        while try !condition() {
            guard ContinuousClock.now < deadline else { fail("timed out waiting for \(what)") }
            usleep(5_000)
        }
    }

    func run() throws {
        // One fixed worker, already running when the burst comes.
        try reset()
        let fixed = try startProjector(worker, consumer: "bench-fixed")
        try wait("the fixed worker's group") { (try connection.sendKeepingErrors(RedisCommand("XINFO", "GROUPS", keys.stream(.order))).array?.count ?? 0) > 0 }
        var start = ContinuousClock.now
        try fill(burst)
        try wait("the fixed worker's drain") { try drained() }
        let fixedDrain = ContinuousClock.now - start
        let fixedExact = try exact(burst)
        fixed.terminate()
        fixed.waitUntilExit()

        // The autoscaler, at MIN (one instance) when the burst comes.
        try reset()
        let scaler = Process()
        scaler.executableURL = URL(fileURLWithPath: autoscaler)
        scaler.arguments = ["--launcher", "process", "--worker", worker, "--policy", "projector:1:4", "--lag-per-instance", "5000",
                            "--interval", interval, "--cool-down", String(coolDown), "--metrics-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["BAEDAL_LOG_LEVEL"] = "warning"
        scaler.environment = environment
        scaler.standardError = FileHandle.nullDevice
        try scaler.run()
        try wait("one instance") {
            let groups = try connection.sendKeepingErrors(RedisCommand("XINFO", "GROUPS", keys.stream(.order))).array?.count ?? 0
            return running() == 1 && groups > 0
        }
        start = ContinuousClock.now
        try fill(burst)
        var atMax: Duration?
        var firstUp: Duration?
        var peak = 1
        var peakBacklog = 0
        try wait("the autoscaled drain") {
            let seen = view()
            let now = seen?.running ?? 0
            peak = max(peak, now)
            peakBacklog = max(peakBacklog, seen?.backlog ?? 0)
            if now > 1 && firstUp == nil { firstUp = ContinuousClock.now - start }
            if now == 4 && atMax == nil { atMax = ContinuousClock.now - start }
            return try drained()
        }
        let scaledDrain = ContinuousClock.now - start
        let drainedAt = ContinuousClock.now
        try wait("back to one instance") {
            let now = running() ?? 0
            if now == 4 && atMax == nil { atMax = ContinuousClock.now - start }
            return now == 1
        }
        let backToMin = ContinuousClock.now - drainedAt
        let scaledExact = try exact(burst)
        scaler.terminate()
        scaler.waitUntilExit()

        print(String(format: "autoscale   burst of %d events: 1 fixed worker drains it in %.2f s (dashboards exact: %@)", burst, seconds(fixedDrain),
                     fixedExact ? "yes" : "NO"))
        func after(_ duration: Duration?) -> String { duration.map { String(format: "%.2f s", seconds($0)) } ?? "never" }
        print(String(format: "autoscale   baedal-autoscaler (interval %@ s, cool-down %.0f s, 5000 per instance, 1…4): drained in %.2f s (fixed / autoscaled = %.2f); largest backlog seen %d; more than 1 instance after %@, MAX (4) after %@, peak %d; back to MIN %.2f s after drained (dashboards exact: %@)",
                     interval, coolDown, seconds(scaledDrain), seconds(fixedDrain) / seconds(scaledDrain), peakBacklog, after(firstUp),
                     after(atMax), peak, seconds(backToMin), scaledExact ? "yes" : "NO"))
    }
}
