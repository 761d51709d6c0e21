import Backbone

/// What the dashboards read of the events they count (more fields may exist; these must).

/// `OrderPlaced`, `OrderCancelled` and `OrderRejected` carry the ordered items.
struct OrderedItems: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        let foodId: String
        let qty: Int
    }
    let items: [Item]
}

/// `DeliveryPicked` names the rider.
struct PickedBy: Decodable, Sendable {
    let riderId: String
}
