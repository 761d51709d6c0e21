import Application
import Contract
import Numbers
import Redis

/// The read models in Redis, as the policies write them (`Keys` names each): one round trip per
/// query, bounded.
public struct RedisViews: Views {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public func storeBoard(_ storeId: String, limit: Int = 200) async throws -> [String] {
        try await redis.send(RedisCommand("ZREVRANGE", keys.storeBoard(storeId), "0", String(limit - 1))).strings
    }

    public func riderBoard(_ region: String, limit: Int = 200) async throws -> [String] {
        try await redis.send(RedisCommand("ZRANGE", keys.riderBoard(region), "0", String(limit - 1))).strings
    }

    public func myOrders(_ customerId: String, limit: Int = 200) async throws -> [String] {
        try await redis.send(RedisCommand("LRANGE", keys.myOrders(customerId), "0", String(limit - 1))).strings
    }

    public func inbox(_ customerId: String, limit: Int = 500) async throws -> [String] {
        try await redis.send(RedisCommand("ZREVRANGE", keys.inbox(customerId), "0", String(limit - 1))).strings
    }

    /// Scores are whatever a stream's `at` said: clamped to a sane range, never trapped on.
    public func cookingQueue(_ storeId: String) async throws -> [(orderId: String, startedAt: Int64)] {
        let reply = try await redis.send(RedisCommand("ZRANGE", keys.cookingQueue(storeId), "0", "-1", "WITHSCORES"))
        return reply.pairs.compactMap { member, score in
            guard let orderId = member.string, let value = score.string.flatMap({ Double($0) }), value.isFinite else { return nil }
            return (orderId, Int64(max(-9.0e18, min(value, 9.0e18))))
        }
    }

    public func dashboard(_ board: Keys.Dashboard) async throws -> [(name: String, count: Int)] {
        try await redis.send(RedisCommand("HGETALL", keys.dashboard(board))).pairs.compactMap { name, count in
            guard let name = name.string, let count = count.int else { return nil }
            return (name, count)
        }.sorted { $0.name < $1.name }
    }

    public func ordersPerMinute(last minutes: Int = 60, now: Int64) async throws -> [OrdersInMinute] {
        let current = now / 60_000
        let range = current.clampedSubtracting(Int64(minutes) - 1)...current
        let replies = try await redis.pipeline(range.map { RedisCommand("HGETALL", keys.ordersPerMinute($0)) })
        return zip(range, replies).map { minute, reply in
            var counts: [String: Int] = [:]
            for (name, value) in reply.pairs {
                if let name = name.string, let count = value.int { counts[name] = count }
            }
            return OrdersInMinute(minute: minute, counts: counts)
        }
    }
}
