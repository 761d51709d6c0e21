import Contract

/// A dashboard's counts (units per food, deliveries per rider), by name.
public struct ShowDashboard: Sendable {
    let views: any Views
    public init(views: any Views) { self.views = views }
    public func callAsFunction(_ board: Keys.Dashboard) async throws -> [(name: String, count: Int)] { try await views.dashboard(board) }
}

/// Orders per minute by status over the last `minutes` minutes (the console's chart).
public struct OrdersPerMinute: Sendable {
    let views: any Views
    public init(views: any Views) { self.views = views }
    public func callAsFunction(last minutes: Int = 60, now: Int64) async throws -> [OrdersInMinute] {
        try await views.ordersPerMinute(last: minutes, now: now)
    }
}
