import Backbone
import Redis

/// The owner's order board, a read model written by `store-inbox`: `baedal:store:<id>:board`, a
/// sorted set of order ids by the time they were placed. It is an index: readers show each
/// order with its status as the order itself says now.
public struct StoreBoard: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, store storeId: String) -> String { keys.key("store", storeId, "board") }

    /// The ids of the store's orders, newest first.
    public func orderIds(store storeId: String, limit: Int = 200) async throws -> [String] {
        try await redis.send(RedisCommand("ZREVRANGE", Self.key(keys, store: storeId), "0", String(limit - 1))).strings
    }
}
