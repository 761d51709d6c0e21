import Redis

/// The Redis writes a policy wants for one message. The runtime applies them in the same atomic
/// step that acknowledges the message, and only if this delivery is the one that acknowledges
/// it: redelivered or claimed-twice messages never apply twice.
public struct Effects: Sendable, Hashable {
    public enum Write: Sendable, Hashable {
        /// `HINCRBY key field delta`. Increments commute, so a batch may add them up first.
        case increment(key: String, field: String, by: Int)
        /// `XADD key * field value ...`.
        case append(stream: String, fields: [(String, [UInt8])])
        /// Any other command; `key` (of type `keyType`, or absent) is checked before anything is written.
        case command(key: String, keyType: String, RedisCommand)

        public static func == (lhs: Write, rhs: Write) -> Bool {
            switch (lhs, rhs) {
            case let (.increment(k1, f1, d1), .increment(k2, f2, d2)): return k1 == k2 && f1 == f2 && d1 == d2
            case let (.append(s1, f1), .append(s2, f2)): return s1 == s2 && f1.elementsEqual(f2, by: { $0.0 == $1.0 && $0.1 == $1.1 })
            case let (.command(k1, t1, c1), .command(k2, t2, c2)): return k1 == k2 && t1 == t2 && c1 == c2
            default: return false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case let .increment(key, field, by): hasher.combine(0); hasher.combine(key); hasher.combine(field); hasher.combine(by)
            case let .append(stream, fields): hasher.combine(1); hasher.combine(stream); hasher.combine(fields.count)
            case let .command(key, type, command): hasher.combine(2); hasher.combine(key); hasher.combine(type); hasher.combine(command)
            }
        }
    }

    public var writes: [Write]

    public init(_ writes: [Write] = []) { self.writes = writes }

    /// Nothing to write: the message is only acknowledged.
    public static let none = Effects()

    public mutating func increment(_ key: String, field: String, by delta: Int) {
        writes.append(.increment(key: key, field: field, by: delta))
    }

    public mutating func append(to stream: String, fields: [(String, String)]) {
        writes.append(.append(stream: stream, fields: fields.map { ($0.0, Array($0.1.utf8)) }))
    }
}
