import Backbone
import JSON
import Redis

/// What `baedal-autoscaler` last said of each policy it sizes: the hash `baedal:autoscaler`, one
/// field per policy, a JSON value
/// `{"policy","min","max","running","wanted","backlog","lagPerInstance","at"}` rewritten every
/// interval. A value older than `freshMilliseconds` is from a scaler that stopped: not shown.
public struct AutoscalerReport: Sendable {
    public struct Policy: Sendable, Hashable {
        public var policy: String
        public var min: Int
        public var max: Int
        public var running: Int
        public var wanted: Int
        public var backlog: Int
        public var lagPerInstance: Int
        /// When the scaler wrote it (ms since the epoch).
        public var at: Int64
    }

    /// Three of the scaler's default 5 s intervals.
    public static let freshMilliseconds: Int64 = 15_000

    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) {
        self.keys = keys
        self.redis = redis
    }

    public var key: String { keys.key("autoscaler") }

    /// The policies whose report is fresh at `now`, by name; values that are not such JSON are
    /// left out.
    public func policies(now: Int64) async throws -> [Policy] {
        let reply = try await redis.send(RedisCommand("HGETALL", key))
        return reply.pairs.compactMap { pair -> Policy? in
            guard let name = pair.name.string, let value = pair.value.string, let policy = Self.policy(name, value) else { return nil }
            return now - policy.at <= Self.freshMilliseconds ? policy : nil
        }.sorted { $0.policy < $1.policy }
    }

    static func policy(_ name: String, _ json: String) -> Policy? {
        var policy = Policy(policy: name, min: 0, max: 0, running: 0, wanted: 0, backlog: 0, lagPerInstance: 0, at: 0)
        do throws(JSONReader.Failure) {
            try JSONReader.read(json) { reader throws(JSONReader.Failure) in
                try reader.readObject { reader, key throws(JSONReader.Failure) in
                    switch key {
                    case "min": policy.min = try reader.readInt()
                    case "max": policy.max = try reader.readInt()
                    case "running": policy.running = try reader.readInt()
                    case "wanted": policy.wanted = try reader.readInt()
                    case "backlog": policy.backlog = try reader.readInt()
                    case "lagPerInstance": policy.lagPerInstance = try reader.readInt()
                    case "at": policy.at = Int64(try reader.readInt())
                    default: try reader.skipValue()
                    }
                }
            }
        } catch {
            return nil
        }
        return policy.at > 0 ? policy : nil
    }
}
