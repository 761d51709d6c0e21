import Backbone

/// The projector's views for customers: "my page" and the kitchens' queues.
public struct ViewKeys: Sendable, Hashable {
    public let keys: Keys

    public init(_ keys: Keys) {
        self.keys = keys
    }

    /// `baedal:customer:<id>:orders`: a list of the customer's order ids, newest pushed first
    /// (readers order them by `placedAt`: instances may push in a slightly different order).
    public func customerOrders(_ customerId: String) -> String { keys.key("customer", customerId, "orders") }

    /// `baedal:store:<id>:cooking`: the store's cooking orders by the time cooking started.
    public func cookingQueue(_ storeId: String) -> String { keys.key("store", storeId, "cooking") }
}
