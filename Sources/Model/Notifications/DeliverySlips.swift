import Contract
import JSON
import Numbers
import Orders

/// What the notification policy reads to tell a slip: the order, the recent stage durations
/// where it is, and what its customer was last promised (`Keys.promisedDeliveries`).
public protocol PromiseBook: Sendable {
    func order(_ orderId: String) async throws -> Order?
    func timings(store: String, region: String) async throws -> [OrderStage: [Int64]]
    func promised(_ orderId: String) async throws -> Int64?
}

/// Tells a customer, once per slip, that their food will arrive more than `slip` later than they
/// were last told (issue 24). The promise is made when the order is placed (its estimated delivery
/// time, `Keys.promisedDeliveries`) with a `slip` deadline at promise + slip. The deadline fires
/// only if the food has not arrived by then (delivering, cancelling or rejecting the order clears
/// it in the same commit), and then the estimate, never before now, is at least `slip` later than
/// the promise: the customer is told the new time, which becomes the promise, with the next
/// deadline `slip` after it. The message, the new promise and the next deadline are one message's
/// effects: applied once, however often the deadline is delivered.
public struct DeliverySlips: Sendable {
    public let keys: Keys
    public let book: any PromiseBook
    public let slipMilliseconds: Int64
    public let now: EpochClock

    public init(keys: Keys, book: any PromiseBook, slipSeconds: Int, now: @escaping EpochClock) {
        self.keys = keys
        self.book = book
        slipMilliseconds = Int64(slipSeconds) * 1_000
        self.now = now
    }

    /// What the customer reads when the food will be late.
    public static let slippedText = "배달이 예상보다 늦어지고 있습니다. 새 예상 도착 시각을 확인해 주세요"

    /// The promise (and the deadline that checks it) an event makes or ends, if any.
    public func effects(of event: EventEnvelope, type: EventType, data: EventData, messageId: String) async throws -> Effects {
        switch type {
        case .orderPlaced:
            guard let storeId = try data.optionalId(\.storeId, "storeId", of: event),
                  let region = try data.optionalId(\.region, "region", of: event) else { return .none }
            let times = StageTimes(recent: try await book.timings(store: storeId, region: region))
            guard let estimate = times.estimate(OrderStage.allCases, began: event.at, now: now()) else { return .none }
            return promise(event.orderId, estimate)
        case .deliveryCompleted, .orderCancelled, .orderRejected:
            return Effects([.remove(sortedSet: keys.promisedDeliveries, member: event.orderId)])
        case .deadlineDue where data.deadline == OrderDeadline.slip.rawValue:
            guard let order = try await book.order(event.orderId), order.stagesAhead != nil else {
                // Over (or never written): no promise is kept for it any more.
                return Effects([.remove(sortedSet: keys.promisedDeliveries, member: event.orderId)])
            }
            let times = StageTimes(recent: try await book.timings(store: order.storeId, region: order.region))
            guard let estimate = order.estimatedDeliveryAt(times, now: now()) else { return .none }
            let promised = try await book.promised(order.id)
            guard let promised, estimate >= promised.clampedAdding(slipMilliseconds) else {
                // Nothing promised (the placement's message came later than this), or not late
                // enough yet (a promise moved meanwhile): check again a slip after the promise.
                return promise(order.id, promised ?? estimate)
            }
            let json = JSONWriter.object { json in
                json.field("orderId", order.id)
                json.field("status", order.status.rawValue)
                json.field("text", Self.slippedText)
                json.field("at", event.at)
                json.field("eventId", messageId)
                json.field("estimatedDeliveryAt", estimate)
                json.field("previouslyEstimated", promised)
            }
            return Effects([.add(sortedSet: keys.inbox(order.customerId), member: json, score: event.at)]) + promise(order.id, estimate)
        default:
            return .none
        }
    }

    /// `estimate` as the promise, checked again a slip after it.
    func promise(_ orderId: String, _ estimate: Int64) -> Effects {
        Effects([
            .add(sortedSet: keys.promisedDeliveries, member: orderId, score: estimate),
            .add(sortedSet: keys.deadlines, member: OrderDeadline.slip.member(orderId), score: estimate.clampedAdding(slipMilliseconds)),
        ])
    }
}
