/// One field of a stream entry: a name and its bytes.
public struct StreamField: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]

    public init(_ name: String, _ value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name, Array(value.utf8))
    }
}

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
