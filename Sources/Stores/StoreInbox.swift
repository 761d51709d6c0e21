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
            let placed = try EventData.decode(PlacedAtStore.self, from: event)
            let key = boardKey(keys, store: placed.storeId)
            return Effects([.command(key: key, keyType: "zset", RedisCommand("ZADD", key, String(event.at), event.orderId))])
        }
    }
}

/// What the inbox reads of `OrderPlaced`.
struct PlacedAtStore: EventDataView {
    var storeId: String

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var storeId: String?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            if key == "storeId" { storeId = try reader.readString() } else { try reader.skipValue() }
        }
        guard let storeId, !storeId.isEmpty else { throw reader.fail("storeId is missing") }
        self.storeId = storeId
    }
}
