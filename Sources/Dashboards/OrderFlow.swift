import Backbone
import Redis

/// Orders per minute by status over the last hour, a read model written by the projector
/// (`OrderFlowProjection`): one small hash per minute, read in one round trip.
public struct OrderFlow: Sendable {
    public struct Minute: Sendable, Hashable {
        /// Minutes since the epoch.
        public var minute: Int64
        /// Status → orders that reached it in this minute.
        public var counts: [String: Int]
    }

    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, minute: Int64) -> String { keys.key("dashboard", "orders-per-minute", String(minute)) }

    /// The pattern of every minute's key (for `baedalctl rebuild`, which compares them all).
    public static func pattern(_ keys: Keys) -> String { keys.key("dashboard", "orders-per-minute") + ":*" }

    /// The `minutes` minutes up to and including the one of `now` (ms), oldest first.
    public func last(_ minutes: Int = 60, now: Int64) async throws -> [Minute] {
        let current = now / 60_000
        let range = (current - Int64(minutes) + 1)...current
        let replies = try await redis.pipeline(range.map { RedisCommand("HGETALL", Self.key(keys, minute: $0)) })
        return zip(range, replies).map { minute, reply in
            var counts: [String: Int] = [:]
            for (name, value) in reply.pairs {
                if let name = name.string, let count = value.int { counts[name] = count }
            }
            return Minute(minute: minute, counts: counts)
        }
    }
}
