import Backbone

/// The dashboards as a projection of events: what each event changes in the two hashes.
/// Pure: no Redis here; the runtime applies the returned effects exactly once.
public struct DashboardProjection: Sendable {
    public let foodOrders: String
    public let riderDeliveries: String

    public init(keys: Keys) {
        foodOrders = Dashboards.key(keys, .foodOrders)
        riderDeliveries = Dashboards.key(keys, .riderDeliveries)
    }

    /// The events this projection counts, by stream (the contract's table).
    public enum Counted: Sendable {
        case orderPlaced, orderCancelled, orderRejected, deliveryPicked

        init?(stream: StreamName, type: String) {
            switch (stream, type) {
            case (.order, "OrderPlaced"): self = .orderPlaced
            case (.order, "OrderCancelled"): self = .orderCancelled
            case (.store, "OrderRejected"): self = .orderRejected
            case (.delivery, "DeliveryPicked"): self = .deliveryPicked
            default: return nil
            }
        }
    }

    /// Units per food rise with `OrderPlaced` and fall back with `OrderCancelled`/`OrderRejected`;
    /// a rider's count rises with each `DeliveryPicked`. Every other event changes nothing.
    public func effects(of event: EventEnvelope, on stream: StreamName) throws(MalformedEvent) -> Effects {
        guard let counted = Counted(stream: stream, type: event.type) else { return .none }
        var effects = Effects()
        switch counted {
        case .orderPlaced, .orderCancelled, .orderRejected:
            let order = try EventData.decode(OrderedItems.self, from: event)
            let sign = counted == .orderPlaced ? 1 : -1
            for (index, item) in order.items.enumerated() {
                if let problem = Identifier.problem(item.foodId) { throw MalformedEvent("\(event.type) data: items[\(index)].foodId \(problem)") }
                guard (1...OrderLimits.maxQuantity).contains(item.qty) else {
                    throw MalformedEvent("\(event.type) data: items[\(index)].qty must be 1…\(OrderLimits.maxQuantity), got \(item.qty)")
                }
                effects.increment(foodOrders, field: item.foodId, by: sign * item.qty)
            }
        case .deliveryPicked:
            let picked = try EventData.decode(PickedBy.self, from: event)
            if let problem = Identifier.problem(picked.riderId) { throw MalformedEvent("DeliveryPicked data: riderId \(problem)") }
            effects.increment(riderDeliveries, field: picked.riderId, by: 1)
        }
        return effects
    }
}
