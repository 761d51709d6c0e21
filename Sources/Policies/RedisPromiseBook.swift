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

    func timings(store: String, region: String) async throws -> [OrderStage: [Int64]] {
        try await RedisViews.stageTimings(keys: keys, store: store, region: region, redis: redis)
    }

    /// A score written by hand that is not a sane number of ms counts as no promise.
    func promised(_ orderId: String) async throws -> Int64? {
        try await redis.send(RedisCommand("ZSCORE", keys.promisedDeliveries, orderId)).milliseconds.flatMap { $0 >= 0 ? $0 : nil }
    }
}
