import Contract
import Logging
import Orders

/// `baedal-worker store-inbox`: the store's side of a new order.
/// - `OrderPlaced` puts it on its store's board (`Keys.storeBoard`, order ids by the time they
///   were placed): pure, a message in, the board's write out, applied exactly once.
/// - The `accept` deadline (`DeadlineDue` on `deadlines`) rejects an order its store has not
///   answered in time, as the platform (`Order.storeDidNotAnswer`): committed through the order's
///   own read-decide-commit, so it and an owner's accept are decided atomically (the version
///   check) and a deadline told twice, or late, finds the order moved on and changes nothing. One
///   told before the order's time (written by hand, or by an API with a shorter timeout) is set
///   again for the order's own time.
///   The refund, the cancelled delivery and the customer's message follow from `OrderRejected`
///   as for an owner's rejection.
public enum StoreInbox {
    public static let name = "store-inbox"

    /// The board and the `accept` deadline.
    public static func policy(keys: Keys, orders: any OrderRepository, acceptTimeoutSeconds: Int, logger: Logger,
                              now: @escaping EpochClock) -> Policy {
        Policy(name: name, streams: [.order, .deadlines]) { message in
            let event = try EventEnvelope(message)
            guard keys.streamName(ofKey: message.stream) == .deadlines else { return try effects(of: message, keys: keys) }
            guard EventType.on(.deadlines, event.type) == .deadlineDue, try event.decoded().deadline == OrderDeadline.accept.rawValue else {
                return .none
            }
            var rejected = false
            let order = try await orders.change(event.orderId) { order throws(OrderError) in
                let change = order.storeDidNotAnswer(within: acceptTimeoutSeconds, at: now())
                rejected = change != nil
                return change
            }
            if rejected {
                logger.notice("order rejected: its store did not answer in time", metadata: [
                    "orderId": "\(event.orderId)", "storeId": "\(order?.storeId ?? "-")", "timeoutSeconds": "\(acceptTimeoutSeconds)",
                ])
            } else if let order, order.status == .placed {
                // Told before its time: set again for when it is due.
                let due = order.answerDue(within: acceptTimeoutSeconds)
                logger.warning("accept deadline told before the order's time; set again", metadata: [
                    "orderId": "\(order.id)", "placedAt": "\(order.placedAt)", "due": "\(due)",
                ])
                return Effects([.add(sortedSet: keys.deadlines, member: OrderDeadline.accept.member(order.id), score: due)])
            }
            return .none
        }
    }

    /// `OrderPlaced` → `ZADD` of the order on its store's board, scored by when it was placed.
    public static func effects(of message: StreamMessage, keys: Keys) throws(MalformedEvent) -> Effects {
        let event = try EventEnvelope(message)
        guard event.eventType == .orderPlaced else { return .none }
        let storeId = try event.decoded().requiredId(\.storeId, "storeId", of: event)
        return Effects([.add(sortedSet: keys.storeBoard(storeId), member: event.orderId, score: event.at)])
    }
}
