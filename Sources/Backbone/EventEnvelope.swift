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

    /// The stream entry's fields, in the contract's order.
    public var fields: [(String, String)] {
        [("type", type), ("orderId", orderId), ("at", String(at)), ("data", data)]
    }

    /// Reads the envelope of a delivered entry. `type`, `orderId` and `data` must be there;
    /// `at`, when present, must be a whole number (entries written by hand may leave it out).
    public init(_ message: StreamMessage) throws(MalformedEvent) {
        guard let type = message.string("type"), !type.isEmpty else { throw MalformedEvent("the entry has no 'type' field") }
        guard let orderId = message.string("orderId"), !orderId.isEmpty else { throw MalformedEvent("the entry has no 'orderId' field") }
        guard let data = message.string("data") else { throw MalformedEvent("the entry has no 'data' field") }
        var at: Int64 = 0
        if let text = message.string("at") {
            guard let value = Int64(text) else { throw MalformedEvent("'at' is not milliseconds since the epoch: '\(text)'") }
            at = value
        }
        self.init(type: type, orderId: orderId, at: at, data: data)
    }
}

/// A stream entry that is not an event of the contract's shape. Retrying cannot help:
/// the runtime dead-letters it at once.
public struct MalformedEvent: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed event: \(reason)" }
}
