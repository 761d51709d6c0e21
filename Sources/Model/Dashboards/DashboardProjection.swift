import Contract

/// The dashboards as a projection of events: what each event changes in the two hashes.
/// Pure: no Redis here; the runtime applies the returned effects exactly once.
public struct DashboardProjection: Sendable {
    public let foodOrders: String
    public let riderDeliveries: String

    public init(keys: Keys) {
        foodOrders = keys.dashboard(.foodOrders)
        riderDeliveries = keys.dashboard(.riderDeliveries)
    }

    /// Units per food rise with `OrderPlaced` and fall back with `OrderCancelled`/`OrderRejected`;
    /// a rider's count rises with each `DeliveryPicked`. Every other event changes nothing.
    public func effects(of event: EventEnvelope, type: EventType, data: EventData) throws(MalformedEvent) -> Effects {
        var effects = Effects()
        switch type {
        case .orderPlaced, .orderCancelled, .orderRejected:
            guard let items = data.items else { throw MalformedEvent("\(event.type) data: items is missing") }
            let sign = type == .orderPlaced ? 1 : -1
            for (index, item) in items.enumerated() {
                if let problem = Identifier.problem(item.foodId) { throw MalformedEvent("\(event.type) data: items[\(index)].foodId \(problem)") }
                guard (1...OrderLimits.maxQuantity).contains(item.qty) else {
                    throw MalformedEvent("\(event.type) data: items[\(index)].qty must be 1…\(OrderLimits.maxQuantity), got \(item.qty)")
                }
                effects.increment(foodOrders, field: item.foodId, by: sign * item.qty)
            }
        case .deliveryPicked:
            let riderId = try data.requiredId(\.riderId, "riderId", of: event)
            effects.increment(riderDeliveries, field: riderId, by: 1)
        default:
            break
        }
        return effects
    }
}
