import Orders
import Stores

/// The riders' board of a region: jobs whose order is cooked and has no rider yet, oldest first,
/// each with the store to pick it up from (a late event's leftover is never offered).
public struct WaitingDeliveries: Sendable {
    let orders: any OrderRepository
    let catalog: any StoreCatalog
    let views: any Views
    public init(orders: any OrderRepository, catalog: any StoreCatalog, views: any Views) {
        (self.orders, self.catalog, self.views) = (orders, catalog, views)
    }
    public func callAsFunction(region: String) async throws -> [(order: Order, store: Store?)] {
        let waiting = try await views.riderBoard(region, limit: 200).filter { $0.status == .cooked }
        let stores = try await catalog.stores(Set(waiting.map(\.storeId)))
        return waiting.map { ($0, stores[$0.storeId]) }
    }
}

/// The store an order is picked up from (a rider's view of a delivery).
public struct PickupStore: Sendable {
    let catalog: any StoreCatalog
    public init(catalog: any StoreCatalog) { self.catalog = catalog }
    public func callAsFunction(of order: Order) async throws -> Store? { try await catalog.store(order.storeId) }
}
