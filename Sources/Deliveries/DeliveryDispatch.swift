import Backbone
import Orders
import Redis

/// `baedal-worker delivery-dispatch`: the riders' side of an order.
/// - `CookingFinished` opens the delivery: `DeliveryOpened` and a job on its region's board
///   (`baedal:deliveries:<region>:waiting`, order ids by the time cooking finished).
/// - `OrderCancelled` and `OrderRejected` cancel it: `DeliveryCancelled` (the delivery of an
///   order exists, waiting for the kitchen, from the moment it is placed).
/// - `DeliveryPicked` and `DeliveryCancelled` take the job off the board.
/// The board is an index: riders see only jobs whose order is still `cooked`, so a job that a
/// late event left behind is never offered.
public enum DeliveryDispatch {
    public static let name = "delivery-dispatch"

    public static func boardKey(_ keys: Keys, region: String) -> String { keys.key("deliveries", region, "waiting") }

    public static func policy(keys: Keys) -> Policy {
        Policy(name: name, streams: [.order, .store, .delivery]) { message in
            let event = try EventEnvelope(message)
            switch event.type {
            case "CookingFinished":
                let job = try EventData.decode(DeliveryJob.self, from: event)
                let board = boardKey(keys, region: job.region)
                var effects = Effects([.command(key: board, keyType: "zset", RedisCommand("ZADD", board, String(event.at), event.orderId))])
                effects.append(to: keys.stream(.delivery), fields: announce("DeliveryOpened", job, event))
                return effects
            case "OrderCancelled", "OrderRejected":
                let job = try EventData.decode(DeliveryJob.self, from: event)
                let board = boardKey(keys, region: job.region)
                var effects = Effects([.command(key: board, keyType: "zset", RedisCommand("ZREM", board, event.orderId))])
                effects.append(to: keys.stream(.delivery), fields: announce("DeliveryCancelled", job, event))
                return effects
            case "DeliveryPicked":
                let job = try EventData.decode(DeliveryJob.self, from: event)
                let board = boardKey(keys, region: job.region)
                return Effects([.command(key: board, keyType: "zset", RedisCommand("ZREM", board, event.orderId))])
            default:
                return .none
            }
        }
    }

    static func announce(_ type: String, _ job: DeliveryJob, _ cause: EventEnvelope) -> [(String, String)] {
        let data = JSONWriter.object { json in
            json.field("orderId", cause.orderId)
            json.field("region", job.region)
            json.field("customerId", job.customerId)
            json.field("storeId", job.storeId)
        }
        return EventEnvelope(type: type, orderId: cause.orderId, at: epochMilliseconds(), data: data).fields
    }
}

/// What dispatch reads: the region, and who to tell.
struct DeliveryJob: EventDataView {
    var region: String
    var customerId: String
    var storeId: String

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var region: String?, customerId = "", storeId = ""
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            switch key {
            case "region": region = try reader.readString()
            case "customerId": customerId = try reader.readString()
            case "storeId": storeId = try reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let region, !region.isEmpty else { throw reader.fail("region is missing") }
        if let problem = Identifier.problem(region) { throw reader.fail("region \(problem)") }
        self.region = region
        self.customerId = customerId
        self.storeId = storeId
    }
}
