import Contract
import Orders
import Redis
import RedisAdapters
import Testing
import TestSupport

/// The boards as `RedisViews` reads them from a real Redis: on one partition the index's own
/// order is the answer (read without scores, issue 20), on several the partitions' parts are
/// merged by score. Both must show the same orders in the same order.
@Suite("Boards read from Redis")
struct RedisBoardsTests {
    static func order(_ index: Int) -> Order {
        let at = 1_700_000_000_000 + Int64(index) * 1_000
        return Order(id: "o-" + String(repeating: "0", count: 22) + String(format: "%02x", index), customerId: "c-1", storeId: "s-1",
                     items: [OrderLine(foodId: "pizza", qty: 1, price: 9_000)], amount: 9_000, region: "gangnam", address: "서울",
                     paymentId: "p-\(index)", status: .cooked, placedAt: at, updatedAt: at, version: 1)
    }

    @Test(arguments: [1, 3])
    func theStoresBoardIsNewestFirstAndTheRidersOldestFirst(partitions: Int) async throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let space = KeySpace(partitions: partitions)
        // Twelve orders a second apart, written in neither time nor id order.
        let orders = [7, 2, 11, 0, 5, 9, 1, 10, 3, 8, 6, 4].map(Self.order)
        for order in orders {
            let keys = space.keys(forOrder: order.id)
            let copy = OrderRecord.copy(of: order, version: 1)
            _ = try connection.send(RedisCommand("ZADD", keys.storeBoard("s-1"), String(order.placedAt), order.id))
            _ = try connection.send(RedisCommand("HSET", keys.storeOrders("s-1"), order.id, copy))
            _ = try connection.send(RedisCommand("ZADD", keys.riderBoard("gangnam"), String(order.placedAt), order.id))
            _ = try connection.send(RedisCommand("HSET", keys.regionJobs("gangnam"), order.id, copy))
        }
        if partitions > 1 { #expect(Set(orders.map { space.partition(of: $0.id) }).count > 1, "the orders spread over partitions") }
        let pool = RedisPool(configuration: server.configuration, size: 2)
        defer { pool.close() }
        let views = RedisViews(keySpace: space, redis: pool)
        let byTime = orders.sorted { $0.placedAt < $1.placedAt }
        #expect(try await views.storeBoard("s-1", limit: 5) == Array(byTime.reversed().prefix(5)))
        #expect(try await views.storeBoard("s-1") == byTime.reversed())
        #expect(try await views.riderBoard("gangnam", limit: 5) == Array(byTime.prefix(5)))
        #expect(try await views.riderBoard("gangnam") == byTime)
    }
}
