import Backbone
import Redis

/// The two dashboards, read models written by the projector: units ordered per food
/// (`baedal:dashboard:food-orders`) and deliveries per rider (`baedal:dashboard:rider-deliveries`),
/// hashes of counts.
public struct Dashboards: Sendable {
    public enum Board: String, Sendable, CaseIterable {
        case foodOrders = "food-orders"
        case riderDeliveries = "rider-deliveries"
    }

    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    public static func key(_ keys: Keys, _ board: Board) -> String { keys.key("dashboard", board.rawValue) }

    /// Every count of the board, by name.
    public func counts(_ board: Board) async throws -> [(name: String, count: Int)] {
        try await redis.send(RedisCommand("HGETALL", Self.key(keys, board))).pairs.compactMap { name, count in
            guard let name = name.string, let count = count.int else { return nil }
            return (name, count)
        }.sorted { $0.name < $1.name }
    }
}
