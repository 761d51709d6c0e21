import Backbone
import Daemon
import Foundation
import Redis

/// `make bench`'s load generator and stopwatch.
///   baedal-bench fill N              append N OrderPlaced events to baedal:events:order (pipelined)
///   baedal-bench drain K WORKER-BIN  run K projector processes from a fresh group until drained
///   baedal-bench restarts API-BIN    POST /orders while the API restarts (RestartBench)
///   baedal-bench autoscale AUTOSCALER-BIN WORKER-BIN N   a burst of N events, 1 fixed worker vs the autoscaler (AutoscaleBench)
///   baedal-bench flow RATE SECONDS API-PORT TOKEN CUSTOMER
///                                    POST /orders at a fixed rate (open loop); the lag from each 201
///                                    to the order on the store's board, my page and the dashboard
/// Settings from BAEDAL_REDIS_URL and BAEDAL_PREFIX, as every Baedal process.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("baedal-bench: \(message)\n".utf8))
    exit(2)
}

let environment: BaedalEnvironment
do { environment = try BaedalEnvironment() } catch { fail(error.description) }
let keys = environment.keys
let connection: RedisConnection
do { connection = try RedisConnection(configuration: environment.redis) } catch { fail("\(error)") }

let foods = (0..<50).map { "food-\($0)" }

/// Order i has 2 items: foods[i % 50] x (1 + i % 3) and foods[(i * 7) % 50] x 1.
func items(_ i: Int) -> [(String, Int)] { [(foods[i % 50], 1 + i % 3), (foods[(i * 7) % 50], 1)] }

func fill(_ count: Int) throws {
    let started = Date()
    let stream = keys.stream(.order)
    for chunk in stride(from: 0, to: count, by: 2_000) {
        let commands = (chunk..<min(chunk + 2_000, count)).map { i -> RedisCommand in
            let json = items(i).map { #"{"foodId":"\#($0.0)","qty":\#($0.1),"price":9000}"# }.joined(separator: ",")
            let data = #"{"orderId":"o-\#(i)","customerId":"c-\#(i % 1000)","storeId":"s-\#(i % 100)","items":[\#(json)],"amount":27000,"region":"gangnam","address":"1 Teheran-ro","paymentId":"p-\#(i)"}"#
            return RedisCommand(["XADD", stream, "*", "type", "OrderPlaced", "orderId", "o-\(i)", "at", "1700000000000", "data", data])
        }
        for reply in try connection.pipelineKeepingErrors(commands) where reply.serverError != nil { fail("XADD failed: \(reply)") }
    }
    let seconds = Date().timeIntervalSince(started)
    print(String(format: "filled      %d OrderPlaced events in %.2f s (%.0f/s)", count, seconds, Double(count) / seconds))
}

func groupInfo(_ stream: String) throws -> [String: RESPValue] {
    for entry in try connection.send(RedisCommand("XINFO", "GROUPS", stream)).array ?? [] {
        let info = entry.fields
        if info["name"]?.string == "projector" { return info }
    }
    return [:]
}

func peakRSSKilobytes(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// A `baedal-worker projector` process named `consumer`, logging warnings only.
func startProjector(_ binary: String, consumer: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["projector"]
    var environment = ProcessInfo.processInfo.environment
    environment["BAEDAL_CONSUMER"] = consumer
    environment["BAEDAL_LOG_LEVEL"] = "warning"
    process.environment = environment
    try process.run()
    return process
}

/// The food dashboard equals what the first `events` filled events ordered.
func dashboardIsExact(events: Int) throws -> Bool {
    var expected: [String: Int] = [:]
    for i in 0..<events { for (food, qty) in items(i) { expected[food, default: 0] += qty } }
    var actual: [String: Int] = [:]
    for (food, units) in try connection.send(RedisCommand("HGETALL", keys.key("dashboard", "food-orders"))).pairs {
        actual[food.string ?? ""] = units.int
    }
    return actual == expected
}

func drain(workers: Int, binary: String) throws {
    let stream = keys.stream(.order)
    let length = try connection.send(RedisCommand("XLEN", stream)).int ?? 0
    guard length > 0 else { fail("\(stream) is empty: run 'baedal-bench fill N' first") }
    // A fresh start: no group, no dashboards.
    _ = try connection.sendKeepingErrors(RedisCommand("XGROUP", "DESTROY", stream, "projector"))
    _ = try connection.send(RedisCommand("DEL", keys.key("dashboard", "food-orders"), keys.key("dashboard", "rider-deliveries")))
    let lastId = try connection.send(RedisCommand("XINFO", "STREAM", stream)).fields["last-generated-id"]?.string ?? ""

    let started = Date()
    var processes: [Process] = []
    for index in 1...workers {
        processes.append(try startProjector(binary, consumer: "bench-\(index)"))
    }
    var peak = 0
    while true {
        let info = try groupInfo(stream)
        for process in processes { peak = max(peak, peakRSSKilobytes(process.processIdentifier)) }
        if info["last-delivered-id"]?.string == lastId && info["pending"]?.int == 0 { break }
        if processes.contains(where: { !$0.isRunning }) { fail("a worker exited early") }
        usleep(5_000)
    }
    let seconds = Date().timeIntervalSince(started)
    for process in processes { peak = max(peak, peakRSSKilobytes(process.processIdentifier)) }
    for process in processes { process.terminate() }
    for process in processes { process.waitUntilExit() }

    // The figures mean nothing if the counts are wrong.
    let exact = try dashboardIsExact(events: length)
    print(String(format: "drain       %d worker process%@: %d events in %.2f s = %.0f events/s; peak RSS %.1f MB per process (max); dashboards exact: %@",
                 workers, workers == 1 ? "" : "es", length, seconds, Double(length) / seconds, Double(peak) / 1024, exact ? "yes" : "NO"))
    if !exact { fail("dashboards differ from the events: the figures above are void") }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch (arguments.first, arguments.count) {
    case ("fill", 2):
        guard let count = Int(arguments[1]), count > 0 else { fail("fill N: N must be a positive number") }
        try fill(count)
    case ("drain", 3):
        guard let workers = Int(arguments[1]), workers > 0 else { fail("drain K BIN: K must be a positive number") }
        try drain(workers: workers, binary: arguments[2])
    case ("restarts", 2):
        let token = ProcessInfo.processInfo.environment["BENCH_TOKEN"] ?? ""
        guard !token.isEmpty else { fail("restarts: BENCH_TOKEN must hold a customer's token") }
        let quiet = Int(ProcessInfo.processInfo.environment["QUIET_SECONDS"] ?? "") ?? 60
        let bench = RestartBench(apiBinary: arguments[1], token: token, clients: 8, quiet: .seconds(quiet), between: .seconds(4))
        let answered = try await bench.run()
        let placed = try connection.send(RedisCommand("XLEN", keys.stream(.order))).int ?? 0
        print("check       \(answered) requests answered 2xx, \(placed) OrderPlaced on the stream: "
              + (answered == placed ? "every 2xx is an order, and no order lacks one" : "MISMATCH"))
    case ("autoscale", 4):
        guard let burst = Int(arguments[3]), burst > 0 else { fail("autoscale A W N: N must be a positive number") }
        try AutoscaleBench(autoscaler: arguments[1], worker: arguments[2], burst: burst, connection: connection, keys: keys, fill: fill,
                           exact: dashboardIsExact).run()
    case ("flow", 6):
        guard let rate = Int(arguments[1]), rate > 0, let seconds = Int(arguments[2]), seconds > 0, let port = Int(arguments[3]) else {
            fail("flow RATE SECONDS API-PORT TOKEN CUSTOMER: RATE, SECONDS and API-PORT must be positive numbers")
        }
        try FlowLatency(rate: rate, seconds: seconds, port: port, token: arguments[4], customer: arguments[5], keys: keys,
                        redis: environment.redis).run()
    default:
        fail("usage: baedal-bench fill N | drain K WORKER-BINARY | restarts API-BINARY | autoscale AUTOSCALER-BINARY WORKER-BINARY N | flow RATE SECONDS API-PORT TOKEN CUSTOMER")
    }
} catch {
    fail("\(error)")
}
