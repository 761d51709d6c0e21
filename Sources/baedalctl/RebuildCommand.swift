import Numbers
import ArgumentParser
import Backbone
import Contract
import Dashboards
import Redis

/// `baedalctl rebuild dashboards|views`: recomputes the projector's keys from the streams with
/// the projector's own code, into scratch keys; compares them with the live ones, and with
/// `--apply` puts them in place.
struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Recompute the dashboards or the customers' views from the streams and compare them with the live ones.",
        discussion: """
        Without --apply nothing live changes: the result is compared with what the projector built, and the exit status is 0 \
        when they are equal, 1 when they differ. With --apply the rebuilt keys replace the live ones in one step; stop the \
        projector first (systemctl stop 'baedal-worker@projector*'), or events it handles meanwhile are lost from the result.
        """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case dashboards, views
    }

    @Argument(help: "dashboards or views")
    var target: Target

    @Flag(help: "replace the live keys with the rebuilt ones")
    var apply = false

    func run() async throws {
        let deployment = try Deployment.connect()
        let connection = deployment.connection
        defer { connection.close() }
        let live = deployment.keys
        let scratch = Keys(prefix: "\(live.prefix):rebuild:\(Identifier.random(""))")
        let dashboards = DashboardProjection(keys: scratch)
        let flow = OrderFlowProjection(keys: scratch)
        let views = ViewProjection(keys: scratch)

        var read = 0, malformed = 0
        let total = try StreamName.allCases.filter { [.order, .store, .delivery].contains($0) }
            .reduce(0) { $0.clampedAdding(try connection.send(RedisCommand("XLEN", live.stream($1))).int ?? 0) }
        for stream in [StreamName.order, .store, .delivery] {
            var start = "-"
            while true {
                let entries = try connection.send(RedisCommand("XRANGE", live.stream(stream), start, "+", "COUNT", "1000")).array ?? []
                if entries.isEmpty { break }
                var page: [Effects] = []
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                    start = "(" + id
                    let fields = parts[1].pairs.map { StreamField($0.name.string ?? "", $0.value.bytes ?? []) }
                    read += 1
                    do {
                        let event = try EventEnvelope(StreamMessage(stream: live.stream(stream), id: id, fields: fields))
                        guard let type = EventType.on(stream, event.type) else { continue }
                        let data = Projector.readsData.contains(type) ? try event.decoded() : EventData()
                        page.append(target == .dashboards
                            ? try dashboards.effects(of: event, type: type, data: data) + flow.effects(of: event, type: type)
                            : try views.effects(of: event, type: type, data: data))
                    } catch {
                        malformed += 1
                    }
                }
                try EffectApplier.write(page, on: connection)  // the projector's own interpreter
                Self.progress("rebuild \(target.rawValue): \(read)/\(total) entries read")
                if entries.count < 1000 { break }
            }
        }
        Self.progress("rebuild \(target.rawValue): \(read)/\(total) entries read, \(malformed) malformed skipped (the projector dead-letters them)\n")

        let pairs = try keyPairs(connection, live: live, scratch: scratch)
        var differing: [String] = []
        for (liveKey, scratchKey) in pairs where try Self.contents(connection, liveKey) != Self.contents(connection, scratchKey) {
            differing.append(liveKey)
        }
        if apply {
            var transaction = [RedisCommand("MULTI")]
            for (liveKey, scratchKey) in pairs {
                transaction.append(try connection.send(RedisCommand("EXISTS", scratchKey)).int == 1
                    ? RedisCommand("RENAME", scratchKey, liveKey) : RedisCommand("DEL", liveKey))
            }
            transaction.append(RedisCommand("EXEC"))
            let results = try connection.pipeline(transaction).last?.array ?? []
            if let failed = results.lazy.compactMap(\.serverError).first { throw failed }
            print("applied: \(pairs.count) keys rebuilt, \(differing.count) of them had differed from the live ones")
        } else {
            try cleanUp(connection, scratch)
            if differing.isEmpty {
                print("equal: the \(pairs.count) rebuilt keys match the live \(target.rawValue)")
            } else {
                print("differ: \(differing.count) of \(pairs.count) keys differ from the rebuilt ones:")
                for key in differing.prefix(20) { print("  \(key)") }
                throw ExitCode(1)
            }
        }
    }

    /// Every live key of the target and its scratch twin (keys present on either side).
    private func keyPairs(_ connection: RedisConnection, live: Keys, scratch: Keys) throws -> [(String, String)] {
        switch target {
        case .dashboards:
            // The two boards, and every minute of orders per minute by status on either side.
            var minutes = Set<String>()
            for keys in [live, scratch] {
                for key in try Self.scan(connection, keys.ordersPerMinutePattern) { minutes.insert(String(key.dropFirst(keys.prefix.count + 1))) }
            }
            return Keys.Dashboard.allCases.map { (live.dashboard($0), scratch.dashboard($0)) }
                + minutes.sorted().map { ("\(live.prefix):\($0)", "\(scratch.prefix):\($0)") }
        case .views:
            var suffixes = Set<String>()
            for pattern in ["customer:*:orders", "store:*:cooking"] {
                for keys in [live, scratch] {
                    for key in try Self.scan(connection, "\(keys.prefix):\(pattern)") {
                        let suffix = String(key.dropFirst(keys.prefix.count + 1))
                        if keys == live, suffix.hasPrefix("rebuild:") { continue }
                        suffixes.insert(suffix)
                    }
                }
            }
            return suffixes.sorted().map { ("\(live.prefix):\($0)", "\(scratch.prefix):\($0)") }
        }
    }

    private func cleanUp(_ connection: RedisConnection, _ scratch: Keys) throws {
        let keys = try Self.scan(connection, "\(scratch.prefix):*")
        if !keys.isEmpty { _ = try connection.send(RedisCommand(["DEL"] + keys)) }
    }

    static func scan(_ connection: RedisConnection, _ pattern: String) throws -> [String] {
        var cursor = "0", keys: [String] = []
        repeat {
            let reply = try connection.send(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")).array ?? []
            guard reply.count == 2 else { break }
            cursor = reply[0].string ?? "0"
            keys += (reply[1].array ?? []).compactMap(\.string)
        } while cursor != "0"
        return keys
    }

    /// A key's contents in a comparable form (hash fields or sorted-set members with scores).
    static func contents(_ connection: RedisConnection, _ key: String) throws -> [String] {
        switch try connection.send(RedisCommand("TYPE", key)).string {
        case "hash": return try connection.send(RedisCommand("HGETALL", key)).pairs.map(Self.pair).sorted()
        case "zset": return try connection.send(RedisCommand("ZRANGE", key, "0", "-1", "WITHSCORES")).pairs.map(Self.pair).sorted()
        case "list": return (try connection.send(RedisCommand("LRANGE", key, "0", "-1")).array ?? []).compactMap(\.string).sorted()
        case "none": return []
        case let other: return ["<\(other ?? "?")>"]
        }
    }

    /// `name=value`, comparable across the live and rebuilt keys.
    static func pair(_ pair: (name: RESPValue, value: RESPValue)) -> String { "\(pair.name.string ?? "")=\(pair.value.string ?? "")" }

    static func progress(_ line: String) {
        FileHandleStandardError.write("\r" + line)
    }
}
