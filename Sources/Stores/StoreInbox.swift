import Backbone
import Redis

/// `baedal-worker store-inbox`: puts every placed order on its store's board (`StoreBoard`).
/// Pure: a message in, the board's write out; the runtime applies it exactly once.
public enum StoreInbox {
    public static let name = "store-inbox"

    public static func policy(keys: Keys) -> Policy {
        Policy(name: name, streams: [.order]) { message in try effects(of: message, keys: keys) }
    }

    /// `OrderPlaced` → `ZADD` of the order on its store's board, scored by when it was placed.
    public static func effects(of message: StreamMessage, keys: Keys) throws(MalformedEvent) -> Effects {
        let event = try EventEnvelope(message)
        guard event.type == "OrderPlaced" else { return .none }
        let key = StoreBoard.key(keys, store: try EventData.requiredId("storeId", from: event))
        return Effects([.command(key: key, keyType: "zset", RedisCommand("ZADD", key, String(event.at), event.orderId))])
    }
}
