import Contract
import Numbers
import Redis

/// Where a group's failed messages wait for their next delivery: the hash
/// `<prefix>:retry:<group>`, one field per waiting message (`<stream> <id>`), its value
/// `<due ms> <deliveries> <reason>`. The runtime writes it when a handling fails and clears it
/// when the message is acknowledged; `baedalctl pending` reads it to say when each is next due.
/// The messages themselves stay in the group's pending list, so a crash loses none of them.
public struct RetryBook: Sendable {
    public struct Entry: Sendable, Hashable {
        public var stream: String
        public var id: String
        /// When the next delivery is due, ms since the epoch.
        public var due: Int64
        /// Deliveries so far (the failed one included).
        public var deliveries: Int
        /// Why the last delivery failed.
        public var reason: String
    }

    public let key: String

    public init(keys: Keys, group: String) {
        key = keys.retryBook(group)
    }

    public static func field(stream: String, id: String) -> String { "\(stream) \(id)" }

    /// `HSET` of the entries, one command.
    public func recording(_ entries: [Entry]) -> RedisCommand {
        var command = RedisCommand(["HSET", key])
        for entry in entries {
            command.append(Self.field(stream: entry.stream, id: entry.id))
            command.append("\(entry.due) \(entry.deliveries) \(entry.reason.prefix(300))")
        }
        return command
    }

    /// `HDEL` of the messages' fields, one command.
    public func clearing(_ messages: [(stream: String, id: String)]) -> RedisCommand {
        var command = RedisCommand(["HDEL", key])
        for message in messages { command.append(Self.field(stream: message.stream, id: message.id)) }
        return command
    }

    /// `HMGET` of the messages' fields, one command; read its reply with `entries(_:reply:)`.
    public func looking(up ids: [String], stream: String) -> RedisCommand {
        var command = RedisCommand(["HMGET", key])
        for id in ids { command.append(Self.field(stream: stream, id: id)) }
        return command
    }

    /// The entries an `HMGET` found (nil where a message has none: it is due now).
    public static func entries(_ ids: [String], stream: String, reply: RESPValue) -> [Entry?] {
        let values = reply.array ?? []
        return ids.enumerated().map { index, id in
            guard index < values.count, let text = values[index].string else { return nil }
            return entry(stream: stream, id: id, value: text)
        }
    }

    public static func entry(stream: String, id: String, value: String) -> Entry? {
        let parts = value.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        // Written by the runtime, but anyone can write a hash: an entry with numbers it could not
        // have written reads as none (the message is due now).
        guard parts.count >= 2, let due = EpochTime.milliseconds(parts[0]), let deliveries = Int(parts[1]), deliveries >= 0 else { return nil }
        return Entry(stream: stream, id: id, due: due, deliveries: deliveries, reason: parts.count > 2 ? String(parts[2]) : "")
    }
}
