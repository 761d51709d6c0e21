import Backbone
import Contract
import Redis

/// What `redis-cli XINFO` tells about the streams, gathered into one picture for operators
/// (`baedalctl status`, the console). Cheap on a big Redis: `XINFO` answers from the stream's
/// header, and every stream, group and consumer is read in three round trips in all.
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
        /// The fields of the newest entry (from `XINFO STREAM`, no extra read).
        public var lastEntry: [StreamField] = []
    }

    public let keys: Keys
    public let redis: any RedisExecutor

    public init(keys: Keys, redis: any RedisExecutor) {
        self.keys = keys
        self.redis = redis
    }

    /// The keys of every event stream of the deployment and of the dead-letter stream.
    public var streamKeys: [String] { StreamName.allCases.map(keys.stream) + [keys.dead] }

    /// Every event stream of the deployment and the dead-letter stream.
    public func streams() async throws -> [Stream] {
        try await streams(streamKeys)
    }

    public func stream(_ key: String) async throws -> Stream {
        try await streams([key])[0]
    }

    /// The streams `keys` in order; an absent one has length 0 and no groups.
    public func streams(_ keys: [String]) async throws -> [Stream] {
        let infos = try await redis.each(keys.map { RedisCommand("XINFO", "STREAM", $0) })
        var streams: [Stream] = []
        var present: [Int] = []
        for (key, info) in zip(keys, infos) {
            guard case .array = info else {
                try Self.absent(info)  // no such key; any other error fails the whole read
                streams.append(Stream(key: key, length: 0, groups: []))
                continue
            }
            let fields = info.fields
            present.append(streams.count)
            streams.append(Stream(key: key, length: fields["length"]?.int ?? 0,
                                  firstId: fields["first-entry"]?.array?.first?.string,
                                  lastId: fields["last-entry"]?.array?.first?.string, groups: [],
                                  lastEntry: (fields["last-entry"]?.array?.last?.pairs ?? []).map { StreamField($0.name.string ?? "", $0.value.bytes ?? []) }))
        }
        // The groups of every present stream, then the consumers of every group: a stream
        // deleted meanwhile answers an error, read as no groups.
        let groupReplies = try await redis.each(present.map { RedisCommand("XINFO", "GROUPS", streams[$0].key) })
        var members: [(stream: Int, group: Int)] = []
        for (index, reply) in zip(present, groupReplies) {
            try Self.absent(reply)
            for group in reply.array ?? [] {
                let g = group.fields
                members.append((index, streams[index].groups.count))
                streams[index].groups.append(Group(name: g["name"]?.string ?? "?", pending: g["pending"]?.int ?? 0, lag: g["lag"]?.int,
                                                   lastDeliveredId: g["last-delivered-id"]?.string ?? "0-0", consumers: []))
            }
        }
        let consumerReplies = try await redis.each(members.map {
            RedisCommand("XINFO", "CONSUMERS", streams[$0.stream].key, streams[$0.stream].groups[$0.group].name)
        })
        for (member, reply) in zip(members, consumerReplies) {
            try Self.absent(reply)
            streams[member.stream].groups[member.group].consumers = (reply.array ?? []).map { consumer in
                let c = consumer.fields
                return Consumer(name: c["name"]?.string ?? "?", pending: c["pending"]?.int ?? 0, idleMilliseconds: c["idle"]?.int ?? 0)
            }
        }
        return streams
    }

    /// An error reply that only says the stream (or its group) is not there — deleted, or never
    /// written — reads as absent; any other (a partition whose node is loading, failing over, or
    /// refusing) is thrown: a total over partitions must fail as a whole, never count a part it
    /// could not read as empty.
    static func absent(_ reply: RESPValue) throws {
        guard case .error(let message) = reply else { return }
        if message.hasPrefix("ERR no such key") || message.hasPrefix("NOGROUP") { return }
        throw RedisError(errorReply: message)
    }

    /// The newest id each stream has ever issued (`last-generated-id`), by key; absent streams are left out.
    public func lastGeneratedIds(_ keys: [String]) async throws -> [String: String] {
        var ids: [String: String] = [:]
        for (key, info) in zip(keys, try await redis.each(keys.map { RedisCommand("XINFO", "STREAM", $0) })) {
            try Self.absent(info)
            if case .array = info, let id = info.fields["last-generated-id"]?.string { ids[key] = id }
        }
        return ids
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

    /// The pending entries of `group` on every stream it reads, at most `count` per stream; nil
    /// when no stream has that group.
    public func pending(group: String, count: Int) async throws -> [Pending]? {
        let reading = try await streams().filter { $0.groups.contains { $0.name == group } }
        guard !reading.isEmpty else { return nil }
        let replies = try await redis.each(reading.map { RedisCommand("XPENDING", $0.key, group, "-", "+", String(count)) })
        var result: [Pending] = []
        for (stream, reply) in zip(reading, replies) {
            for entry in reply.array ?? [] {
                guard let parts = entry.array, parts.count == 4, let id = parts[0].string else { continue }
                result.append(Pending(stream: stream.key, id: id, consumer: parts[1].string ?? "?", idleMilliseconds: parts[2].int ?? 0,
                                      deliveries: parts[3].int ?? 0))
            }
        }
        // What each entry is (a trimmed entry reads as nothing), and when a failed one is due
        // again (`RetryBook`), in one more round trip.
        let book = RetryBook(keys: keys, group: group)
        let originals = try await redis.each(result.map { RedisCommand("XRANGE", $0.stream, $0.id, $0.id) })
        let retries = try await redis.each(result.map { RedisCommand("HGET", book.key, RetryBook.field(stream: $0.stream, id: $0.id)) })
        for (index, original) in originals.enumerated() {
            if let fields = original.array?.first?.array?.last {
                result[index].type = fields.fields["type"]?.string
                result[index].orderId = fields.fields["orderId"]?.string
            }
            if let value = retries[index].string, let retry = RetryBook.entry(stream: result[index].stream, id: result[index].id, value: value) {
                result[index].nextDue = retry.due
                result[index].lastError = retry.reason
            }
        }
        return result
    }
}
