import Backbone
import JSON

/// How an order is kept in its Redis hash (`baedal:order:<id>`): one field per attribute, the
/// lines as JSON. `version` belongs to the atomic commit.
public enum OrderRecord {
    public static func fields(of order: Order) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("status", order.status.rawValue),
            ("customerId", order.customerId),
            ("storeId", order.storeId),
            ("items", itemsJSON(order.items)),
            ("amount", String(order.amount)),
            ("region", order.region),
            ("address", order.address),
            ("paymentId", order.paymentId),
            ("placedAt", String(order.placedAt)),
            ("updatedAt", String(order.updatedAt)),
        ]
        if let riderId = order.riderId { fields.append(("riderId", riderId)) }
        if let started = order.cookingStartedAt { fields.append(("cookingStartedAt", String(started))) }
        return fields
    }

    /// Reads an order back from its hash's fields; nil when the hash is absent or not an order.
    public static func order(id: String, fields: [String: String]) -> Order? {
        guard let statusText = fields["status"], let status = OrderStatus(rawValue: statusText),
              let customerId = fields["customerId"], let storeId = fields["storeId"],
              let itemsText = fields["items"], let items = try? items(itemsText),
              let amount = fields["amount"].flatMap({ Int($0) }),
              let placedAt = fields["placedAt"].flatMap({ Int64($0) }),
              let version = fields["version"].flatMap({ Int($0) })
        else { return nil }
        return Order(id: id, customerId: customerId, storeId: storeId, items: items, amount: amount,
                     region: fields["region"] ?? "", address: fields["address"] ?? "", paymentId: fields["paymentId"] ?? "",
                     status: status, riderId: fields["riderId"], placedAt: placedAt,
                     updatedAt: fields["updatedAt"].flatMap { Int64($0) } ?? placedAt,
                     cookingStartedAt: fields["cookingStartedAt"].flatMap { Int64($0) }, version: version)
    }

    static func itemsJSON(_ items: [OrderLine]) -> String {
        var json = JSONWriter()
        OrderEvent.writeLines(items, into: &json)
        return json.text
    }

    static func items(_ text: String) throws(JSONReader.Failure) -> [OrderLine] {
        var lines: [OrderLine] = []
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in
            try reader.readArray { reader throws(JSONReader.Failure) in
                var foodId = "", qty = 0, price = 0
                try reader.readObject { reader, key throws(JSONReader.Failure) in
                    switch key {
                    case "foodId": foodId = try reader.readString()
                    case "qty": qty = try reader.readInt()
                    case "price": price = try reader.readInt()
                    default: try reader.skipValue()
                    }
                }
                lines.append(OrderLine(foodId: foodId, qty: qty, price: price))
            }
        }
        return lines
    }
}
