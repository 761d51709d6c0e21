import Application
import Contract
import Numbers
import Orders
import Redis

/// The read models in Redis, as the policies write them (`Keys` names each): one round trip per
/// query, bounded.
public struct RedisViews: Views {
    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) { (self.keys, self.redis) = (keys, redis) }

    /// The store's board (store-inbox's index) and the copies its orders' commits keep beside the
    /// store: two commands however many orders it shows.
    public func storeBoard(_ storeId: String, limit: Int = 200) async throws -> [Order] {
        try await orders(RedisCommand("ZREVRANGE", keys.storeBoard(storeId), "0", String(limit - 1)), copies: keys.storeOrders(storeId))
    }

    /// The region's board (delivery-dispatch's index) and the copies of its cooked orders: an
    /// order without a copy there left `cooked` (a rider has it, it was cancelled) and is not offered.
    public func riderBoard(_ region: String, limit: Int = 200) async throws -> [Order] {
        try await orders(RedisCommand("ZRANGE", keys.riderBoard(region), "0", String(limit - 1)), copies: keys.regionJobs(region), loadMissing: false)
    }

    public func myOrders(_ customerId: String, limit: Int = 200) async throws -> [Order] {
        try await orders(RedisCommand("LRANGE", keys.myOrders(customerId), "0", String(limit - 1)), copies: keys.customerOrders(customerId))
    }

    /// The ids an index lists, then their copies in one `HMGET`; an order whose copy is missing
    /// (committed before copies were kept) is read from its own hash, when `loadMissing`.
    private func orders(_ index: RedisCommand, copies: String, loadMissing: Bool = true) async throws -> [Order] {
        let ids = try await redis.send(index).strings
        guard !ids.isEmpty else { return [] }
        let values = try await redis.send(RedisCommand(["HMGET", copies] + ids)).array ?? []
        var found: [String: Order] = [:]
        var missing: [String] = []
        for (index, id) in ids.enumerated() {
            if index < values.count, let text = values[index].string, let order = OrderRecord.order(copy: text), order.id == id {
                found[id] = order
            } else {
                missing.append(id)
            }
        }
        if loadMissing && !missing.isEmpty {
            for order in try await RedisOrderRepository(keys: keys, redis: redis).load(missing) { found[order.id] = order }
        }
        return ids.compactMap { found[$0] }
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
