import Contract

/// The stores and their menus: the domain's port (`RedisStoreCatalog` keeps them in Redis, an
/// in-memory twin serves tests).
public protocol StoreCatalog: Sendable {
    /// Every store, by id.
    func all() async throws -> [Store]
    func store(_ storeId: String) async throws -> Store?
    /// Several stores (absent ones are left out), by id.
    func stores(_ storeIds: Set<String>) async throws -> [String: Store]
    /// The store's menu; nil when the store does not exist. A store without a menu has an empty one.
    func menu(of storeId: String) async throws -> Menu?
    /// Creates or updates the store and lists it, both or neither.
    func save(_ store: Store) async throws
    /// Replaces the menu of an existing store; false when there is no such store.
    func replaceMenu(of storeId: String, with menu: Menu) async throws -> Bool
}
