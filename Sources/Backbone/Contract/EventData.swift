import JSON

/// What a consumer reads of an event's `data`: only the fields it uses, so producers may add
/// fields (the contract allows it) without breaking anyone.
public protocol EventDataView {
    init(reading reader: inout JSONReader) throws(JSONReader.Failure)
}

public enum EventData {
    /// Reads the view from the event's `data`; anything not of the view's shape is malformed.
    @inlinable
    public static func decode<View: EventDataView>(_ view: View.Type, from envelope: EventEnvelope) throws(MalformedEvent) -> View {
        var view: View?
        do {
            try JSONReader.read(envelope.data) { reader throws(JSONReader.Failure) in view = try View(reading: &reader) }
        } catch {
            throw MalformedEvent("\(envelope.type) data: \(error)")
        }
        return view!
    }

    /// One string member of the event's `data` that must be there and not be empty: what a
    /// policy reads when that is all it needs (`customerId`, `paymentId`, `storeId`).
    public static func requiredString(_ name: StaticString, from envelope: EventEnvelope) throws(MalformedEvent) -> String {
        var value: String?
        do {
            try JSONReader.read(envelope.data) { reader throws(JSONReader.Failure) in
                try reader.readObject { reader, key throws(JSONReader.Failure) in
                    if key == name { value = try reader.readString() } else { try reader.skipValue() }
                }
            }
        } catch {
            throw MalformedEvent("\(envelope.type) data: \(error)")
        }
        guard let value, !value.isEmpty else { throw MalformedEvent("\(envelope.type) data: \(name) is missing") }
        return value
    }

    /// An id member of the event's `data` that a policy builds a key from (`storeId`,
    /// `customerId`, `region`): it must be there and be an `Identifier`.
    public static func requiredId(_ name: StaticString, from envelope: EventEnvelope) throws(MalformedEvent) -> String {
        let value = try requiredString(name, from: envelope)
        try checkId(value, name, in: envelope)
        return value
    }

    /// Throws when `value` (the member `name` of the event's data) is not an `Identifier`.
    public static func checkId(_ value: String, _ name: StaticString, in envelope: EventEnvelope) throws(MalformedEvent) {
        if let problem = Identifier.problem(value) { throw MalformedEvent("\(envelope.type) data: \(name) \(problem)") }
    }
}
