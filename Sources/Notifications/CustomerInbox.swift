import Backbone
import Redis

/// A customer's notifications, a read model written by `notification`:
/// `baedal:customer:<id>:notifications`, each message's JSON scored by when its event happened.
public struct CustomerInbox: Sendable {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, customer customerId: String) -> String { keys.key("customer", customerId, "notifications") }

    /// The messages as JSON objects (`{"orderId","status","text","at","eventId"}`), newest first.
    public func messages(customer customerId: String, limit: Int = 500) async throws -> [String] {
        try await redis.send(RedisCommand("ZREVRANGE", Self.key(keys, customer: customerId), "0", String(limit - 1))).strings
    }
}
