import Backbone
import Redis

/// The riders' board of a region, a read model written by `delivery-dispatch`:
/// `baedal:deliveries:<region>:waiting`, order ids by the time cooking finished. It is an index:
/// readers offer only orders that are still `cooked`, so a job a late event left behind is never
/// offered.
public struct RiderBoard: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, region: String) -> String { keys.key("deliveries", region, "waiting") }

    /// The ids of the region's waiting jobs, oldest first.
    public func orderIds(region: String, limit: Int = 200) async throws -> [String] {
        try await redis.send(RedisCommand("ZRANGE", Self.key(keys, region: region), "0", String(limit - 1))).strings
    }
}
