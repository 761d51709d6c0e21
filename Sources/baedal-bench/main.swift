import ArgumentParser
import Backbone
import Contract
import Daemon
import Foundation
import Redis

/// `make bench`'s load generator and stopwatch (`BenchCommand`: `baedal-bench --help`).

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("baedal-bench: \(message)\n".utf8))
    exit(2)
}

let command = BenchCommand.parseCommandLineAsRoot()
if !BenchCommand.configuration.subcommands.contains(where: { ObjectIdentifier($0) == ObjectIdentifier(type(of: command)) }) {
    guard command is BenchCommand else {  // `baedal-bench help [SUBCOMMAND]`: its run() asks for the help screen
        var help = command
        do { try help.run() } catch { BenchCommand.exitOnCommandLineError(error) }
        exit(0)
    }
    BenchCommand.exitOnCommandLineError(ValidationError("a measurement is needed: fill, drain, restarts, autoscale, flow, tokens or life (see --help)"))
}
// Tokens are verified in this process alone: no Redis.
if let command = command as? BenchCommand.Tokens {
    do { try await TokenBench(rounds: command.rounds, verificationsPerRound: command.verifications).run() } catch { fail("tokens: \(error)") }
    exit(0)
}
let environment: BaedalEnvironment
do { environment = try BaedalEnvironment() } catch { fail(error.description) }
let keys = environment.keys
// fill, drain and autoscale work on the one untagged stream of a single Redis (the streams that
// `environment.keys` names); with partitions no worker would read them.
if command is BenchCommand.Fill || command is BenchCommand.Drain || command is BenchCommand.Autoscale, environment.keySpace.tagged {
    fail("fill, drain and autoscale measure one untagged partition on a single Redis: run them without BAEDAL_PARTITIONS and on redis://")
}
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
            return RedisCommand(["XADD", stream, "*", "type", EventType.orderPlaced.rawValue, "orderId", "o-\(i)", "at", "1700000000000", "data", data])
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
    // A fresh start: no group, none of its records (a group recreated over its recorded watermark would
    // rightly skip what it already applied), no dashboards.
    _ = try connection.sendKeepingErrors(RedisCommand("XGROUP", "DESTROY", stream, "projector"))
    _ = try connection.send(RedisCommand("DEL", keys.groupPositions("projector"), keys.groupApplied("projector", stream: stream),
                                         keys.retryBook("projector"), keys.key("dashboard", "food-orders"), keys.key("dashboard", "rider-deliveries")))
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

do {
    switch command {
    case let command as BenchCommand.Fill:
        try fill(command.count)
    case let command as BenchCommand.Drain:
        try drain(workers: command.workers, binary: command.worker)
    case let command as BenchCommand.Restarts:
        let token = ProcessInfo.processInfo.environment["BENCH_TOKEN"] ?? ""
        guard !token.isEmpty else { fail("restarts: BENCH_TOKEN must hold a customer's token") }
        let quiet = Int(ProcessInfo.processInfo.environment["QUIET_SECONDS"] ?? "") ?? 60
        let bench = RestartBench(apiBinary: command.api, token: token, clients: 8, quiet: .seconds(quiet), between: .seconds(4))
        let answered = try await bench.run()
        let placed = try connection.send(RedisCommand("XLEN", keys.stream(.order))).int ?? 0
        print("check       \(answered) requests answered 2xx, \(placed) OrderPlaced on the stream: "
              + (answered == placed ? "every 2xx is an order, and no order lacks one" : "MISMATCH"))
    case let command as BenchCommand.Autoscale:
        try AutoscaleBench(autoscaler: command.autoscaler, worker: command.worker, burst: command.burst, connection: connection, keys: keys,
                           fill: fill, exact: dashboardIsExact).run()
    case let command as BenchCommand.Flow:
        try FlowLatency(rate: command.rate, seconds: command.seconds, port: command.port, token: command.token, customer: command.customer,
                        keys: keys, redis: environment.redis).run()
    case let command as BenchCommand.Life:
        var options = OrderLifeBench.Options(
            port: command.port,
            baedalctl: command.baedalctl ?? URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
                .deletingLastPathComponent().appendingPathComponent("baedalctl").path)
        options.orders = command.orders
        options.concurrency = command.concurrency
        options.mode = OrderLifeBench.Mode(rawValue: command.mode) ?? .both
        options.warmup = command.warmup ?? -1
        options.idleSeconds = command.idleSeconds
        options.pingMicros = command.pingUs
        options.pids = command.pid.map { entry in
            let parts = entry.split(separator: "=")
            return (String(parts[0]), Int32(parts[1]) ?? 0)
        }
        options.riders = command.riders
        options.reads = command.reads
        options.slowlog = command.slowlog
        options.label = command.label
        options.top = command.top
        options.rate = command.rate
        try OrderLifeBench(options: options, keys: keys, redis: connection).run()
    default:
        fail("\(type(of: command)) has no measurement")
    }
} catch {
    fail("\(error)")
}
