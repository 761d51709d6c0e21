import Contract
import JSON

public struct Menu: Sendable, Hashable {
    public static let maxItems = 200
    public var items: [MenuItem]

    /// Every item's `foodId` is an id (unique in the menu), its name plain text, its price whole
    /// won within `OrderLimits.maxPrice`: what an order can be priced from without overflow.
    public init(items: [MenuItem]) throws(StoreError) {
        guard items.count <= Self.maxItems else { throw .invalid("a menu has at most \(Self.maxItems) items") }
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            if let problem = Identifier.problem(item.foodId) { throw .invalid("items[\(index)].foodId \(problem)") }
            guard !item.name.isEmpty else { throw .invalid("items[\(index)].name must not be empty") }
            if let problem = FreeText.problem(item.name, maxLength: Store.maxNameLength) { throw .invalid("items[\(index)].name \(problem)") }
            guard (1...OrderLimits.maxPrice).contains(item.price) else {
                throw .invalid("items[\(index)].price must be whole won from 1 to \(OrderLimits.maxPrice), got \(item.price)")
            }
            guard seen.insert(item.foodId).inserted else { throw .invalid("items[\(index)].foodId '\(item.foodId)' appears twice") }
        }
        self.items = items
    }

    /// `foodId` → unit price, what an order is priced from.
    public var prices: [String: Int] {
        Dictionary(items.map { ($0.foodId, $0.price) }, uniquingKeysWith: { first, _ in first })
    }

    /// The contract's JSON for the items (`[{"foodId","name","price"}]`), also how it is stored.
    public var itemsJSON: String {
        var json = JSONWriter()
        json.array(items) { json, item in
            json.object { json in
                json.field("foodId", item.foodId)
                json.field("name", item.name)
                json.field("price", item.price)
            }
        }
        return json.text
    }

    /// Reads `[{"foodId","name","price"}]`; extra fields are ignored, wrong types are errors.
    public static func readItems(_ reader: inout JSONReader) throws(JSONReader.Failure) -> [MenuItem] {
        var items: [MenuItem] = []
        try reader.readArray { reader throws(JSONReader.Failure) in
            var foodId: String?, name: String?, price: Int?
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "foodId": foodId = try reader.readString()
                case "name": name = try reader.readString()
                case "price": price = try reader.readInt()
                default: try reader.skipValue()
                }
            }
            guard let foodId else { throw reader.fail("foodId is missing") }
            guard let name else { throw reader.fail("name is missing") }
            guard let price else { throw reader.fail("price is missing") }
            items.append(MenuItem(foodId: foodId, name: name, price: price))
        }
        return items
    }
}
