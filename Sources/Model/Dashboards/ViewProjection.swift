import Contract

/// The customers' views as a projection of events: "my page" (`Keys.myOrders`, every order a
/// customer placed, a list: O(1) per order, where a sorted set cost the projector half its
/// throughput) and each store's cooking queue (`Keys.cookingQueue`, orders by the time cooking
/// started, removed when cooked). Pure, like the dashboards; the queue is an index that readers
/// check against order status. An event without the customer or store it names changes no
/// view; the dashboards still count it, so one missing field never costs an exact dashboard.
public struct ViewProjection: Sendable {
    public let keys: Keys

    public init(keys: Keys) {
        self.keys = keys
    }

    public func effects(of event: EventEnvelope, type: EventType, data: EventData) throws(MalformedEvent) -> Effects {
        switch type {
        case .orderPlaced:
            guard let customerId = try data.optionalId(\.customerId, "customerId", of: event) else { return .none }
            return Effects([.push(list: keys.myOrders(customerId), value: event.orderId)])
        case .cookingStarted:
            guard let storeId = try data.optionalId(\.storeId, "storeId", of: event) else { return .none }
            return Effects([.add(sortedSet: keys.cookingQueue(storeId), member: event.orderId, score: event.at)])
        case .cookingFinished:
            guard let storeId = try data.optionalId(\.storeId, "storeId", of: event) else { return .none }
            return Effects([.remove(sortedSet: keys.cookingQueue(storeId), member: event.orderId)])
        default:
            return .none
        }
    }
}
