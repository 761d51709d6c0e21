import JSON

/// The JSON in an entry's `data`: one shape for every event about an order (the contract's
/// table), written in one place and read in one pass. A writer sets the members its event
/// carries; a reader gets every member it found, and asks for the ones it needs
/// (`requiredId`), which must be there and be ids (`Identifier`). Members it does not know are
/// skipped, so producers may add members (the contract allows it) without breaking anyone.
public struct EventData: Sendable, Hashable {
    /// One ordered food: `{"foodId","qty","price"}`.
    public struct Line: Sendable, Hashable {
        public var foodId: String
        public var qty: Int
        public var price: Int

        public init(foodId: String, qty: Int, price: Int) {
            self.foodId = foodId
            self.qty = qty
            self.price = price
        }
    }

    public var orderId: String?
    public var customerId: String?
    public var storeId: String?
    public var items: [Line]?
    public var amount: Int?
    public var region: String?
    public var address: String?
    public var paymentId: String?
    public var riderId: String?
    public var reason: String?
    /// Who decided (an `OrderRejected`'s `store`, or `platform`).
    public var by: String?
    /// A `DeadlineDue`'s deadline (`accept`, `pickup`) and when it was due (ms).
    public var deadline: String?
    public var due: Int?
    /// When the stage the event ends began (ms; `OrderStage`).
    public var since: Int?

    public init(orderId: String? = nil, customerId: String? = nil, storeId: String? = nil, items: [Line]? = nil, amount: Int? = nil,
                region: String? = nil, address: String? = nil, paymentId: String? = nil, riderId: String? = nil, reason: String? = nil,
                by: String? = nil) {
        self.orderId = orderId
        self.customerId = customerId
        self.storeId = storeId
        self.items = items
        self.amount = amount
        self.region = region
        self.address = address
        self.paymentId = paymentId
        self.riderId = riderId
        self.reason = reason
        self.by = by
    }

    // MARK: Writing

    /// The members that are set, in the contract's order. `itemsJSON`, when given, is written
    /// for `items` as it is: a commit renders an order's lines once, for its hash and its event.
    public func json(itemsJSON: String? = nil) -> String {
        JSONWriter.object { json in
            if let orderId { json.field("orderId", orderId) }
            if let customerId { json.field("customerId", customerId) }
            if let storeId { json.field("storeId", storeId) }
            if let itemsJSON {
                json.key("items")
                json.raw(itemsJSON)
            } else if let items {
                json.key("items")
                Self.write(items, into: &json)
            }
            if let amount { json.field("amount", amount) }
            if let region { json.field("region", region) }
            if let address { json.field("address", address) }
            if let paymentId { json.field("paymentId", paymentId) }
            if let riderId { json.field("riderId", riderId) }
            if let reason { json.field("reason", reason) }
            if let by { json.field("by", by) }
            if let deadline { json.field("deadline", deadline) }
            if let due { json.field("due", due) }
            if let since { json.field("since", since) }
        }
    }

    /// `[{"foodId","qty","price"}]`, as events, records and views show an order's lines.
    public static func write(_ lines: [Line], into json: inout JSONWriter) {
        json.array(lines) { json, line in
            json.object { json in
                json.field("foodId", line.foodId)
                json.field("qty", line.qty)
                json.field("price", line.price)
            }
        }
    }

    /// The lines alone, as JSON.
    public static func json(_ lines: [Line]) -> String {
        var json = JSONWriter()
        write(lines, into: &json)
        return json.text
    }

    // MARK: Reading

    /// Reads the event's `data` in one pass; anything not of this shape is malformed.
    public init(reading envelope: EventEnvelope) throws(MalformedEvent) {
        self.init()
        var data = self
        do {
            try JSONReader.read(envelope.data) { reader throws(JSONReader.Failure) in
                try reader.readObject { reader, key throws(JSONReader.Failure) in
                    switch key {
                    case "orderId": data.orderId = try reader.readString()
                    case "customerId": data.customerId = try reader.readString()
                    case "storeId": data.storeId = try reader.readString()
                    case "items": data.items = try Self.readLines(&reader)
                    case "amount": data.amount = try reader.readInt()
                    case "region": data.region = try reader.readString()
                    case "address": data.address = try reader.readString()
                    case "paymentId": data.paymentId = try reader.readString()
                    case "riderId": data.riderId = try reader.readString()
                    case "reason": data.reason = try reader.readString()
                    case "by": data.by = try reader.readString()
                    case "deadline": data.deadline = try reader.readString()
                    case "due": data.due = try reader.readInt()
                    case "since": data.since = try reader.readInt()
                    default: try reader.skipValue()
                    }
                }
            }
        } catch {
            throw MalformedEvent("\(envelope.type) data: \(error)")
        }
        self = data
    }

    /// `[{"foodId","qty","price"?}]`: every line needs its food and quantity.
    public static func readLines(_ reader: inout JSONReader) throws(JSONReader.Failure) -> [Line] {
        var lines: [Line] = []
        try reader.readArray { reader throws(JSONReader.Failure) in
            var foodId: String?, qty: Int?, price = 0
            try reader.readObject { reader, key throws(JSONReader.Failure) in
                switch key {
                case "foodId": foodId = try reader.readString()
                case "qty": qty = try reader.readInt()
                case "price": price = try reader.readInt()
                default: try reader.skipValue()
                }
            }
            guard let foodId else { throw reader.fail("foodId is missing") }
            guard let qty else { throw reader.fail("qty is missing") }
            lines.append(Line(foodId: foodId, qty: qty, price: price))
        }
        return lines
    }

    /// A member that must be there, not be empty, and be an id (a policy builds a key from it).
    public func requiredId(_ member: KeyPath<EventData, String?>, _ name: StaticString, of envelope: EventEnvelope) throws(MalformedEvent) -> String {
        guard let value = self[keyPath: member], !value.isEmpty else { throw MalformedEvent("\(envelope.type) data: \(name) is missing") }
        if let problem = Identifier.problem(value) { throw MalformedEvent("\(envelope.type) data: \(name) \(problem)") }
        return value
    }

    /// A member that must be there and not be empty (free text or an id used as it is).
    public func required(_ member: KeyPath<EventData, String?>, _ name: StaticString, of envelope: EventEnvelope) throws(MalformedEvent) -> String {
        guard let value = self[keyPath: member], !value.isEmpty else { throw MalformedEvent("\(envelope.type) data: \(name) is missing") }
        return value
    }

    /// A member that may be absent or empty; when it is there it must be an id.
    public func optionalId(_ member: KeyPath<EventData, String?>, _ name: StaticString, of envelope: EventEnvelope) throws(MalformedEvent) -> String? {
        guard let value = self[keyPath: member], !value.isEmpty else { return nil }
        if let problem = Identifier.problem(value) { throw MalformedEvent("\(envelope.type) data: \(name) \(problem)") }
        return value
    }
}
