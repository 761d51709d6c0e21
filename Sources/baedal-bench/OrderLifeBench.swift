import Contract
import Foundation
import Redis
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `baedal-bench life API-PORT`: what a whole order life costs Redis (issue 20's unit of cost).
///
/// C threads act as C customers, each with one keep-alive connection to the API, and as the
/// owners of the seeded stores and riders of their regions acting on those customers' orders:
/// `POST /orders` → accept → start-cooking → finish-cooking → pick → deliver → confirm, one life
/// after another until N lives were driven. Then it waits until every consumer group has read
/// everything and holds nothing pending (the policies' handling is part of the cost).
///
/// Redis's CPU is read from `INFO cpu` (`used_cpu_user + used_cpu_sys`) before and after each
/// phase, the idle cost of the same stack over the same time (measured first, workers running)
/// is subtracted, and the rest divided by the orders. `CONFIG RESETSTAT` starts each phase;
/// `INFO commandstats` after it says which commands spent the CPU (a script's inner commands
/// are counted again under their own names, so the table's sum exceeds the total). With
/// `--ping-us` (an unpipelined PING's Redis CPU, measured by the caller) every figure is also
/// given in PINGs. Processes named with `--pid NAME=PID` get their CPU per order from /proc.
/// `--slowlog` (diagnosis only: it costs Redis CPU) logs every command and attributes the
/// script calls to the commit script, the gateway's and each group's apply script, with the
/// batches each group read and applied. Figures are printed, never asserted; the `result` and
/// `process` lines are for scripts/bench-cost.sh to gather.
final class OrderLifeBench: @unchecked Sendable {
    enum Mode: String, CaseIterable, Sendable {
        case life, place, both
    }

    struct Options {
        var port: Int
        var baedalctl: String
        var orders = 1_200
        var concurrency = 48
        var mode = Mode.both
        var warmup = -1
        var idleSeconds = 10.0
        var pingMicros: Double?
        var pids: [(name: String, pid: Int32)] = []
        var riders = 4
        var reads = 0
        var slowlog = false
        var label = ""
        var top = 14
        /// Lives started per second (open loop, at most C at once); 0: back to back (closed loop).
        var rate = 0
    }

    struct Store {
        var storeId: String
        var region: String
        var foods: [String]
    }

    /// The steps of a whole life, in order, with who takes each.
    enum Step: Int, CaseIterable {
        case place, accept, startCooking, finishCooking, pick, deliver, confirm

        var name: String { ["place", "accept", "start-cooking", "finish-cooking", "pick", "deliver", "confirm"][rawValue] }

        func path(_ orderId: String) -> String {
            switch self {
            case .place: "/orders"
            case .accept, .startCooking, .finishCooking, .confirm: "/orders/\(orderId)/\(name)"
            case .pick, .deliver: "/deliveries/\(orderId)/\(name)"
            }
        }
    }

    let options: Options
    let keys: Keys
    let redis: RedisConnection
    private var stores: [Store] = []
    private var customerTokens: [String] = []
    private var ownerTokens: [String: String] = [:]
    private var riderTokens: [String: [String]] = [:]
    /// Orders driven to the end, for the read phases: (orderId, customer index).
    private let completed = Mutex<[(String, Int)]>([])
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    init(options: Options, keys: Keys, redis: RedisConnection) {
        self.options = options
        self.keys = keys
        self.redis = redis
    }

    // MARK: - The run

    func run() throws {
        try prepare()
        let c = options.concurrency
        let tag = options.label.isEmpty ? "" : " [\(options.label)]"
        print("life        C=\(c)\(tag): \(options.orders) orders per phase\(options.rate > 0 ? " started at \(options.rate)/s (open loop)" : " back to back"), \(stores.count) stores (\(stores.map(\.storeId).joined(separator: ", "))), "
              + "\(riderTokens.values.map(\.count).reduce(0, +)) riders, gateway latency as configured; policies running: \(try groupNames().joined(separator: ", "))")
        // Warm-up: connections opened, caches and allocators warm, the groups created; not counted.
        let warmup = options.warmup >= 0 ? options.warmup : 2 * c
        if warmup > 0 {
            let outcome = drive(lives: warmup, upTo: .confirm)
            if outcome.failures > 0 { fail("warm-up: \(outcome.failures) lives failed: \(outcome.firstProblem ?? "")") }
            _ = try waitDrained()
        }
        let idle = try measureIdle()
        if options.mode != .place { try phase("life", lives: options.orders, upTo: .confirm, idle: idle) }
        if options.mode != .life { try phase("place", lives: options.orders, upTo: .place, idle: idle) }
        if options.reads > 0 { try readPhases(idle: idle) }
    }

    /// Tokens (minted by `baedalctl token`) and the seeded stores with their menus (`GET /stores`).
    private func prepare() throws {
        let probe = BenchHTTPConnection(port: options.port)
        let listed = try probe.exchange(request("GET", "/stores", token: nil))
        guard listed.status == 200, let list = try JSONSerialization.jsonObject(with: Data(listed.body)) as? [[String: Any]] else {
            throw BenchFailure("GET /stores answered \(listed.status)")
        }
        for entry in list {
            guard let storeId = entry["storeId"] as? String, let region = entry["region"] as? String else { continue }
            let menu = try probe.exchange(request("GET", "/stores/\(storeId)/menu", token: nil))
            let items = (try? JSONSerialization.jsonObject(with: Data(menu.body)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
            let foods = items.compactMap { $0["foodId"] as? String }
            if menu.status == 200 && !foods.isEmpty { stores.append(Store(storeId: storeId, region: region, foods: foods)) }
        }
        stores.sort { $0.storeId < $1.storeId }
        guard !stores.isEmpty else { throw BenchFailure("no store with a menu: run 'baedalctl seed' first") }
        customerTokens = try (0..<options.concurrency).map { try token(role: "customer", sub: "life-customer-\($0)") }
        for store in stores { ownerTokens[store.storeId] = try token(role: "owner", sub: "life-owner-\(store.storeId)", store: store.storeId) }
        for region in Set(stores.map(\.region)) {
            riderTokens[region] = try (0..<options.riders).map { try token(role: "rider", sub: "life-rider-\(region)-\($0)") }
        }
    }

    private func token(role: String, sub: String, store: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: options.baedalctl)
        process.arguments = ["token", "--role", role, "--sub", sub] + (store.map { ["--store", $0] } ?? [])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !token.isEmpty else { throw BenchFailure("baedalctl token --role \(role) failed") }
        return token
    }

    private func request(_ method: String, _ path: String, token: String?, body: String = "") -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(options.port)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if !body.isEmpty { head += "Content-Type: application/json\r\n" }
        if method != "GET" { head += "Content-Length: \(body.utf8.count)\r\n" }
        return Array((head + "\r\n" + body).utf8)
    }

    // MARK: - Driving lives

    struct Outcome {
        var lives = 0
        var requests = 0
        var failures = 0
        var firstProblem: String?
        var seconds = 0.0
        /// Answer times per step, microseconds.
        var latencies: [[Int]] = Array(repeating: [], count: Step.allCases.count)
    }

    /// N lives over C threads, each life taken to `upTo` (inclusive), back to back.
    func drive(lives: Int, upTo last: Step, keep: Bool = false) -> Outcome {
        let next = Atomic<Int>(0)
        let results = Mutex(Outcome())
        let started = ContinuousClock.now
        let threads = min(options.concurrency, lives)
        let done = DispatchSemaphore(value: 0)
        // With a rate, life i starts at i / rate (or as soon as one of the C actors is free).
        let schedule = options.rate > 0 ? OpenLoop(total: lives, rate: options.rate, start: .now + .milliseconds(20)) : nil
        if let schedule { Thread { schedule.run() }.start() }
        for thread in 0..<threads {
            Thread { [self] in
                let connection = BenchHTTPConnection(port: options.port)
                var mine = Outcome()
                var kept: [(String, Int)] = []
                while true {
                    let index: Int
                    if let schedule {
                        guard let (due, _) = schedule.next() else { break }
                        index = due
                    } else {
                        index = next.add(1, ordering: .relaxed).oldValue
                        if index >= lives { break }
                    }
                    let store = stores[index % stores.count]
                    let riders = riderTokens[store.region] ?? []
                    let customer = customerTokens[thread]
                    let first = store.foods[index % store.foods.count], second = store.foods[(index / store.foods.count + 1) % store.foods.count]
                    let body = #"{"storeId":"\#(store.storeId)","items":[{"foodId":"\#(first)","qty":\#(1 + index % 2)},{"foodId":"\#(second)","qty":1}],"#
                        + #""region":"\#(store.region)","address":"서울 \#(store.region) 테헤란로 \#(index)"}"#
                    var orderId = ""
                    var ok = true
                    for step in Step.allCases where step.rawValue <= last.rawValue {
                        let token: String
                        switch step {
                        case .place, .confirm: token = customer
                        case .accept, .startCooking, .finishCooking: token = ownerTokens[store.storeId] ?? ""
                        case .pick, .deliver: token = riders[thread % max(1, riders.count)]
                        }
                        let bytes = request("POST", step.path(orderId), token: token, body: step == .place ? body : "")
                        let sent = ContinuousClock.now
                        mine.requests += 1
                        guard let answer = try? connection.exchange(bytes) else {
                            ok = false
                            mine.firstProblem = mine.firstProblem ?? "\(step.name): no answer"
                            break
                        }
                        mine.latencies[step.rawValue].append(Int((ContinuousClock.now - sent) / .microseconds(1)))
                        let expected = step == .place ? 201 : 200
                        if answer.status != expected {
                            ok = false
                            mine.firstProblem = mine.firstProblem ?? "\(step.name) answered \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))"
                            break
                        }
                        if step == .place {
                            guard let id = FlowLatency.orderId(in: answer.body) else {
                                ok = false
                                mine.firstProblem = mine.firstProblem ?? "place: no orderId in the answer"
                                break
                            }
                            orderId = id
                        }
                    }
                    if ok { mine.lives += 1 } else { mine.failures += 1 }
                    if ok && keep { kept.append((orderId, thread)) }
                }
                results.withLock { total in
                    total.lives += mine.lives
                    total.requests += mine.requests
                    total.failures += mine.failures
                    total.firstProblem = total.firstProblem ?? mine.firstProblem
                    for step in 0..<total.latencies.count { total.latencies[step] += mine.latencies[step] }
                }
                if keep { completed.withLock { $0 += kept } }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        var outcome = results.withLock { $0 }
        outcome.seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        return outcome
    }

    // MARK: - Redis's side

    /// `used_cpu_user + used_cpu_sys`, seconds.
    func redisCPU() throws -> Double {
        let text = try redis.send(RedisCommand("INFO", "cpu")).string ?? ""
        var total = 0.0
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("used_cpu_user:") || line.hasPrefix("used_cpu_sys:") {
            total += Double(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return total
    }

    struct CommandStat {
        var name: String
        var calls: Int
        var usec: Int
    }

    func commandStats() throws -> [CommandStat] {
        let text = try redis.send(RedisCommand("INFO", "commandstats")).string ?? ""
        var stats: [CommandStat] = []
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let parts = line.dropFirst(8).split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            var fields: [Substring: Int] = [:]
            for pair in parts[1].split(separator: ",") {
                let kv = pair.split(separator: "=")
                if kv.count == 2 { fields[kv[0]] = Int(Double(kv[1]) ?? 0) }
            }
            stats.append(CommandStat(name: String(parts[0]), calls: fields["calls"] ?? 0, usec: fields["usec"] ?? 0))
        }
        return stats.sorted { $0.usec > $1.usec }
    }

    /// CPU seconds (user + system) of a process, from /proc.
    func processCPU(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command's ")": state is field 3, utime 14 and stime 15 of stat(5).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// The event streams and, per stream, each group's entries read and pending.
    struct GroupState {
        var stream: String
        var group: String
        var entriesRead: Int
        var pending: Int
        var lastDelivered: String
    }

    private var streams: [String] { StreamName.allCases.map { keys.stream($0) } }

    func groupStates() throws -> (groups: [GroupState], lastIds: [String: String]) {
        var commands: [RedisCommand] = []
        for stream in streams {
            commands.append(RedisCommand("XINFO", "STREAM", stream))
            commands.append(RedisCommand("XINFO", "GROUPS", stream))
        }
        let replies = try redis.pipelineKeepingErrors(commands)
        var groups: [GroupState] = []
        var lastIds: [String: String] = [:]
        for (index, stream) in streams.enumerated() {
            let info = replies[2 * index], list = replies[2 * index + 1]
            if info.serverError != nil { continue }
            lastIds[stream] = info.fields["last-generated-id"]?.string ?? "0-0"
            for entry in list.array ?? [] {
                let fields = entry.fields
                groups.append(GroupState(stream: stream, group: fields["name"]?.string ?? "?", entriesRead: fields["entries-read"]?.int ?? 0,
                                         pending: fields["pending"]?.int ?? 0, lastDelivered: fields["last-delivered-id"]?.string ?? ""))
            }
        }
        return (groups, lastIds)
    }

    func groupNames() throws -> [String] {
        Array(Set(try groupStates().groups.map(\.group))).sorted()
    }

    /// Waits until every group of every stream has read up to the stream's end and has nothing
    /// pending; returns the seconds it took. Polls every 20 ms (its XINFO calls show in the
    /// commandstats; they cost a few µs each).
    func waitDrained(timeout: Double = 120) throws -> Double {
        let started = ContinuousClock.now
        while true {
            let (groups, lastIds) = try groupStates()
            if groups.allSatisfy({ $0.pending == 0 && $0.lastDelivered == lastIds[$0.stream] }) {
                return Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
            }
            if Double((ContinuousClock.now - started) / .milliseconds(1)) > timeout * 1000 {
                let behind = groups.filter { $0.pending > 0 || $0.lastDelivered != lastIds[$0.stream] }
                throw BenchFailure("not drained after \(Int(timeout)) s: " + behind.map { "\($0.group) on \($0.stream) pending \($0.pending)" }.joined(separator: "; "))
            }
            usleep(20_000)
        }
    }

    // MARK: - Phases

    struct Idle {
        var seconds: Double
        var redisPerSecond: Double
        var processesPerSecond: [String: Double]
    }

    /// The stack doing nothing (workers running, blocked in their reads): its Redis CPU per second.
    func measureIdle() throws -> Idle {
        guard options.idleSeconds > 0 else { return Idle(seconds: 0, redisPerSecond: 0, processesPerSecond: [:]) }
        _ = try redis.send(RedisCommand("CONFIG", "RESETSTAT"))
        let before = try redisCPU(), processesBefore = options.pids.map { processCPU($0.pid) }
        let started = ContinuousClock.now
        usleep(UInt32(options.idleSeconds * 1e6))
        let after = try redisCPU(), processesAfter = options.pids.map { processCPU($0.pid) }
        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        let stats = try commandStats()
        let perSecond = (after - before) / seconds
        var processes: [String: Double] = [:]
        for (index, process) in options.pids.enumerated() { processes[process.name] = (processesAfter[index] - processesBefore[index]) / seconds }
        print(String(format: "idle        %.1f s: Redis %.0f µs of CPU per second%@; commands per second: %@", seconds, perSecond * 1e6,
                     pings(perSecond * 1e6).map { " (\($0) PINGs)" } ?? "",
                     stats.prefix(8).map { String(format: "%@ %.2f (%.0f µs)", $0.name, Double($0.calls) / seconds, Double($0.usec) / seconds) }
                        .joined(separator: ", ")))
        print("result      kind=idle c=\(options.concurrency) label=\(options.label.isEmpty ? "-" : options.label) "
              + String(format: "seconds=%.2f redis_us=%.1f ping_us=%.3f", seconds, perSecond * 1e6, options.pingMicros ?? 0))
        return Idle(seconds: seconds, redisPerSecond: perSecond, processesPerSecond: processes)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func pings(_ micros: Double) -> String? {
        guard let ping = options.pingMicros, ping > 0 else { return nil }
        return String(format: "%.0f", micros / ping)
    }

    private func phase(_ name: String, lives: Int, upTo last: Step, idle: Idle) throws {
        if options.slowlog {
            _ = try redis.send(RedisCommand("CONFIG", "SET", "slowlog-log-slower-than", "0"))
            _ = try redis.send(RedisCommand("CONFIG", "SET", "slowlog-max-len", "1000000"))
            _ = try redis.send(RedisCommand("SLOWLOG", "RESET"))
        }
        let groupsBefore = try groupStates().groups
        _ = try redis.send(RedisCommand("CONFIG", "RESETSTAT"))
        let before = try redisCPU(), processesBefore = options.pids.map { processCPU($0.pid) }
        let started = ContinuousClock.now
        let outcome = drive(lives: lives, upTo: last, keep: last == .confirm)
        let drained = try waitDrained()
        let after = try redisCPU(), processesAfter = options.pids.map { processCPU($0.pid) }
        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
        let stats = try commandStats()
        if options.slowlog { _ = try redis.send(RedisCommand("CONFIG", "SET", "slowlog-log-slower-than", "10000")) }
        let groupsAfter = try groupStates().groups
        if outcome.failures > 0 { fail("\(name): \(outcome.failures) of \(lives) lives failed, first: \(outcome.firstProblem ?? "?")") }

        let n = Double(outcome.lives)
        let gross = after - before, idleShare = idle.redisPerSecond * seconds
        let perOrder = (gross - idleShare) / n * 1e6
        let what = last == .confirm ? "whole life" : "placement"
        print(String(format: "%@ C=%d: %d %@ (%d requests) driven in %.2f s (%.0f/s), drained %.2f s later; requests p50/p99 %@",
                     pad(name, 11), options.concurrency, outcome.lives, what == "whole life" ? "whole lives" : "placements", outcome.requests, outcome.seconds, n / outcome.seconds, drained,
                     latencySummary(outcome)))
        print(String(format: "%@ Redis CPU %.3f s − idle %.3f s (%.1f s × %.0f µs/s) = %.3f s → %.0f µs per %@%@ → %.0f %@ per second per Redis core",
                     pad(name, 11), gross, idleShare, seconds, idle.redisPerSecond * 1e6, gross - idleShare, perOrder, what,
                     pings(perOrder).map { " = \($0) PINGs (\(String(format: "%.2f", options.pingMicros!)) µs each)" } ?? "",
                     1e6 / perOrder, what == "whole life" ? "whole lives" : "placements"))
        var processFigures: [String] = []
        for (index, process) in options.pids.enumerated() {
            let used = processesAfter[index] - processesBefore[index]
            let idleUsed = (idle.processesPerSecond[process.name] ?? 0) * seconds
            let micros = (used - idleUsed) / n * 1e6
            processFigures.append(String(format: "%@ %.0f", process.name, micros))
            print("process     kind=\(name) c=\(options.concurrency) label=\(options.label.isEmpty ? "-" : options.label) name=\(process.name) "
                  + String(format: "us_per_order=%.1f", micros))
        }
        if !processFigures.isEmpty {
            print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) CPU per \(what), µs, idle subtracted (/proc, 10 ms ticks): \(processFigures.joined(separator: ", "))")
        }
        let total = stats.reduce(0) { $0 + $1.usec }
        print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) top commands by usec (commandstats: wall time inside each command, so a busy machine inflates it; a script's inner commands are also counted under their own names):")
        print("              command                 calls   per \(last == .confirm ? "life " : "place")       usec   µs/call  µs per \(last == .confirm ? "life" : "place")   PINGs")
        for stat in stats.prefix(options.top) {
            let perCall = Double(stat.usec) / Double(max(1, stat.calls))
            print(String(format: "              %@ %8d  %10.2f  %9d  %8.2f  %11.1f  %6@", pad(stat.name, 20), stat.calls, Double(stat.calls) / n, stat.usec,
                         perCall, Double(stat.usec) / n, pings(Double(stat.usec) / n) ?? "-"))
        }
        print(String(format: "              (commandstats' usec sum, scripts' inner commands counted twice: %.3f s; INFO cpu: %.3f s)", Double(total) / 1e6, gross))
        print("result      kind=\(name) c=\(options.concurrency) label=\(options.label.isEmpty ? "-" : options.label) orders=\(outcome.lives) "
              + String(format: "seconds=%.2f drive_seconds=%.2f redis_gross_us=%.0f idle_us=%.0f redis_us=%.1f ping_us=%.3f", seconds, outcome.seconds,
                       gross * 1e6, idleShare * 1e6, perOrder, options.pingMicros ?? 0))
        for stat in stats.prefix(options.top) {
            print("command     kind=\(name) c=\(options.concurrency) label=\(options.label.isEmpty ? "-" : options.label) name=\(stat.name) "
                  + String(format: "calls_per_order=%.3f us_per_order=%.2f us_per_call=%.2f", Double(stat.calls) / n, Double(stat.usec) / n,
                           Double(stat.usec) / Double(max(1, stat.calls))))
        }
        groupReport(name, before: groupsBefore, after: groupsAfter, orders: n)
        if options.slowlog { try slowlogReport(name, orders: n, groupsBefore: groupsBefore, groupsAfter: groupsAfter) }
    }

    private func latencySummary(_ outcome: Outcome) -> String {
        let all = outcome.latencies.flatMap { $0 }.sorted()
        guard !all.isEmpty else { return "-" }
        return String(format: "%.1f / %.1f ms", Double(all[(all.count - 1) / 2]) / 1000, Double(all[min(all.count - 1, all.count * 99 / 100)]) / 1000)
    }

    /// Deliveries per group during the phase (entries read, from XINFO GROUPS).
    private func groupReport(_ name: String, before: [GroupState], after: [GroupState], orders: Double) {
        var perGroup: [String: Int] = [:]
        var perStream: [String: [String: Int]] = [:]
        for state in after {
            let was = before.first { $0.stream == state.stream && $0.group == state.group }?.entriesRead ?? 0
            perGroup[state.group, default: 0] += state.entriesRead - was
            perStream[state.group, default: [:]][state.stream.split(separator: ":").last.map(String.init) ?? state.stream] = state.entriesRead - was
        }
        let total = perGroup.values.reduce(0, +)
        let detail = perGroup.keys.sorted().map { group in
            String(format: "%@ %.1f (%@)", group, Double(perGroup[group]!) / orders,
                   perStream[group]!.keys.sorted().filter { perStream[group]![$0]! > 0 }
                    .map { String(format: "%@ %.1f", $0, Double(perStream[group]![$0]!) / orders) }.joined(separator: ", "))
        }.joined(separator: "; ")
        print(String(format: "%@ deliveries per order: %.1f in all; %@", pad(name, 11), Double(total) / orders, detail))
    }

    // MARK: - Slowlog attribution (diagnosis)

    private struct Bucket {
        var calls = 0
        var usec = 0
        var ids = 0
        var idsKnown = 0
        var writes = 0
        var writesKnown = 0
        var noWrites = 0
    }

    private func slowlogReport(_ name: String, orders: Double, groupsBefore: [GroupState], groupsAfter: [GroupState]) throws {
        let entries = try redis.send(RedisCommand("SLOWLOG", "GET", "-1")).array ?? []
        _ = try redis.send(RedisCommand("SLOWLOG", "RESET"))
        var buckets: [String: Bucket] = [:]
        for entry in entries {
            guard let parts = entry.array, parts.count >= 4, let micros = parts[2].int, let args = parts[3].array?.map({ $0.string ?? "" }),
                  let command = args.first?.lowercased() else { continue }
            var label = command
            var bucketIds: Int?
            var bucketWrites: Int?
            switch command {
            case "evalsha", "eval", "fcall":
                let numkeys = args.count > 2 ? Int(args[2]) ?? -1 : -1
                if numkeys > 0, args.count > 3 + numkeys, args[3].hasPrefix(keys.key("retry")) {
                    // The apply script: its first key is the group's retry book, ARGV[1] the group.
                    label = "apply script: \(args[3 + numkeys])"
                    (bucketIds, bucketWrites) = Self.applyShape(args, numkeys: numkeys)
                } else if numkeys > 0, args.count > 3 {
                    let key = args[3]
                    if key.hasPrefix(keys.key("order") + ":") { label = "commit script (order)" }
                    else if key.contains("idempotency") || key.contains("payment") { label = "gateway script (payment)" }
                    else { label = "script on \(key.split(separator: ":").prefix(2).joined(separator: ":"))" }
                }
            case "xreadgroup", "xautoclaim", "xclaim", "xpending", "xack":
                // XREADGROUP GROUP g …; the others: COMMAND key g …
                if command == "xreadgroup", args.count > 2 { label = "xreadgroup: \(args[2])" }
                else if args.count > 2 { label = "\(command): \(args[2]) on \(args[1].split(separator: ":").last.map(String.init) ?? args[1])" }
            case "xinfo":
                label = "xinfo \(args.count > 1 ? args[1].lowercased() : "")"
            default:
                break
            }
            var bucket = buckets[label] ?? Bucket()
            bucket.calls += 1
            bucket.usec += micros
            if let ids = bucketIds { bucket.ids += ids; bucket.idsKnown += 1 }
            if let writes = bucketWrites {
                bucket.writes += writes
                bucket.writesKnown += 1
                if writes == 0 { bucket.noWrites += 1 }
            }
            buckets[label] = bucket
        }
        if entries.count >= 1_000_000 { print("\(name): the slowlog overflowed (1,000,000 entries): the attribution below is partial") }
        var deliveries: [String: Int] = [:]
        for state in groupsAfter {
            deliveries[state.group, default: 0] += state.entriesRead
                - (groupsBefore.first { $0.stream == state.stream && $0.group == state.group }?.entriesRead ?? 0)
        }
        print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) slowlog attribution (every command logged: slower than usual; durations are Redis's own):")
        print("              what                               calls/order  µs/order  µs/call   batch (entries per call) · apply calls with no write")
        for (label, bucket) in buckets.sorted(by: { $0.value.usec > $1.value.usec }).prefix(24) {
            var extra = ""
            if label.hasPrefix("apply script: ") {
                let group = String(label.dropFirst(14))
                let read = deliveries[group] ?? 0
                extra = String(format: "%.2f per apply (%d deliveries / %d calls)", Double(read) / Double(max(1, bucket.calls)), read, bucket.calls)
                if bucket.writesKnown > 0 {
                    extra += String(format: " · %d of %d readable calls wrote nothing", bucket.noWrites, bucket.writesKnown)
                }
            } else if label.hasPrefix("xreadgroup: ") {
                let group = String(label.dropFirst(12))
                let read = deliveries[group] ?? 0
                extra = String(format: "%.2f per read (%d / %d)", Double(read) / Double(max(1, bucket.calls)), read, bucket.calls)
            }
            print(String(format: "              %@ %8.2f  %8.1f  %7.2f   %@", pad(label, 36), Double(bucket.calls) / orders, Double(bucket.usec) / orders,
                         Double(bucket.usec) / Double(max(1, bucket.calls)), extra))
            print("slowlog     kind=\(name) c=\(options.concurrency) label=\(options.label.isEmpty ? "-" : options.label) what=\(label.replacingOccurrences(of: " ", with: "_")) "
                  + String(format: "calls_per_order=%.3f us_per_order=%.2f us_per_call=%.2f", Double(bucket.calls) / orders, Double(bucket.usec) / orders,
                           Double(bucket.usec) / Double(max(1, bucket.calls))))
        }
    }

    /// Ids and writes of one apply call, from its arguments (nil where the slowlog cut them:
    /// it keeps 32 arguments of a command).
    static func applyShape(_ args: [String], numkeys: Int) -> (ids: Int?, writes: Int?) {
        // args: EVALSHA sha numkeys keys… group consumer bookref nstreams, then per stream: stream
        // ref, applied ref, n, ids, m, ids, r, fields; then the write count.
        let base = 3 + numkeys
        guard args.count > base + 3, let streams = Int(args[base + 3]) else { return (nil, nil) }
        var index = base + 4
        var ids = 0
        func count(_ at: Int) -> Int? { at < args.count && !args[at].hasPrefix("...") ? Int(args[at]) : nil }
        for _ in 0..<streams {
            guard let n = count(index + 2) else { return (nil, nil) }
            ids += n
            index += 3 + n
            guard let m = count(index) else { return (ids, nil) }
            index += 1 + m
            guard let r = count(index) else { return (ids, nil) }
            index += 1 + r
        }
        return (ids, count(index))
    }

    // MARK: - Reads (the customers' and owners' and riders' polls)

    /// Each read alone, R requests over C threads: Redis CPU per read. Some lives are first taken
    /// to `cooked` only, so the riders' boards have jobs on them and the store boards live orders.
    private func readPhases(idle: Idle) throws {
        let waiting = max(6, options.concurrency)
        let partial = drive(lives: waiting, upTo: .finishCooking)
        if partial.failures > 0 { fail("reads: \(partial.failures) lives failed: \(partial.firstProblem ?? "")") }
        _ = try waitDrained()
        let done = completed.withLock { $0 }
        guard !done.isEmpty else { fail("reads: no completed order to read (run a life phase first)") }
        let boards = try stores.map { try redis.send(RedisCommand("ZCARD", keys.storeBoard($0.storeId))).int ?? 0 }
        let regions = Array(Set(stores.map(\.region))).sorted()
        let jobs = try regions.map { try redis.send(RedisCommand("ZCARD", keys.riderBoard($0))).int ?? -1 }
        print("reads       \(options.reads) requests of each kind; store boards hold \(boards.map(String.init).joined(separator: "/")) orders (the API shows the newest 200), "
              + "riders' boards \(jobs.map(String.init).joined(separator: "/")) jobs (\(waiting) orders left cooked)")
        var costs: [String: Double] = [:]
        for kind in ["order", "store-board", "rider-board"] {
            let requests: @Sendable (Int, Int) -> [UInt8] = { [self, done, regions] index, thread in
                switch kind {
                case "order":
                    let (orderId, customer) = done[(index * 7 + thread) % done.count]
                    return request("GET", "/orders/\(orderId)", token: customerTokens[customer])
                case "store-board":
                    let store = stores[index % stores.count]
                    return request("GET", "/stores/\(store.storeId)/orders", token: ownerTokens[store.storeId])
                default:
                    let region = regions[index % regions.count]
                    return request("GET", "/deliveries?region=\(region)", token: riderTokens[region]?.first)
                }
            }
            _ = try redis.send(RedisCommand("CONFIG", "RESETSTAT"))
            let before = try redisCPU(), processesBefore = options.pids.map { processCPU($0.pid) }
            let started = ContinuousClock.now
            let failures = readLoad(count: options.reads, requests)
            let after = try redisCPU(), processesAfter = options.pids.map { processCPU($0.pid) }
            let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
            if failures > 0 { fail("reads: \(failures) GETs of \(kind) failed") }
            let n = Double(options.reads)
            let micros = (after - before - idle.redisPerSecond * seconds) / n * 1e6
            costs[kind] = micros
            let stats = try commandStats()
            let api = options.pids.firstIndex { $0.name == "api" }.map { (processesAfter[$0] - processesBefore[$0]) / n * 1e6 }
            print(String(format: "read %@ %.0f µs of Redis CPU per read%@ (%.0f reads/s)%@; commands per read: %@", pad(kind, 12), micros,
                         pings(micros).map { " = \($0) PINGs" } ?? "", n / seconds, api.map { String(format: "; API %.0f µs", $0) } ?? "",
                         stats.prefix(5).map { String(format: "%@ %.2f (%.1f µs)", $0.name, Double($0.calls) / n, Double($0.usec) / n) }.joined(separator: ", ")))
            print("result      kind=read-\(kind) c=\(options.concurrency) label=\(options.label.isEmpty ? "-" : options.label) orders=\(options.reads) "
                  + String(format: "redis_us=%.1f ping_us=%.3f", micros, options.pingMicros ?? 0))
        }
        // The mix of issue 20: each live order polled by its customer every 5 s, each store's
        // board by its owner every 2 s, each region's riders' board every 2 s.
        let perLiveOrder = costs["order", default: 0] / 5, perStore = costs["store-board", default: 0] / 2, perRegion = costs["rider-board", default: 0] / 2
        print(String(format: "read mix    per second: %.1f µs per live order (a poll every 5 s) + %.1f µs per store (its board every 2 s) + %.1f µs per region "
                     + "(its riders' board every 2 s); a 30-minute life polled every 5 s costs %.0f µs (%@ PINGs) in order reads alone",
                     perLiveOrder, perStore, perRegion, costs["order", default: 0] * 360, pings(costs["order", default: 0] * 360) ?? "-"))
    }

    /// `count` GETs over C threads; returns how many were not 200.
    private func readLoad(count: Int, _ request: @escaping @Sendable (Int, Int) -> [UInt8]) -> Int {
        let next = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        let threads = min(options.concurrency, count)
        for thread in 0..<threads {
            Thread { [self] in
                let connection = BenchHTTPConnection(port: options.port)
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    if index >= count { break }
                    if (try? connection.exchange(request(index, thread)))?.status != 200 { failures.add(1, ordering: .relaxed) }
                }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        _ = self
        return failures.load(ordering: .relaxed)
    }
}
