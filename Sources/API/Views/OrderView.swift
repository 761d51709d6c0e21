import Contract
import JSON
import Orders

/// How an order is shown (the contract's `GET /orders/{id}`).
enum OrderView {
    static func json(_ order: Order, queuePosition: Int? = nil, estimatedDeliveryAt: Int64? = nil, for viewer: Actor.Role? = nil) -> String {
        var json = JSONWriter()
        write(order, queuePosition: queuePosition, estimatedDeliveryAt: estimatedDeliveryAt, for: viewer, into: &json)
        return json.text
    }

    /// The rider who picked the order sees the contract's fields but not the payment.
    static func write(_ order: Order, queuePosition: Int? = nil, estimatedDeliveryAt: Int64? = nil, for viewer: Actor.Role? = nil,
                      into json: inout JSONWriter) {
        json.object { json in
            json.field("orderId", order.id)
            json.field("status", order.status.rawValue)
            json.field("storeId", order.storeId)
            json.field("customerId", order.customerId)
            json.key("items")
            EventData.write(order.items, into: &json)
            json.field("amount", order.amount)
            json.field("region", order.region)
            json.field("address", order.address)
            if viewer != .rider { json.field("paymentId", order.paymentId) }
            if let riderId = order.riderId { json.field("riderId", riderId) }
            if let queuePosition { json.field("queuePosition", queuePosition) }
            if let estimatedDeliveryAt { json.field("estimatedDeliveryAt", estimatedDeliveryAt) }
            json.field("placedAt", order.placedAt)
            json.field("updatedAt", order.updatedAt)
        }
    }

    static func list(_ orders: [Order]) -> String {
        var json = JSONWriter()
        json.array(orders) { json, order in write(order, into: &json) }
        return json.text
    }
}
