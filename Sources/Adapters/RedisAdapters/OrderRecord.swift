import Contract
import JSON
import Numbers
import Orders
import Redis

/// How an order is kept in its Redis hash (`baedal:order:<id>`): one field per attribute, the
/// lines as JSON. `version` belongs to the atomic commit.
public enum OrderRecord {
    public static func fields(of order: Order, itemsJSON: String? = nil) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("status", order.status.rawValue),
            ("customerId", order.customerId),
            ("storeId", order.storeId),
            ("items", itemsJSON ?? EventData.json(order.items)),
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

    /// The fields a decision can change (`Order`'s `var`s): what a commit after the first writes.
    /// The placement's fields are in the hash since its first commit and never change (they are
    /// `let`), and a commit only stands on the version it read, so writing them again would only
    /// cost the script their bytes (issue 20).
    public static func changingFields(of order: Order) -> [(String, String)] {
        var fields: [(String, String)] = [("status", order.status.rawValue), ("updatedAt", String(order.updatedAt))]
        if let riderId = order.riderId { fields.append(("riderId", riderId)) }
        if let started = order.cookingStartedAt { fields.append(("cookingStartedAt", String(started))) }
        return fields
    }

    /// Reads an order back from its hash's fields; nil when the hash is absent or not an order.
    ///
    /// The hash is written by commits only, but anyone with `redis-cli` can change it, and what is
    /// read here is compared (ownership), added up and subtracted (times, the queue, the timeline).
    /// So a hash is an order only when every field is one a commit could have written: ids by the
    /// id rule, times `EpochTime` accepts, lines and amount within `OrderLimits`.
    public static func order(id: String, fields: [String: String]) -> Order? {
        func validId(_ name: String) -> String? { fields[name].flatMap { Identifier.isValid($0) ? $0 : nil } }
        func time(_ name: String) -> Int64? { fields[name].flatMap { EpochTime.milliseconds($0) } }
        guard let statusText = fields["status"], let status = OrderStatus(rawValue: statusText),
              let customerId = validId("customerId"), let storeId = validId("storeId"),
              let itemsText = fields["items"], let items = try? items(itemsText), isValid(items),
              let amount = fields["amount"].flatMap({ Int($0) }), (0...OrderLimits.maxAmount).contains(amount),
              let placedAt = time("placedAt"),
              let version = fields["version"].flatMap({ Int($0) }), (0...OrderLimits.maxSafeInteger).contains(version)
        else { return nil }
        // Optional fields: absent, or valid. One that is there but not valid makes it no order.
        for name in ["riderId", "updatedAt", "cookingStartedAt"] where fields[name] != nil {
            guard name == "riderId" ? validId(name) != nil : time(name) != nil else { return nil }
        }
        for name in ["region", "paymentId"] where fields[name].map({ !$0.isEmpty && !Identifier.isValid($0) }) ?? false { return nil }
        return Order(id: id, customerId: customerId, storeId: storeId, items: items, amount: amount,
                     region: fields["region"] ?? "", address: fields["address"] ?? "", paymentId: fields["paymentId"] ?? "",
                     status: status, riderId: validId("riderId"), placedAt: placedAt,
                     updatedAt: time("updatedAt") ?? placedAt,
                     cookingStartedAt: time("cookingStartedAt"), version: version)
    }

    /// Lines a placement could have priced: a known number of them, each a food id with a
    /// quantity and a price within the limits.
    static func isValid(_ lines: [OrderLine]) -> Bool {
        lines.count <= OrderLimits.maxLines && lines.allSatisfy { line in
            Identifier.isValid(line.foodId) && (1...OrderLimits.maxQuantity).contains(line.qty) && (1...OrderLimits.maxPrice).contains(line.price)
        }
    }

    static func items(_ text: String) throws(JSONReader.Failure) -> [OrderLine] {
        var lines: [OrderLine] = []
        try JSONReader.read(text) { reader throws(JSONReader.Failure) in lines = try EventData.readLines(&reader) }
        return lines
    }

    /// An order from an `HGETALL` reply; nil when the hash is absent or not an order.
    public static func order(id: String, reply: RESPValue) -> Order? {
        var fields: [String: String] = [:]
        for (name, value) in reply.pairs {
            if let name = name.string, let value = value.string { fields[name] = value }
        }
        return fields.isEmpty ? nil : order(id: id, fields: fields)
    }
}

extension OrderRecord {
    /// The order as a board's copy holds it: the hash's fields (with `id` and `version`) in one
    /// JSON object of strings, read back by the same rules as the hash.
    public static func copy(of order: Order, version: Int, itemsJSON: String? = nil) -> String {
        JSONWriter.object { json in
            json.field("id", order.id)
            json.field("version", String(version))
            for (name, value) in fields(of: order, itemsJSON: itemsJSON) { json.field(name, value) }
        }
    }

    /// An order from its copy; nil when the text is not one (written by hand, or by another version).
    public static func order(copy text: String) -> Order? {
        var fields: [String: String] = [:]
        fields.reserveCapacity(16)  // a copy's dozen fields without growing the table on the way
        do {
            try JSONReader.read(text) { reader throws(JSONReader.Failure) in
                try reader.readObject { reader, key throws(JSONReader.Failure) in fields[key.string] = try reader.readString() }
            }
        } catch {
            return nil
        }
        guard let id = fields["id"], Identifier.isValid(id) else { return nil }
        return order(id: id, fields: fields)
    }
}
