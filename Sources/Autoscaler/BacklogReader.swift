import Autoscaling
import Contract
import Operations
import Policies
import Redis

/// Each policy's backlog as `baedalctl status` shows it: for every group of the policy's daemon
/// (`PolicyCatalog`), every stream that group reads and every partition of the key space, the
/// group's lag and pending (`StreamInspector`, i.e. `XINFO STREAM` and `XINFO GROUPS`), summed.
///
/// - A stream that does not exist holds nothing.
/// - The daemon's main group (named after it) missing on an existing stream means no instance
///   ever joined: the whole stream waits for it (a new group reads from the beginning). Other
///   groups (the webhook's) exist only when configured, so a missing one counts nothing.
/// - When Redis cannot tell a group's lag (entries deleted inside its range), the entries after
///   its last delivered id are counted, up to `countLimit` (enough to size to MAX).
/// - Every partition's streams are read in one pipeline (each command names one key: on a
///   cluster each goes to its partition's slot).
public struct BacklogReader: Sendable {
    public let keySpace: KeySpace
    public let redis: any RedisExecutor

    public init(keySpace: KeySpace, redis: any RedisExecutor) {
        self.keySpace = keySpace
        self.redis = redis
    }

    /// One untagged partition of these keys.
    public init(keys: Keys, redis: any RedisExecutor) {
        self.init(keySpace: KeySpace(prefix: keys.prefix), redis: redis)
    }

    /// Each policy's backlog summed over the partitions.
    public func backlogs(of daemons: [PolicyDaemon], countLimit: Int) async throws -> [String: Backlog] {
        var result: [String: Backlog] = [:]
        for partition in try await backlogsByPartition(of: daemons, countLimit: countLimit) {
            for (name, backlog) in partition { result[name] = (result[name] ?? .empty) + backlog }
        }
        return result
    }

    /// Each policy's backlog in each partition, by partition.
    public func backlogsByPartition(of daemons: [PolicyDaemon], countLimit: Int) async throws -> [[String: Backlog]] {
        let partitions = keySpace.all
        let names = Array(Set(daemons.flatMap { $0.groups.flatMap(\.streams) })).sorted { $0.rawValue < $1.rawValue }
        let keys = partitions.flatMap { partition in names.map(partition.stream) }
        var streams: [String: StreamInspector.Stream] = [:]
        for stream in try await StreamInspector(keys: partitions[0], redis: redis).streams(keys) { streams[stream.key] = stream }
        var result: [[String: Backlog]] = []
        for partition in partitions {
            var backlogs: [String: Backlog] = [:]
            for daemon in daemons {
                var backlog = Backlog.empty
                for group in daemon.groups {
                    for name in group.streams {
                        let key = partition.stream(name)
                        guard let stream = streams[key], stream.length > 0 || !stream.groups.isEmpty else { continue }
                        guard let found = stream.groups.first(where: { $0.name == group.name }) else {
                            if group.name == daemon.name { backlog = backlog + Backlog(lag: max(0, stream.length), pending: 0) }
                            continue
                        }
                        var lag = max(0, found.lag ?? 0)
                        if found.lag == nil { lag = try await undelivered(key, after: found.lastDeliveredId, limit: countLimit) }
                        backlog = backlog + Backlog(lag: lag, pending: max(0, found.pending))
                    }
                }
                backlogs[daemon.name] = backlog
            }
            result.append(backlogs)
        }
        return result
    }

    private func undelivered(_ key: String, after id: String, limit: Int) async throws -> Int {
        try await redis.send(RedisCommand("XRANGE", key, "(" + id, "+", "COUNT", String(limit))).array?.count ?? 0
    }
}
