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
}
