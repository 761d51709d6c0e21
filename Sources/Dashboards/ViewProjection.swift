import Backbone
import JSON
import Redis

/// The customers' views as a projection of events: "my page" (every order a customer placed, a
/// list: O(1) per order, where a sorted set cost the projector half its throughput) and each
/// store's cooking queue (orders by the time cooking started, removed when cooked).
/// Pure, like the dashboards; the queue is an index that readers check against order status.
/// An event without the customer or store it names changes no view; the dashboards still count
/// it, so one missing field never costs an exact dashboard.
public struct ViewProjection: Sendable {
    public let keys: Keys

    public init(keys: Keys) {
        self.keys = keys
    }

    public func effects(of event: EventEnvelope, on stream: StreamName) throws(MalformedEvent) -> Effects {
        switch (stream, event.type) {
        case (.order, "OrderPlaced"):
            let owner = try EventData.decode(OrderParties.self, from: event)
            guard !owner.customerId.isEmpty else { return .none }
            let key = MyPage.key(keys, customer: owner.customerId)
            return Effects([.command(key: key, keyType: "list", RedisCommand("LPUSH", key, event.orderId))])
        case (.store, "CookingStarted"):
            let store = try EventData.decode(OrderParties.self, from: event)
            guard !store.storeId.isEmpty else { return .none }
            let key = CookingQueue.key(keys, store: store.storeId)
            return Effects([.command(key: key, keyType: "zset", RedisCommand("ZADD", key, String(event.at), event.orderId))])
        case (.store, "CookingFinished"):
            let store = try EventData.decode(OrderParties.self, from: event)
            guard !store.storeId.isEmpty else { return .none }
            let key = CookingQueue.key(keys, store: store.storeId)
            return Effects([.command(key: key, keyType: "zset", RedisCommand("ZREM", key, event.orderId))])
        default:
            return .none
        }
    }
}
