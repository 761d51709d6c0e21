import Stores
import Synchronization

/// Stores and menus in memory.
public final class InMemoryStoreCatalog: StoreCatalog {
    private let state = Mutex<(stores: [String: Store], menus: [String: Menu])>(([:], [:]))

    public init(_ stores: [(Store, Menu)] = []) {
        state.withLock { state in
            for (store, menu) in stores {
                state.stores[store.storeId] = store
                state.menus[store.storeId] = menu
            }
        }
    }

    public func all() async throws -> [Store] { state.withLock { $0.stores.values.sorted { $0.storeId < $1.storeId } } }
    public func store(_ storeId: String) async throws -> Store? { state.withLock { $0.stores[storeId] } }

    public func stores(_ storeIds: Set<String>) async throws -> [String: Store] {
        state.withLock { state in state.stores.filter { storeIds.contains($0.key) } }
    }

    public func menu(of storeId: String) async throws -> Menu? {
        try state.withLock { state in
            guard state.stores[storeId] != nil else { return nil }
            return try state.menus[storeId] ?? Menu(items: [])
        }
    }

    public func save(_ store: Store) async throws { state.withLock { $0.stores[store.storeId] = store } }

    public func replaceMenu(of storeId: String, with menu: Menu) async throws -> Bool {
        state.withLock { state in
            guard state.stores[storeId] != nil else { return false }
            state.menus[storeId] = menu
            return true
        }
    }
}
