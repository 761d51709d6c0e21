import Backbone
import Redis

/// A store's cooking queue, a read model written by the projector: `baedal:store:<id>:cooking`,
/// the orders being cooked by the time cooking started, removed when cooked. It is an index:
/// an entry the projector has not removed yet is skipped by the order's own status.
public struct CookingQueue: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, store storeId: String) -> String { keys.key("store", storeId, "cooking") }

    /// Every entry: the order and when its cooking started (ms). Scores are whatever a stream's
    /// `at` said: clamped to a sane range, never trapped on.
    public func entries(store storeId: String) async throws -> [(orderId: String, startedAt: Int64)] {
        let reply = try await redis.send(RedisCommand("ZRANGE", Self.key(keys, store: storeId), "0", "-1", "WITHSCORES"))
        return reply.pairs.compactMap { member, score in
            guard let orderId = member.string, let value = score.string.flatMap({ Double($0) }), value.isFinite else { return nil }
            return (orderId, Int64(max(-9.0e18, min(value, 9.0e18))))
        }
    }
}
