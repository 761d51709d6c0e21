import Redis

/// The Redis writes a policy wants for one message. The runtime applies them in the same atomic
/// step that acknowledges the message, and only if this delivery is the one that acknowledges
/// it: redelivered or claimed-twice messages never apply twice.
public struct Effects: Sendable, Hashable {
    public enum Write: Sendable, Hashable {
        /// `HINCRBY key field delta`. Increments commute, so a batch may add them up first.
        case increment(key: String, field: String, by: Int)
        /// `XADD key * field value ...`.
        case append(stream: String, fields: [StreamField])
        /// Any other command; `key` (of type `keyType`, or absent) is checked before anything is written.
        case command(key: String, keyType: String, RedisCommand)
        /// `EXPIREAT key seconds`, written once per batch and key (the latest time asked for),
        /// after the batch's other writes: the buckets of a time series go when nobody shows
        /// them any more, for the cost of one command per bucket and batch.
        case expireAt(key: String, keyType: String, seconds: Int64)
    }

    public var writes: [Write]

    public init(_ writes: [Write] = []) { self.writes = writes }

    /// Nothing to write: the message is only acknowledged.
    public static let none = Effects()

    public mutating func increment(_ key: String, field: String, by delta: Int) {
        writes.append(.increment(key: key, field: field, by: delta))
    }

    public mutating func append(to stream: String, fields: [(String, String)]) {
        writes.append(.append(stream: stream, fields: fields.map { StreamField($0.0, $0.1) }))
    }
}
