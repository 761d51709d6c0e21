import Contract
import Orders
import RedisAdapters
import Testing

/// An order's hash is anyone's to change with `redis-cli`; what is read back is compared,
/// added and subtracted, so a hash is an order only when a commit could have written it
/// (issue 18, item 3).
@Suite("Order hashes read back")
struct OrderRecordTests {
    static let order = Order(id: "o-1", customerId: "c-1", storeId: "s-1", items: [OrderLine(foodId: "pizza", qty: 2, price: 9_000)],
                             amount: 18_000, region: "gangnam", address: "서울", paymentId: "p-1", status: .cooking, riderId: nil,
                             placedAt: 1_700_000_000_000, updatedAt: 1_700_000_001_000, cookingStartedAt: 1_700_000_001_000, version: 3)

    static var fields: [String: String] {
        var fields = Dictionary(uniqueKeysWithValues: OrderRecord.fields(of: order))
        fields["version"] = "3"
        return fields
    }

    @Test func anOrderACommitWroteReadsBack() {
        #expect(OrderRecord.order(id: "o-1", fields: Self.fields) == Self.order)
        // The lines rendered once for a commit are the lines the hash holds.
        #expect(Dictionary(uniqueKeysWithValues: OrderRecord.fields(of: Self.order, itemsJSON: EventData.json(Self.order.items)))["items"]
            == Self.fields["items"])
    }

    @Test(arguments: [
        ("placedAt", "-9223372036854775808"), ("placedAt", "9223372036854775807"), ("updatedAt", "-1"), ("cookingStartedAt", "x"),
        ("amount", "-1"), ("amount", "9223372036854775807"), ("version", "-1"), ("customerId", "c-1:x"), ("customerId", "\u{1100}\u{1161}"),
        ("storeId", ""), ("riderId", "r 1"), ("items", #"[{"foodId":"pizza","qty":100000,"price":9000}]"#),
        ("items", #"[{"foodId":"pizza","qty":1,"price":-5}]"#), ("status", "eaten"),
    ])
    func aHashNoCommitCouldHaveWrittenIsNoOrder(_ field: String, _ value: String) {
        var fields = Self.fields
        fields[field] = value
        #expect(OrderRecord.order(id: "o-1", fields: fields) == nil, "\(field)=\(value)")
    }
}
