import Contract
import Notifications
import Orders
import Redis
import RedisAdapters

/// The notification policy's reads for slip notices, on its partition's keys.
struct RedisPromiseBook: PromiseBook {
    let keys: Keys
    let redis: any RedisExecutor
    let orders: RedisOrderRepository

    func order(_ orderId: String) async throws -> Order? { try await orders.load(orderId) }

    /// One `LRANGE` per stage, pipelined; values that are not whole numbers are left out.
    func timings(store: String, region: String) async throws -> [OrderStage: [Int64]] {
        let stages = OrderStage.allCases
        let replies = try await redis.pipeline(stages.map { stage in
            RedisCommand("LRANGE", stage.isStores ? keys.storeTimings(store, stage) : keys.regionTimings(region, stage), "0", String(OrderStage.kept - 1))
        })
        var timings: [OrderStage: [Int64]] = [:]
        for (stage, reply) in zip(stages, replies) { timings[stage] = reply.strings.compactMap { Int64($0) } }
        return timings
    }

    /// A score written by hand that is not a sane number of ms counts as no promise.
    func promised(_ orderId: String) async throws -> Int64? {
        guard let value = try await redis.send(RedisCommand("ZSCORE", keys.promisedDeliveries, orderId)).string.flatMap(Double.init),
              value.isFinite, value >= 0, value < 9.0e15 else { return nil }
        return Int64(value)
    }
}
