import Backbone
import Redis

/// A customer's "my page", a read model written by the projector: `baedal:customer:<id>:orders`,
/// a list of the customer's order ids pushed as they were placed (a list: O(1) per order, where
/// a sorted set cost the projector half its throughput). Instances may push in a slightly
/// different order, so readers order the orders by `placedAt`.
public struct MyPage: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, customer customerId: String) -> String { keys.key("customer", customerId, "orders") }

    /// The ids of the customer's latest orders (about newest first).
    public func orderIds(customer customerId: String, limit: Int = 200) async throws -> [String] {
        try await redis.send(RedisCommand("LRANGE", Self.key(keys, customer: customerId), "0", String(limit - 1))).strings
    }
}
