import Autoscaling
import Contract
import Redis

/// What `baedal-autoscaler` last said of each policy it sizes: the hash `<prefix>:autoscaler`, one
/// field per policy holding an `AutoscalerView`, rewritten every interval. A view older than three
/// of its intervals is from a scaler that stopped. `baedalctl status` and the console read it here.
public struct AutoscalerReport: Sendable {
    public typealias Policy = AutoscalerView

    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) {
        self.keys = keys
        self.redis = redis
    }

    public var key: String { keys.autoscaler }

    /// Every view that reads as one, current or not, by policy; other values are left out.
    public func views() async throws -> [String: AutoscalerView] {
        let reply = try await redis.send(RedisCommand("HGETALL", key))
        var views: [String: AutoscalerView] = [:]
        for pair in reply.pairs {
            guard let name = pair.name.string, let value = pair.value.string, let view = try? AutoscalerView(json: value) else { continue }
            views[name] = view
        }
        return views
    }

    /// The policies whose view is current at `now` (ms since the epoch), by name.
    public func policies(now: Int64) async throws -> [Policy] {
        try await views().values.filter { $0.isCurrent(now: now) }.sorted { $0.policy < $1.policy }
    }
}
