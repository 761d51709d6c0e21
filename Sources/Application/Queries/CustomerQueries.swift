import Contract
import Orders

/// "My page": the customer's orders, newest first.
public struct MyOrders: Sendable {
    let orders: any OrderRepository
    let views: any Views
    public init(orders: any OrderRepository, views: any Views) { (self.orders, self.views) = (orders, views) }
    public func callAsFunction(_ customer: Actor) async throws -> [Order] {
        try await views.myOrders(customer.id, limit: 200).sorted { ($0.placedAt, $0.id) > ($1.placedAt, $1.id) }
    }
}

/// The messages sent to the customer, newest first (each a JSON object).
public struct MyNotifications: Sendable {
    let views: any Views
    public init(views: any Views) { self.views = views }
    public func callAsFunction(_ customer: Actor) async throws -> [String] { try await views.inbox(customer.id, limit: 500) }
}
