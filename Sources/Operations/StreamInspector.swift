import Backbone
import Redis

/// What `redis-cli XINFO` tells about the streams, gathered into one picture for operators.
public struct StreamInspector: Sendable {
    public struct Consumer: Sendable, Hashable {
        public var name: String
        public var pending: Int
        public var idleMilliseconds: Int
    }

    public struct Group: Sendable, Hashable {
        public var name: String
        public var pending: Int
        /// Entries not yet delivered to the group (Redis 7's `lag`; nil when Redis cannot tell).
        public var lag: Int?
        public var lastDeliveredId: String
        public var consumers: [Consumer]
    }

    public struct Stream: Sendable, Hashable {
        public var key: String
        public var length: Int
        public var firstId: String?
        public var lastId: String?
        public var groups: [Group]
    }

    public let keys: Keys

    public init(keys: Keys) {
        self.keys = keys
    }

    /// Every event stream of the deployment and the dead-letter stream.
    public func streams(on connection: RedisConnection) throws(RedisError) -> [Stream] {
        try (StreamName.allCases.map(keys.stream) + [keys.dead]).map { key throws(RedisError) in try stream(key, on: connection) }
    }

    public func stream(_ key: String, on connection: RedisConnection) throws(RedisError) -> Stream {
        let info = try connection.sendKeepingErrors(RedisCommand("XINFO", "STREAM", key))
        guard case .array = info else { return Stream(key: key, length: 0, groups: []) }
        let fields = info.fields
        var stream = Stream(key: key, length: fields["length"]?.int ?? 0, groups: [])
        stream.firstId = fields["first-entry"]?.array?.first?.string
        stream.lastId = fields["last-entry"]?.array?.first?.string
        for group in try connection.send(RedisCommand("XINFO", "GROUPS", key)).array ?? [] {
            let g = group.fields
            let name = g["name"]?.string ?? "?"
            let consumers = (try connection.send(RedisCommand("XINFO", "CONSUMERS", key, name)).array ?? []).map { consumer in
                let c = consumer.fields
                return Consumer(name: c["name"]?.string ?? "?", pending: c["pending"]?.int ?? 0, idleMilliseconds: c["idle"]?.int ?? 0)
            }
            stream.groups.append(Group(name: name, pending: g["pending"]?.int ?? 0, lag: g["lag"]?.int,
                                       lastDeliveredId: g["last-delivered-id"]?.string ?? "0-0", consumers: consumers))
        }
        return stream
    }

    /// One pending entry: who holds it, for how long, how often it was delivered, what it is.
    public struct Pending: Sendable, Hashable {
        public var stream: String
        public var id: String
        public var consumer: String
        public var idleMilliseconds: Int
        public var deliveries: Int
        public var type: String?
        public var orderId: String?
        /// When a failed message is delivered again (ms since the epoch), and why it failed
        /// (`RetryBook`); nil for one that is simply being handled.
        public var nextDue: Int64?
        public var lastError: String?
    }

    /// The pending entries of `group` on every stream it reads.
    public func pending(group: String, count: Int, on connection: RedisConnection) throws(RedisError) -> [Pending]? {
        var found = false
        var result: [Pending] = []
        for stream in try streams(on: connection) where stream.groups.contains(where: { $0.name == group }) {
            found = true
            let reply = try connection.send(RedisCommand("XPENDING", stream.key, group, "-", "+", String(count)))
            let ids = (reply.array ?? []).compactMap { $0.array?.first?.string }
            let book = RetryBook(keys: keys, group: group)
            let scheduled = ids.isEmpty ? [] : RetryBook.entries(ids, stream: stream.key, reply: try connection.send(book.looking(up: ids, stream: stream.key)))
            for (index, entry) in (reply.array ?? []).enumerated() {
                guard let parts = entry.array, parts.count == 4, let id = parts[0].string else { continue }
                var pending = Pending(stream: stream.key, id: id, consumer: parts[1].string ?? "?", idleMilliseconds: parts[2].int ?? 0,
                                      deliveries: parts[3].int ?? 0)
                if let original = try connection.send(RedisCommand("XRANGE", stream.key, id, id)).array?.first?.array?.last?.array {
                    let fields = RESPValue.array(original).fields
                    pending.type = fields["type"]?.string
                    pending.orderId = fields["orderId"]?.string
                }
                if index < scheduled.count, let retry = scheduled[index] {
                    pending.nextDue = retry.due
                    pending.lastError = retry.reason
                }
                result.append(pending)
            }
        }
        return found ? result : nil
    }
}
