/// One entry delivered to a consumer: where it came from, its fields in order, and how many
/// times the group has delivered it (1 the first time; more after claims).
public struct StreamMessage: Sendable, Hashable {
    public var stream: String
    public var id: String
    public var fields: [StreamField]
    public var deliveries: Int

    public init(stream: String, id: String, fields: [StreamField], deliveries: Int = 1) {
        self.stream = stream
        self.id = id
        self.fields = fields
        self.deliveries = deliveries
    }

    public func value(_ name: String) -> [UInt8]? {
        fields.first(where: { $0.name == name })?.value
    }

    public func string(_ name: String) -> String? {
        value(name).map { String(decoding: $0, as: UTF8.self) }
    }

}
