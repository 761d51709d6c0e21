import Daemon
import Foundation
import HTTPLite
import Synchronization

/// `baedal-bench restarts API-BIN`: availability and latency of `POST /orders` while the API is
/// restarted three times under load, with its listening socket held here and handed to each new
/// instance as systemd does (`LISTEN_FDS`), then the same without the handover (each instance
/// binds its own port), beside a quiet period without restarts. Every request is a new
/// connection with its own Idempotency-Key (as siege's default). The payment gateway and Redis
/// come from the environment (`BAEDAL_*`, set by scripts/bench-restarts.sh); `BENCH_TOKEN` is a
/// customer's token.
struct RestartBench {
    struct Sample: Sendable {
        var started: ContinuousClock.Instant
        var latency: Duration
        var status: Int?
        var orderId: String?
    }

    let apiBinary: String
    let token: String
    let clients: Int
    let quiet: Duration
    let between: Duration

    /// A load of `clients` loops against `port` until `stop()`.
    final class Load: Sendable {
        let samples = Mutex<[Sample]>([])
        let stopping = Atomic<Bool>(false)
        let counter = Atomic<Int>(0)
        private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

        init(port: Int, token: String, clients: Int, label: String) {
            let body = Array(#"{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":1},{"foodId":"cola","qty":2}],"region":"gangnam","address":"서울 강남구 테헤란로 1"}"#.utf8)
            let started = (0..<clients).map { client in
                Task {
                    while !self.stopping.load(ordering: .relaxed) {
                        let number = self.counter.add(1, ordering: .relaxed).newValue
                        let begin = ContinuousClock.now
                        var sample = Sample(started: begin, latency: .zero)
                        if let response = try? await HTTPLite.send(
                            "POST", "http://127.0.0.1:\(port)/orders",
                            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                                      ("Idempotency-Key", "\(label)-\(client)-\(number)")],
                            body: body, timeout: .seconds(30)) {
                            sample.status = response.status
                            sample.orderId = RestartBench.orderId(in: response.text)
                        }
                        sample.latency = ContinuousClock.now - begin
                        self.samples.withLock { $0.append(sample) }
                    }
                }
            }
            tasks.withLock { $0 = started }
        }

        func stop() async -> [Sample] {
            stopping.store(true, ordering: .relaxed)
            for task in tasks.withLock({ $0 }) { await task.value }
            return samples.withLock { $0 }
        }
    }

    static func orderId(in json: String) -> String? {
        guard let range = json.range(of: #""orderId":""#) else { return nil }
        let rest = json[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// A listening socket on 127.0.0.1 that this process holds, as systemd would.
    static func holdSocket() -> (descriptor: Int32, port: Int) {
        do {
            return try HTTPLite.listen(host: "127.0.0.1", port: 0, backlog: 4096)
        } catch {
            fail("cannot hold a listening socket: \(error)")
        }
    }

    /// Starts the API: on the held socket (descriptor 3, `LISTEN_FDS=1`, `LISTEN_PID` its pid) or on `port`.
    func startAPI(socket: Int32?, port: Int) throws -> Process {
        let process = Process()
        var environment = ProcessInfo.processInfo.environment
        environment["BAEDAL_API_PORT"] = String(port)
        process.environment = environment
        if let socket {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", #"exec 3<&0 0</dev/null; LISTEN_FDS=1 LISTEN_PID=$$; export LISTEN_FDS LISTEN_PID; exec "$0""#, apiBinary]
            process.standardInput = FileHandle(fileDescriptor: socket, closeOnDealloc: false)
        } else {
            process.executableURL = URL(fileURLWithPath: apiBinary)
        }
        try process.run()
        return process
    }

    func waitReady(port: Int) async {
        for _ in 0..<600 {
            if (try? await HTTPLite.send("GET", "http://127.0.0.1:\(port)/health/ready", timeout: .seconds(5)))?.status == 200 { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
        fail("the API did not become ready on \(port)")
    }

    /// Three restarts under load; the samples and, per restart, when it began (SIGTERM) and when
    /// the next instance answered its readiness check.
    func restarts(socket: Int32?, port: Int, label: String) async throws -> (samples: [Sample], windows: [(ContinuousClock.Instant, ContinuousClock.Instant)]) {
        var api = try startAPI(socket: socket, port: port)
        await waitReady(port: port)
        let load = Load(port: port, token: token, clients: clients, label: label)
        var windows: [(ContinuousClock.Instant, ContinuousClock.Instant)] = []
        for _ in 0..<3 {
            try await Task.sleep(for: between)
            let began = ContinuousClock.now
            kill(api.processIdentifier, SIGTERM)
            api.waitUntilExit()
            if api.terminationStatus != 0 { print("restart     the API exited \(api.terminationStatus) after SIGTERM") }
            api = try startAPI(socket: socket, port: port)
            await waitReady(port: port)
            windows.append((began, ContinuousClock.now))
        }
        try await Task.sleep(for: between)
        let samples = await load.stop()
        kill(api.processIdentifier, SIGTERM)
        api.waitUntilExit()
        return (samples, windows)
    }

    /// Prints the figures; returns how many requests were answered 2xx in all.
    func run() async throws -> Int {
        let held = Self.holdSocket()
        // Quiet: the same load, no restart.
        let api = try startAPI(socket: held.descriptor, port: held.port)
        await waitReady(port: held.port)
        let quietLoad = Load(port: held.port, token: token, clients: clients, label: "quiet")
        try await Task.sleep(for: quiet)
        let quietSamples = await quietLoad.stop()
        kill(api.processIdentifier, SIGTERM)
        api.waitUntilExit()

        let handed = try await restarts(socket: held.descriptor, port: held.port, label: "handover")
        close(held.descriptor)
        let ownPort = Self.holdSocket()
        close(ownPort.descriptor)  // a free port for instances that bind their own
        let bound = try await restarts(socket: nil, port: ownPort.port, label: "bound")

        func ms(_ duration: Duration) -> Double { Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15 }
        func percentile(_ samples: [Sample], _ p: Double) -> Double {
            let sorted = samples.map { ms($0.latency) }.sorted()
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        func availability(_ samples: [Sample]) -> (ok: Int, total: Int, percent: Double) {
            let ok = samples.filter { ($0.status ?? 0) / 100 == 2 }.count
            return (ok, samples.count, samples.isEmpty ? 0 : 100 * Double(ok) / Double(samples.count))
        }
        func during(_ samples: [Sample], _ windows: [(ContinuousClock.Instant, ContinuousClock.Instant)]) -> [Sample] {
            samples.filter { sample in windows.contains { sample.started >= $0.0 && sample.started <= $0.1 + .seconds(1) } }
        }
        let quietSeconds = Double(quiet.milliseconds) / 1000
        let q = availability(quietSamples)
        print(String(format: "quiet       %.0f s, %d clients, a new connection per request: %d requests, %.0f/s, %.2f%% 2xx, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     quietSeconds, clients, q.total, Double(q.total) / quietSeconds, q.percent, percentile(quietSamples, 0.5),
                     percentile(quietSamples, 0.99), percentile(quietSamples, 1)))
        for (name, run) in [("socket held", handed), ("no handover", bound)] {
            let a = availability(run.samples)
            let inWindows = during(run.samples, run.windows)
            let gaps = run.windows.map { String(format: "%.0f", ms($0.1 - $0.0)) }.joined(separator: ", ")
            print(String(format: "restarts    %@: %d of %d requests 2xx = %.2f%% availability over 3 restarts; during the restarts (SIGTERM → next instance ready + 1 s, %d requests) p99 %.1f ms, max %.1f ms; restart took %@ ms",
                         name, a.ok, a.total, a.percent, inWindows.count, percentile(inWindows, 0.99), percentile(inWindows, 1), gaps))
        }
        return [quietSamples, handed.samples, bound.samples].map { availability($0).ok }.reduce(0, +)
    }
}
