import Contract
import Orders

/// The read models the policies keep, as the queries read them: the application's port
/// (`RedisViews` reads them from Redis, `InMemoryViews` serves tests). Every answer is bounded.
public protocol Views: Sendable {
    /// The owner's board: the store's orders as they are now, newest first.
    func storeBoard(_ storeId: String, limit: Int) async throws -> [Order]
    /// The riders' board: a region's orders that wait for a rider (cooked), oldest first.
    func riderBoard(_ region: String, limit: Int) async throws -> [Order]
    /// "My page": a customer's latest orders as they are now, about newest first.
    func myOrders(_ customerId: String, limit: Int) async throws -> [Order]
    /// A customer's notifications as JSON objects (`{"orderId","status","text","at","eventId"}`), newest first.
    func inbox(_ customerId: String, limit: Int) async throws -> [String]
    /// A store's cooking queue: each order and when its cooking started (ms).
    func cookingQueue(_ storeId: String) async throws -> [(orderId: String, startedAt: Int64)]
    /// The recent durations of each stage (ms, newest first) at the order's store and in its region,
    /// as its partition's projector keeps them (`OrderStage`).
    func stageTimings(of order: Order) async throws -> [OrderStage: [Int64]]
    /// A dashboard's counts, by name.
    func dashboard(_ board: Keys.Dashboard) async throws -> [(name: String, count: Int)]
    /// Orders per minute by status, for the `minutes` minutes up to the one of `now` (ms), oldest first.
    func ordersPerMinute(last minutes: Int, now: Int64) async throws -> [OrdersInMinute]
}

/// Orders that reached each status in one minute.
public struct OrdersInMinute: Sendable, Hashable {
    /// Minutes since the epoch.
    public var minute: Int64
    /// Status → orders that reached it in this minute.
    public var counts: [String: Int]

    public init(minute: Int64, counts: [String: Int]) {
        self.minute = minute
        self.counts = counts
    }
}
