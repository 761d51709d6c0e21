import Contract
import Stores

/// An owner creates or updates their store (name, region, address).
public struct SaveStore: Sendable {
    let catalog: any StoreCatalog

    public init(catalog: any StoreCatalog) { self.catalog = catalog }

    public func callAsFunction(_ storeId: String, name: String, region: String, address: String?, by owner: Actor) async throws -> Store {
        try StoreError.check(owner, owns: storeId)
        let store = try Store.validated(storeId: storeId, name: name, region: region, address: address)
        try await catalog.save(store)
        return store
    }
}

/// An owner replaces their store's menu.
public struct ReplaceMenu: Sendable {
    let catalog: any StoreCatalog

    public init(catalog: any StoreCatalog) { self.catalog = catalog }

    public func callAsFunction(_ storeId: String, items: [MenuItem], by owner: Actor) async throws -> Menu {
        try StoreError.check(owner, owns: storeId)
        let menu = try Menu(items: items)
        guard try await catalog.replaceMenu(of: storeId, with: menu) else { throw StoreError.notFound(storeId) }
        return menu
    }
}

extension StoreError {
    /// Only a store's owner acts on it.
    static func check(_ actor: Actor, owns storeId: String) throws(StoreError) {
        guard actor.owns(store: storeId) else { throw .notYourStore(owned: actor.store, asked: storeId) }
    }
}
