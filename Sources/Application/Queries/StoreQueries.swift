import Contract
import Orders
import Stores

/// Every store: `GET /stores`.
public struct ListStores: Sendable {
    let catalog: any StoreCatalog
    public init(catalog: any StoreCatalog) { self.catalog = catalog }
    public func callAsFunction() async throws -> [Store] { try await catalog.all() }
}

/// A store's menu: `GET /stores/{id}/menu`.
public struct ShowMenu: Sendable {
    let catalog: any StoreCatalog
    public init(catalog: any StoreCatalog) { self.catalog = catalog }
    public func callAsFunction(_ storeId: String) async throws -> Menu {
        guard let menu = try await catalog.menu(of: storeId) else { throw StoreError.notFound(storeId) }
        return menu
    }
}

/// The owner's board: the orders the store received (newest first, up to 200), each with its
/// status as the order says now (the board is an index the policies keep).
public struct StoreOrders: Sendable {
    let orders: any OrderRepository
    let views: any Views
    public init(orders: any OrderRepository, views: any Views) { (self.orders, self.views) = (orders, views) }
    public func callAsFunction(_ storeId: String, by owner: Actor) async throws -> [Order] {
        try StoreError.check(owner, owns: storeId)
        return try await views.storeBoard(storeId, limit: 200)
    }
}
