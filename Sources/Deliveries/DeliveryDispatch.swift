import Backbone
import JSON
import Redis

/// `baedal-worker delivery-dispatch`: the riders' side of an order.
/// - `CookingFinished` opens the delivery: `DeliveryOpened` and a job on its region's board
///   (`RiderBoard`).
/// - `OrderCancelled` and `OrderRejected` cancel it: `DeliveryCancelled` (the delivery of an
///   order exists, waiting for the kitchen, from the moment it is placed).
/// - `DeliveryPicked` and `DeliveryCancelled` take the job off the board.
/// The board is an index: riders see only jobs whose order is still `cooked`, so a job that a
/// late event left behind is never offered.
public enum DeliveryDispatch {
    public static let name = "delivery-dispatch"

    /// `now` stamps the announcements it writes (`DeliveryOpened`, `DeliveryCancelled`).
    public static func policy(keys: Keys, now: @escaping @Sendable () -> Int64) -> Policy {
        Policy(name: name, streams: [.order, .store, .delivery]) { message in try effects(of: message, keys: keys, now: now()) }
    }

    /// Pure: the board's writes and the announcement one message asks for.
    public static func effects(of message: StreamMessage, keys: Keys, now: Int64) throws(MalformedEvent) -> Effects {
        let event = try EventEnvelope(message)
        switch event.type {
        case "CookingFinished":
            let job = try EventData.decode(DeliveryJob.self, from: event)
            let board = RiderBoard.key(keys, region: job.region)
            var effects = Effects([.command(key: board, keyType: "zset", RedisCommand("ZADD", board, String(event.at), event.orderId))])
            effects.append(to: keys.stream(.delivery), fields: announce("DeliveryOpened", job, event, at: now))
            return effects
        case "OrderCancelled", "OrderRejected":
            let job = try EventData.decode(DeliveryJob.self, from: event)
            let board = RiderBoard.key(keys, region: job.region)
            var effects = Effects([.command(key: board, keyType: "zset", RedisCommand("ZREM", board, event.orderId))])
            effects.append(to: keys.stream(.delivery), fields: announce("DeliveryCancelled", job, event, at: now))
            return effects
        case "DeliveryPicked":
            let job = try EventData.decode(DeliveryJob.self, from: event)
            let board = RiderBoard.key(keys, region: job.region)
            return Effects([.command(key: board, keyType: "zset", RedisCommand("ZREM", board, event.orderId))])
        default:
            return .none
        }
    }

    static func announce(_ type: String, _ job: DeliveryJob, _ cause: EventEnvelope, at now: Int64) -> [(String, String)] {
        let data = JSONWriter.object { json in
            json.field("orderId", cause.orderId)
            json.field("region", job.region)
            json.field("customerId", job.customerId)
            json.field("storeId", job.storeId)
        }
        return EventEnvelope(type: type, orderId: cause.orderId, at: now, data: data).fields
    }
}
