import Backbone
import JSON

/// `OrderPlaced`, `OrderCancelled` and `OrderRejected` carry the ordered items.
struct OrderedItems: EventDataView {
    struct Item {
        var foodId: String
        var qty: Int
    }
    var items: [Item]

    init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var items: [Item]?
        try reader.readObject { reader, key throws(JSONReader.Failure) in
            guard key == "items" else { return try reader.skipValue() }
            var list: [Item] = []
            try reader.readArray { reader throws(JSONReader.Failure) in
                var foodId: String?
                var qty: Int?
                try reader.readObject { reader, key throws(JSONReader.Failure) in
                    switch key {
                    case "foodId": foodId = try reader.readString()
                    case "qty": qty = try reader.readInt()
                    default: try reader.skipValue()
                    }
                }
                guard let foodId else { throw reader.fail("foodId is missing") }
                guard let qty else { throw reader.fail("qty is missing") }
                list.append(Item(foodId: foodId, qty: qty))
            }
            items = list
        }
        guard let items else { throw reader.fail("items is missing") }
        self.items = items
    }
}
