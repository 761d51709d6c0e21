/// The Redis writes a policy wants for one message: a small closed set of writes, each of which
/// says the type of the key it touches, so a policy is pure (no client, no command strings) and
/// the runtime knows every key and type before it writes. The runtime applies them in the same
/// atomic step that acknowledges the message, and only if this delivery is the one that
/// acknowledges it: redelivered or claimed-twice messages never apply twice.
public struct Effects: Sendable, Hashable {
    /// The type a key must have (or be absent) for a write to go to it.
    public enum KeyType: String, Sendable, Hashable {
        case hash, stream, zset, list
    }

    public enum Write: Sendable, Hashable {
        /// `HINCRBY hash field delta`. Increments commute, so a batch may add them up first.
        case increment(hash: String, field: String, by: Int)
        /// `XADD stream * field value ...`.
        case append(stream: String, fields: [StreamField])
        /// `ZADD sortedSet score member`.
        case add(sortedSet: String, member: String, score: Int64)
        /// `ZREM sortedSet member`.
        case remove(sortedSet: String, member: String)
        /// `LPUSH list value`.
        case push(list: String, value: String)
        /// `LTRIM list 0 keep-1`: the list keeps its first `keep` (at least 1) values.
        case trim(list: String, keep: Int)
        /// `EXPIREAT key seconds`, written once per batch and key (the latest time asked for),
        /// after the batch's other writes: the buckets of a time series go when nobody shows
        /// them any more, for the cost of one command per bucket and batch.
        case expire(key: String, type: KeyType, atSeconds: Int64)

        /// The key it writes.
        public var key: String {
            switch self {
            case .increment(let key, _, _), .append(let key, _), .add(let key, _, _), .remove(let key, _), .push(let key, _),
                 .trim(let key, _), .expire(let key, _, _): key
            }
        }

        /// The type that key must have.
        public var keyType: KeyType {
            switch self {
            case .increment: .hash
            case .append: .stream
            case .add, .remove: .zset
            case .push, .trim: .list
            case .expire(_, let type, _): type
            }
        }
    }

    public var writes: [Write]

    public init(_ writes: [Write] = []) { self.writes = writes }

    /// Nothing to write: the message is only acknowledged.
    public static let none = Effects()

    public var isEmpty: Bool { writes.isEmpty }

    public mutating func increment(_ hash: String, field: String, by delta: Int) {
        writes.append(.increment(hash: hash, field: field, by: delta))
    }

    public mutating func append(to stream: String, _ envelope: EventEnvelope) {
        writes.append(.append(stream: stream, fields: envelope.streamFields))
    }

    public static func + (a: Effects, b: Effects) -> Effects { Effects(a.writes + b.writes) }
}
