import Backbone
import Orders
import Redis

/// `baedal-worker store-inbox`: puts every placed order on its store's board
/// (`baedal:store:<id>:board`, a sorted set of order ids by the time they were placed).
/// The board shows each order's current status, read from the order itself.
public enum StoreInbox {
    public static let name = "store-inbox"

    public static func boardKey(_ keys: Keys, store storeId: String) -> String { keys.key("store", storeId, "board") }

    public static func policy(keys: Keys) -> Policy {
        Policy(name: name, streams: [.order]) { message in
            let event = try EventEnvelope(message)
            guard event.type == "OrderPlaced" else { return .none }
            let key = boardKey(keys, store: try EventData.requiredId("storeId", from: event))
            return Effects([.command(key: key, keyType: "zset", RedisCommand("ZADD", key, String(event.at), event.orderId))])
        }
    }
}
