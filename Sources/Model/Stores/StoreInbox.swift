import Contract

/// `baedal-worker store-inbox`: puts every placed order on its store's board
/// (`Keys.storeBoard`, order ids by the time they were placed).
/// Pure: a message in, the board's write out; the runtime applies it exactly once.
public enum StoreInbox {
    public static let name = "store-inbox"

    public static func policy(keys: Keys) -> Policy {
        Policy(name: name, streams: [.order]) { message in try effects(of: message, keys: keys) }
    }

    /// `OrderPlaced` → `ZADD` of the order on its store's board, scored by when it was placed.
    public static func effects(of message: StreamMessage, keys: Keys) throws(MalformedEvent) -> Effects {
        let event = try EventEnvelope(message)
        guard event.eventType == .orderPlaced else { return .none }
        let storeId = try event.decoded().requiredId(\.storeId, "storeId", of: event)
        return Effects([.add(sortedSet: keys.storeBoard(storeId), member: event.orderId, score: event.at)])
    }
}
