import Application
import Contract
import Orders
import Synchronization

/// The read models in memory, filled by a test as the policies would fill them.
public final class InMemoryViews: Views {
    public struct Contents: Sendable {
        public var storeBoards: [String: [String]] = [:]
        public var riderBoards: [String: [String]] = [:]
        public var myOrders: [String: [String]] = [:]
        public var inboxes: [String: [String]] = [:]
        public var cookingQueues: [String: [(orderId: String, startedAt: Int64)]] = [:]
        public var dashboards: [Keys.Dashboard: [String: Int]] = [:]
        public var ordersPerMinute: [Int64: [String: Int]] = [:]
        /// Recent durations per stage, by store (accept, start, cook) or region (pickup, deliver).
        public var storeTimings: [String: [OrderStage: [Int64]]] = [:]
        public var regionTimings: [String: [OrderStage: [Int64]]] = [:]
    }

    private let state = Mutex(Contents())
    /// Where the boards' orders are read (the in-memory twin of the copies their commits keep).
    let orders: InMemoryOrderRepository

    public init(orders: InMemoryOrderRepository) { self.orders = orders }

    /// Changes what the views hold.
    public func update(_ body: (inout Contents) -> Void) { state.withLock { body(&$0) } }

    public func storeBoard(_ storeId: String, limit: Int) async throws -> [Order] {
        try await orders.load(state.withLock { Array($0.storeBoards[storeId, default: []].prefix(limit)) })
    }
    public func riderBoard(_ region: String, limit: Int) async throws -> [Order] {
        try await orders.load(state.withLock { Array($0.riderBoards[region, default: []].prefix(limit)) })
    }
    public func myOrders(_ customerId: String, limit: Int) async throws -> [Order] {
        try await orders.load(state.withLock { Array($0.myOrders[customerId, default: []].prefix(limit)) })
    }
    public func inbox(_ customerId: String, limit: Int) async throws -> [String] { state.withLock { Array($0.inboxes[customerId, default: []].prefix(limit)) } }
    public func cookingQueue(_ storeId: String) async throws -> [(orderId: String, startedAt: Int64)] { state.withLock { $0.cookingQueues[storeId, default: []] } }
    public func stageTimings(of order: Order) async throws -> [OrderStage: [Int64]] {
        state.withLock { contents in
            var timings: [OrderStage: [Int64]] = [:]
            for stage in OrderStage.allCases {
                timings[stage] = (stage.isStores ? contents.storeTimings[order.storeId]?[stage] : contents.regionTimings[order.region]?[stage]) ?? []
            }
            return timings
        }
    }

    public func dashboard(_ board: Keys.Dashboard) async throws -> [(name: String, count: Int)] {
        state.withLock { $0.dashboards[board, default: [:]].map { ($0.key, $0.value) }.sorted { $0.name < $1.name } }
    }

    public func ordersPerMinute(last minutes: Int, now: Int64) async throws -> [OrdersInMinute] {
        let current = now / 60_000
        return state.withLock { state in
            (current - Int64(minutes) + 1...current).map { OrdersInMinute(minute: $0, counts: state.ordersPerMinute[$0, default: [:]]) }
        }
    }
}
