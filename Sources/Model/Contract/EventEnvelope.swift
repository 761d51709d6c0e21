import Numbers

/// What every stream entry carries (the contract): `type`, `orderId`, `at` (ms since the epoch) and
/// `data`, the event as JSON. `redis-cli XRANGE` reads it as a log.
public struct EventEnvelope: Sendable, Hashable {
    public var type: String
    public var orderId: String
    public var at: Int64
    public var data: String

    public init(type: String, orderId: String, at: Int64, data: String) {
        self.type = type
        self.orderId = orderId
        self.at = at
        self.data = data
    }

    public init(_ type: EventType, orderId: String, at: Int64, data: EventData) {
        self.init(type: type.rawValue, orderId: orderId, at: at, data: data.json())
    }

    /// The type, when it is one the platform knows.
    public var eventType: EventType? { EventType(rawValue: type) }

    /// The stream entry's fields, in the contract's order.
    public var fields: [(String, String)] {
        [("type", type), ("orderId", orderId), ("at", String(at)), ("data", data)]
    }

    /// The same, as an entry's fields.
    public var streamFields: [StreamField] { fields.map { StreamField($0.0, $0.1) } }

    /// The event's data in its one shape (`EventData`).
    public func decoded() throws(MalformedEvent) -> EventData { try EventData(reading: self) }

    /// Reads the envelope of a delivered entry. `type`, `orderId` and `data` must be there and be
    /// UTF-8 text; `orderId` must be an id (`Identifier`: policies build keys from it); `at`, when
    /// present, must be a time `EpochTime` accepts (entries written by hand may leave it out), so
    /// that a policy's arithmetic on it cannot trap.
    public init(_ message: StreamMessage) throws(MalformedEvent) {
        let type = try Self.text("type", of: message)
        guard !type.isEmpty else { throw MalformedEvent("the entry has an empty 'type' field") }
        let orderId = try Self.text("orderId", of: message)
        if let problem = Identifier.problem(orderId) { throw MalformedEvent("'orderId' \(problem)") }
        let data = try Self.text("data", of: message)
        var at: Int64 = 0
        if let value = message.value("at") {
            guard let number = EpochTime.milliseconds(String(decoding: value.prefix(40), as: UTF8.self)), value.count <= 40 else {
                throw MalformedEvent("'at' is not milliseconds since the epoch between 1970 and 9999: '\(String(decoding: value.prefix(40), as: UTF8.self))'")
            }
            at = number
        }
        self.init(type: type, orderId: orderId, at: at, data: data)
    }

    private static func text(_ name: String, of message: StreamMessage) throws(MalformedEvent) -> String {
        guard let bytes = message.value(name) else { throw MalformedEvent("the entry has no '\(name)' field") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw MalformedEvent("'\(name)' is not UTF-8 text") }
        return text
    }
}
