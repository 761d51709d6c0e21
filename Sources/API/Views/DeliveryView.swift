import JSON
import Orders
import Stores

/// An order as a rider sees it: `{"orderId","status","storeId","storeName","pickupAddress",
/// "dropoffAddress","region","items":[{"foodId","qty"}],"units","riderId"?,"updatedAt"}`.
/// No customer id, no payment, no amount, no prices.
enum DeliveryView {
    static func write(_ order: Order, store: Store?, into json: inout JSONWriter) {
        json.object { json in
            json.field("orderId", order.id)
            json.field("status", order.status.rawValue)
            json.field("storeId", order.storeId)
            if let store {
                json.field("storeName", store.name)
                if let address = store.address { json.field("pickupAddress", address) }
            }
            json.field("dropoffAddress", order.address)
            json.field("region", order.region)
            json.key("items")
            json.array(order.items) { json, line in
                json.object { json in
                    json.field("foodId", line.foodId)
                    json.field("qty", line.qty)
                }
            }
            json.field("units", order.items.reduce(0) { $0 + $1.qty })
            if let riderId = order.riderId { json.field("riderId", riderId) }
            json.field("updatedAt", order.updatedAt)
        }
    }
}
