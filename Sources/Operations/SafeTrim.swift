import Contract
import Redis

/// `baedalctl trim`: removes only entries that every group reading the stream has been given
/// and has acknowledged. A stream that some expected group has never joined is not trimmed.
public struct SafeTrim: Sendable {
    public struct Plan: Sendable, Hashable {
        public var stream: String
        /// Entries with smaller ids may go (`XTRIM MINID`); nil: nothing may go.
        public var below: StreamID?
        public var removable: Int
        /// Why nothing may go, when that is so.
        public var reason: String?
    }

    public let inspector: StreamInspector
    var redis: any RedisExecutor { inspector.redis }

    public init(keys: Keys, redis: any RedisExecutor) {
        inspector = StreamInspector(keys: keys, redis: redis)
    }

    /// `expected`: the groups that must exist on a stream before anything of it is trimmed.
    public func plan(_ stream: String, expected: [String]) async throws -> Plan {
        let info = try await inspector.stream(stream)
        let missing = expected.filter { name in !info.groups.contains { $0.name == name } }
        if info.length == 0 { return Plan(stream: stream, below: nil, removable: 0, reason: "empty") }
        if info.groups.isEmpty { return Plan(stream: stream, below: nil, removable: 0, reason: "no group reads it") }
        if !missing.isEmpty {
            return Plan(stream: stream, below: nil, removable: 0,
                        reason: "group(s) \(missing.joined(separator: ", ")) never joined it: their events would be lost")
        }
        var bound: StreamID?
        for group in info.groups {
            var groupBound = StreamID(group.lastDeliveredId)?.next ?? StreamID(milliseconds: 0, sequence: 0)
            if group.pending > 0 {
                let summary = try await redis.send(RedisCommand("XPENDING", stream, group.name)).array ?? []
                if summary.count >= 2, let oldest = summary[1].string.flatMap(StreamID.init) { groupBound = min(groupBound, oldest) }
            }
            bound = bound.map { min($0, groupBound) } ?? groupBound
        }
        guard let bound else { return Plan(stream: stream, below: nil, removable: 0, reason: "no group reads it") }
        let count = try await redis.send(RedisCommand("EVAL", "return #redis.call('XRANGE', KEYS[1], '-', '(' .. ARGV[1])", "1", stream, bound.description)).int ?? 0
        return Plan(stream: stream, below: bound, removable: count, reason: count == 0 ? "every entry is still needed by some group" : nil)
    }

    /// Carries a plan out; the number of entries removed.
    public func apply(_ plan: Plan) async throws -> Int {
        guard let below = plan.below, plan.removable > 0 else { return 0 }
        return try await redis.send(RedisCommand("XTRIM", plan.stream, "MINID", below.description)).int ?? 0
    }
}
