import Backbone
import JSON

/// The events of an order's life, each on its context's stream (the contract's table).
/// Their `data` is rendered from the order after the change; every event also carries
/// `customerId`, so a policy can tell the customer without reading the order.
public enum OrderEvent: Sendable, Hashable {
    case orderPlaced
    case orderCancelled(reason: String)
    case orderCompleted
    case orderAccepted
    case orderRejected(reason: String)
    case cookingStarted
    case cookingFinished
    case deliveryPicked
    case deliveryCompleted

    public var type: String {
        switch self {
        case .orderPlaced: "OrderPlaced"
        case .orderCancelled: "OrderCancelled"
        case .orderCompleted: "OrderCompleted"
        case .orderAccepted: "OrderAccepted"
        case .orderRejected: "OrderRejected"
        case .cookingStarted: "CookingStarted"
        case .cookingFinished: "CookingFinished"
        case .deliveryPicked: "DeliveryPicked"
        case .deliveryCompleted: "DeliveryCompleted"
        }
    }

    public var stream: StreamName {
        switch self {
        case .orderPlaced, .orderCancelled, .orderCompleted: .order
        case .orderAccepted, .orderRejected, .cookingStarted, .cookingFinished: .store
        case .deliveryPicked, .deliveryCompleted: .delivery
        }
    }

    /// The status an event of this type announces, for consumers that only see the type.
    public static func status(announcedBy type: String) -> OrderStatus? {
        switch type {
        case "OrderPlaced": .placed
        case "OrderAccepted": .accepted
        case "OrderRejected": .rejected
        case "CookingStarted": .cooking
        case "CookingFinished": .cooked
        case "DeliveryPicked": .picked
        case "DeliveryCompleted": .delivered
        case "OrderCompleted": .completed
        case "OrderCancelled": .cancelled
        default: nil
        }
    }

    /// The stream entry announcing this event about `order` (its state after the change).
    public func envelope(for order: Order, at now: Int64) -> EventEnvelope {
        EventEnvelope(type: type, orderId: order.id, at: now, data: data(for: order))
    }

    func data(for order: Order) -> String {
        JSONWriter.object { json in
            json.field("orderId", order.id)
            json.field("customerId", order.customerId)
            switch self {
            case .orderPlaced:
                json.field("storeId", order.storeId)
                Self.writeItems(order.items, into: &json)
                json.field("amount", order.amount)
                json.field("region", order.region)
                json.field("address", order.address)
                json.field("paymentId", order.paymentId)
            case .orderCancelled(let reason), .orderRejected(let reason):
                json.field("storeId", order.storeId)
                Self.writeItems(order.items, into: &json)
                json.field("paymentId", order.paymentId)
                json.field("amount", order.amount)
                json.field("region", order.region)
                json.field("reason", reason)
            case .orderCompleted, .orderAccepted, .cookingStarted:
                json.field("storeId", order.storeId)
            case .cookingFinished:
                json.field("storeId", order.storeId)
                json.field("region", order.region)
            case .deliveryPicked, .deliveryCompleted:
                json.field("riderId", order.riderId ?? "")
                json.field("storeId", order.storeId)
                json.field("region", order.region)
            }
        }
    }

    static func writeItems(_ items: [OrderLine], into json: inout JSONWriter) {
        json.key("items")
        writeLines(items, into: &json)
    }

    /// `[{"foodId","qty","price"}]`, as events, records and views show an order's lines.
    public static func writeLines(_ items: [OrderLine], into json: inout JSONWriter) {
        json.array(items) { json, line in
            json.object { json in
                json.field("foodId", line.foodId)
                json.field("qty", line.qty)
                json.field("price", line.price)
            }
        }
    }
}
