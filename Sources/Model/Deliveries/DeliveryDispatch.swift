import Contract
import Orders

/// `baedal-worker delivery-dispatch`: the riders' side of an order.
/// - `CookingFinished` opens the delivery: `DeliveryOpened` and a job on its region's board
///   (`Keys.riderBoard`, order ids by the time cooking finished).
/// - `OrderCancelled` and `OrderRejected` cancel it: `DeliveryCancelled` (the delivery of an
///   order exists, waiting for the kitchen, from the moment it is placed).
/// - `DeliveryPicked` and `DeliveryCancelled` take the job off the board.
/// - The `pickup` deadline (`DeadlineDue` on `deadlines`) of an order still `cooked` flags it for
///   an operator (`PickupOverdue` on `baedal:flags`, and in `Keys.openPickupFlags` until a rider
///   picks it) and tells the customer, through `PickupOverdue` on `deadlines`, that a rider is
///   still being looked for. `DeliveryPicked` resolves the flag.
/// The board is an index: riders see only jobs whose order is still `cooked`, so a job that a
/// late event left behind is never offered.
public enum DeliveryDispatch {
    public static let name = "delivery-dispatch"

    /// `now` stamps the announcements it writes; the `pickup` deadline reads the order's status
    /// when it comes due.
    public static func policy(keys: Keys, orders: any OrderRepository, now: @escaping EpochClock) -> Policy {
        Policy(name: name, streams: [.order, .store, .delivery, .deadlines]) { message in
            guard keys.streamName(ofKey: message.stream) == .deadlines else { return try effects(of: message, keys: keys, now: now()) }
            let event = try EventEnvelope(message)
            guard EventType.on(.deadlines, event.type) == .deadlineDue, try event.decoded().deadline == OrderDeadline.pickup.rawValue,
                  let order = try await orders.load(event.orderId), order.status == .cooked else { return .none }
            return pickupOverdue(order, keys: keys, at: now())
        }
    }

    /// A cooked order no rider picked in time: the operator's flag, its place among the open
    /// ones, and the entry the customer's message is written from.
    public static func pickupOverdue(_ order: Order, keys: Keys, at now: Int64) -> Effects {
        let entry = EventEnvelope(.pickupOverdue, orderId: order.id, at: now, data: EventData(
            orderId: order.id, customerId: order.customerId, storeId: order.storeId, region: order.region,
            reason: "no rider has picked it up yet")).streamFields
        return Effects([
            .append(stream: keys.flags, fields: entry),
            .add(sortedSet: keys.openPickupFlags, member: order.id, score: now),
            .append(stream: keys.stream(.deadlines), fields: entry),
        ])
    }

    /// Pure: the board's writes and the announcement one message asks for.
    public static func effects(of message: StreamMessage, keys: Keys, now: Int64) throws(MalformedEvent) -> Effects {
        let event = try EventEnvelope(message)
        guard let stream = keys.streamName(ofKey: message.stream), let type = EventType.on(stream, event.type) else { return .none }
        switch type {
        case .cookingFinished:
            let job = try Job(event)
            return Effects([
                .add(sortedSet: keys.riderBoard(job.region), member: event.orderId, score: event.at),
                .append(stream: keys.stream(.delivery), fields: job.announcement(.deliveryOpened, of: event, at: now)),
            ])
        case .orderCancelled, .orderRejected:
            let job = try Job(event)
            return Effects([
                .remove(sortedSet: keys.riderBoard(job.region), member: event.orderId),
                .append(stream: keys.stream(.delivery), fields: job.announcement(.deliveryCancelled, of: event, at: now)),
                .remove(sortedSet: keys.openPickupFlags, member: event.orderId),
            ])
        case .deliveryPicked:
            return Effects([.remove(sortedSet: keys.riderBoard(try Job(event).region), member: event.orderId),
                            .remove(sortedSet: keys.openPickupFlags, member: event.orderId)])
        default:
            return .none
        }
    }

    /// What a delivery needs of its order's events: the region (a key), and who it is for.
    struct Job {
        var region: String
        var customerId: String?
        var storeId: String?

        init(_ event: EventEnvelope) throws(MalformedEvent) {
            let data = try event.decoded()
            region = try data.requiredId(\.region, "region", of: event)
            customerId = try data.optionalId(\.customerId, "customerId", of: event)
            storeId = try data.optionalId(\.storeId, "storeId", of: event)
        }

        func announcement(_ type: EventType, of cause: EventEnvelope, at now: Int64) -> [StreamField] {
            EventEnvelope(type, orderId: cause.orderId, at: now,
                          data: EventData(orderId: cause.orderId, customerId: customerId, storeId: storeId, region: region)).streamFields
        }
    }
}
