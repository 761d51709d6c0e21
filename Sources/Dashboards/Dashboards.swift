import Backbone

/// The dashboards' hashes: units ordered per food, deliveries per rider.
public struct DashboardKeys: Sendable, Hashable {
    public let foodOrders: String
    public let riderDeliveries: String

    public init(_ keys: Keys) {
        foodOrders = keys.key("dashboard", "food-orders")
        riderDeliveries = keys.key("dashboard", "rider-deliveries")
    }
}
