import Backbone
import Contract
import Dashboards
import Numbers
import Redis

/// `baedalctl rebuild dashboards|views`: recomputes the projector's keys from the streams with the
/// projector's own code, partition by partition, into scratch keys under the partition's own tag
/// (so on a cluster everything of a partition stays in its slot); compares them with the live
/// ones and, when asked, puts them in place, one `MULTI` per partition.
///
/// What is rebuilt is what `Projector` writes: the two dashboards, orders per minute by status
/// (one hash per minute on one untagged partition, one hash per hour per partition when tagged:
/// `OrderFlowProjection` decides by the keys' tag, and the scratch keys carry the same tag), my
/// page and the cooking queues. Not the stages' recent durations (`StageTimingProjection`): a
/// rolling window of the latest few, which the next orders refill.
public struct ProjectionRebuild: Sendable {
    public enum Target: String, Sendable, CaseIterable {
        case dashboards, views
    }

    public struct Outcome: Sendable, Hashable {
        /// Entries in the streams read when the rebuild started, over every partition.
        public var total = 0
        public var read = 0
        /// Entries the projector would dead-letter: skipped.
        public var malformed = 0
        /// Keys compared (live keys with a twin on either side), over every partition.
        public var keys = 0
        /// The live keys whose contents differ from the rebuilt ones.
        public var differing: [String] = []
    }

    public let keySpace: KeySpace
    public let redis: any RedisExecutor
    public let target: Target

    public init(keySpace: KeySpace, redis: any RedisExecutor, target: Target) {
        self.keySpace = keySpace
        self.redis = redis
        self.target = target
    }

    static let streams: [StreamName] = [.order, .store, .delivery]
    static let pageSize = 1_000

    /// Rebuilds every partition; with `apply`, the rebuilt keys replace the live ones, else the
    /// scratch keys are deleted. `progress` is told after every page.
    public func run(apply: Bool, progress: (Outcome) -> Void = { _ in }) async throws -> Outcome {
        var outcome = Outcome()
        let run = Identifier.random("")
        let lengths = try await redis.pipeline(keySpace.all.flatMap { keys in Self.streams.map { RedisCommand("XLEN", keys.stream($0)) } })
        outcome.total = lengths.reduce(0) { $0.clampedAdding(max(0, $1.int ?? 0)) }
        for live in keySpace.all {
            let scratch = Keys(prefix: "\(live.prefix):rebuild:\(run)", tag: live.tag)
            try await project(live: live, into: scratch, &outcome, progress)
            let node = try await Self.node(of: live, redis)
            let pairs = try await keyPairs(node, live: live, scratch: scratch)
            outcome.keys = outcome.keys.clampedAdding(pairs.count)
            let liveContents = try await Self.contents(pairs.map(\.live), on: redis)
            let rebuiltContents = try await Self.contents(pairs.map(\.scratch), on: redis)
            for (index, pair) in pairs.enumerated() where liveContents[index] != rebuiltContents[index] { outcome.differing.append(pair.live) }
            if apply { try await replace(pairs) }
            try await cleanUp(node, scratch)
        }
        return outcome
    }

    /// The partition's streams through the projector's projections, into the scratch keys, with
    /// the runtime's own interpreter of effects.
    private func project(live: Keys, into scratch: Keys, _ outcome: inout Outcome, _ progress: (Outcome) -> Void) async throws {
        let dashboards = DashboardProjection(keys: scratch)
        let flow = OrderFlowProjection(keys: scratch)
        let views = ViewProjection(keys: scratch)
        for stream in Self.streams {
            let key = live.stream(stream)
            var start = "-"
            while true {
                let entries = try await redis.send(RedisCommand("XRANGE", key, start, "+", "COUNT", String(Self.pageSize))).array ?? []
                if entries.isEmpty { break }
                var page: [Effects] = []
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                    start = "(" + id
                    let fields = parts[1].pairs.map { StreamField($0.name.string ?? "", $0.value.bytes ?? []) }
                    outcome.read = outcome.read.clampedAdding(1)
                    do {
                        let event = try EventEnvelope(StreamMessage(stream: key, id: id, fields: fields))
                        guard let type = EventType.on(stream, event.type) else { continue }
                        let data = Projector.readsData.contains(type) ? try event.decoded() : EventData()
                        page.append(target == .dashboards
                            ? try dashboards.effects(of: event, type: type, data: data) + flow.effects(of: event, type: type)
                            : try views.effects(of: event, type: type, data: data))
                    } catch {
                        outcome.malformed = outcome.malformed.clampedAdding(1)
                    }
                }
                if !page.isEmpty { try await EffectApplier.write(page, tag: live.tag, on: redis) }
                progress(outcome)
                if entries.count < Self.pageSize { break }
            }
        }
    }

    /// Every live key of the target in the partition and its scratch twin (present on either side).
    private func keyPairs(_ node: any RedisExecutor, live: Keys, scratch: Keys) async throws -> [(live: String, scratch: String)] {
        let patterns: [String]
        var fixed: [(live: String, scratch: String)] = []
        switch target {
        case .dashboards:
            fixed = Keys.Dashboard.allCases.map { (live.dashboard($0), scratch.dashboard($0)) }
            patterns = [live.tag == nil ? "dashboard:orders-per-minute:*" : "dashboard:orders-per-hour:*"]
        case .views:
            patterns = ["customer:*:orders", "store:*:cooking"]
        }
        var suffixes = Set<String>()
        for pattern in patterns {
            for keys in [live, scratch] {
                for key in try await Self.scan(node, "\(keys.base):\(pattern)") {
                    let suffix = String(key.dropFirst(keys.base.count + 1))
                    if keys == live, suffix.hasPrefix("rebuild:") { continue }
                    suffixes.insert(suffix)
                }
            }
        }
        return fixed + suffixes.sorted().map { ("\(live.base):\($0)", "\(scratch.base):\($0)") }
    }

    /// The rebuilt keys in place of the live ones, in one transaction of the partition's slot.
    private func replace(_ pairs: [(live: String, scratch: String)]) async throws {
        guard !pairs.isEmpty else { return }
        let exists = try await redis.pipeline(pairs.map { RedisCommand("EXISTS", $0.scratch) })
        var transaction = [RedisCommand("MULTI")]
        for (pair, rebuilt) in zip(pairs, exists) {
            transaction.append(rebuilt.int == 1 ? RedisCommand("RENAME", pair.scratch, pair.live) : RedisCommand("DEL", pair.live))
        }
        transaction.append(RedisCommand("EXEC"))
        let results = try await redis.pipeline(transaction).last?.array ?? []
        if let failed = results.lazy.compactMap(\.serverError).first { throw failed }
    }

    private func cleanUp(_ node: any RedisExecutor, _ scratch: Keys) async throws {
        let keys = Array(Set(try await Self.scan(node, "\(scratch.base):*"))).sorted()
        for start in stride(from: 0, to: keys.count, by: 500) {
            _ = try await redis.send(RedisCommand(["DEL"] + keys[start..<min(start + 500, keys.count)]))
        }
    }

    /// Where a `SCAN` for a partition's keys must go: the node serving its slot on a cluster.
    static func node(of keys: Keys, _ redis: any RedisExecutor) async throws -> any RedisExecutor {
        guard let cluster = redis as? ClusterExecutor else { return redis }
        return try await cluster.executor(forSlot: ClusterLayout.slot(of: keys)).executor
    }

    static func scan(_ node: any RedisExecutor, _ pattern: String) async throws -> [String] {
        var cursor = "0", keys: [String] = []
        repeat {
            let reply = try await node.send(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")).array ?? []
            guard reply.count == 2 else { break }
            cursor = reply[0].string ?? "0"
            keys += (reply[1].array ?? []).compactMap(\.string)
        } while cursor != "0"
        return keys
    }

    /// Keys' contents in a comparable form (hash fields or sorted-set members with scores, list
    /// items), two round trips per 500 keys.
    static func contents(_ keys: [String], on redis: any RedisExecutor) async throws -> [[String]] {
        var result: [[String]] = []
        for start in stride(from: 0, to: keys.count, by: 500) {
            let chunk = Array(keys[start..<min(start + 500, keys.count)])
            let kinds = try await redis.pipeline(chunk.map { RedisCommand("TYPE", $0) }).map { $0.string ?? "?" }
            let replies = try await redis.pipeline(zip(chunk, kinds).map { key, kind -> RedisCommand in
                switch kind {
                case "hash": return RedisCommand("HGETALL", key)
                case "zset": return RedisCommand("ZRANGE", key, "0", "-1", "WITHSCORES")
                case "list": return RedisCommand("LRANGE", key, "0", "-1")
                default: return RedisCommand("EXISTS", key)
                }
            })
            for (kind, reply) in zip(kinds, replies) {
                switch kind {
                case "hash", "zset": result.append(reply.pairs.map { "\($0.name.string ?? "")=\($0.value.string ?? "")" }.sorted())
                case "list": result.append((reply.array ?? []).compactMap(\.string).sorted())
                case "none": result.append([])
                default: result.append(["<\(kind)>"])
                }
            }
        }
        return result
    }
}
