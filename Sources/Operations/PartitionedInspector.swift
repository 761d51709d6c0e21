import Backbone
import Contract
import Numbers
import Redis

/// `StreamInspector` over every partition of a key space: each stream (the event streams and the
/// dead letters) summed over the partitions, with each partition's own picture beside it. One
/// untagged partition reads exactly what `StreamInspector` reads; every command names one key,
/// so on a cluster each goes to its partition's slot (never a command of several slots).
public struct PartitionedInspector: Sendable {
    /// One stream of the deployment: its total over the partitions, and each partition's.
    public struct Stream: Sendable, Hashable {
        /// The stream's name: `events:order` … or `dead`.
        public var name: String
        /// The sum: length, each group's lag and pending, each consumer (by name) over the partitions.
        public var total: StreamInspector.Stream
        /// Each partition's stream, by partition.
        public var partitions: [StreamInspector.Stream]
    }

    public let keySpace: KeySpace
    public let redis: any RedisExecutor

    public init(keySpace: KeySpace, redis: any RedisExecutor) {
        self.keySpace = keySpace
        self.redis = redis
    }

    /// The names of the streams shown, in order: every event stream, then the dead letters.
    public static var names: [String] { StreamName.allCases.map { "events:\($0.rawValue)" } + ["dead"] }

    /// A stream's key in one partition.
    public static func key(_ name: String, in keys: Keys) -> String {
        StreamName.allCases.first { "events:\($0.rawValue)" == name }.map(keys.stream) ?? keys.dead
    }

    /// The key a total is shown under: the stream's own key with one partition, else the key
    /// with `{*}` for the tag (`baedal:{*}:events:order`), which names every partition's.
    public func totalKey(_ name: String) -> String {
        keySpace.partitions == 1 ? Self.key(name, in: keySpace.keys(ofPartition: 0)) : "\(Keys(prefix: keySpace.prefix, tag: "*").base):\(name)"
    }

    /// Every stream, summed over the partitions, in three round trips in all.
    public func streams() async throws -> [Stream] {
        let names = Self.names
        let partitions = keySpace.all
        let keys = partitions.flatMap { partition in names.map { Self.key($0, in: partition) } }
        let read = try await StreamInspector(keys: partitions[0], redis: redis).streams(keys)
        return names.enumerated().map { index, name in
            let parts = partitions.indices.map { read[$0 * names.count + index] }
            return Stream(name: name, total: parts.count == 1 ? parts[0] : StreamInspector.Stream.sum(parts, key: totalKey(name)), partitions: parts)
        }
    }

    /// The pending entries of `group` in every partition (at most `count` per stream and
    /// partition), by partition; nil when no stream of any partition has that group.
    public func pending(group: String, count: Int) async throws -> [(partition: Int, entries: [StreamInspector.Pending])]? {
        var found: [(partition: Int, entries: [StreamInspector.Pending])] = []
        for (k, keys) in keySpace.all.enumerated() {
            if let entries = try await StreamInspector(keys: keys, redis: redis).pending(group: group, count: count) { found.append((k, entries)) }
        }
        return found.isEmpty ? nil : found
    }
}

extension StreamInspector.Stream {
    /// Streams of several partitions as one: lengths, lags and pending summed (a lag one partition
    /// cannot tell makes the sum unknown), the oldest first entry and the newest last one, each
    /// consumer by name with its pending summed and its shortest idle time.
    public static func sum(_ parts: [Self], key: String) -> Self {
        var total = Self(key: key, length: 0, groups: [])
        var first: StreamID?, last: StreamID?
        for part in parts {
            total.length = total.length.clampedAdding(max(0, part.length))
            if let id = part.firstId.flatMap { StreamID($0) }, first.map({ id < $0 }) ?? true {
                first = id
                total.firstId = part.firstId
            }
            if let id = part.lastId.flatMap { StreamID($0) }, last.map({ id > $0 }) ?? true {
                last = id
                total.lastId = part.lastId
                total.lastEntry = part.lastEntry
            }
            for group in part.groups {
                guard let at = total.groups.firstIndex(where: { $0.name == group.name }) else {
                    total.groups.append(group)
                    continue
                }
                total.groups[at].pending = total.groups[at].pending.clampedAdding(max(0, group.pending))
                total.groups[at].lag = total.groups[at].lag.flatMap { sum in group.lag.map { sum.clampedAdding(max(0, $0)) } }
                if StreamID.ascending(total.groups[at].lastDeliveredId, group.lastDeliveredId) { total.groups[at].lastDeliveredId = group.lastDeliveredId }
                for consumer in group.consumers {
                    if let c = total.groups[at].consumers.firstIndex(where: { $0.name == consumer.name }) {
                        total.groups[at].consumers[c].pending = total.groups[at].consumers[c].pending.clampedAdding(max(0, consumer.pending))
                        total.groups[at].consumers[c].idleMilliseconds = min(total.groups[at].consumers[c].idleMilliseconds, consumer.idleMilliseconds)
                    } else {
                        total.groups[at].consumers.append(consumer)
                    }
                }
            }
        }
        return total
    }
}
