import Autoscaling
import Contract
import Operations
import Policies
import Redis

/// Each policy's backlog as `baedalctl status` shows it: for every group of the policy's daemon
/// (`PolicyCatalog`) and every stream that group reads, the group's lag and pending
/// (`StreamInspector`, i.e. `XINFO STREAM` and `XINFO GROUPS`), summed.
///
/// - A stream that does not exist holds nothing.
/// - The daemon's main group (named after it) missing on an existing stream means no instance
///   ever joined: the whole stream waits for it (a new group reads from the beginning). Other
///   groups (the webhook's) exist only when configured, so a missing one counts nothing.
/// - When Redis cannot tell a group's lag (entries deleted inside its range), the entries after
///   its last delivered id are counted, up to `countLimit` (enough to size to MAX).
public struct BacklogReader: Sendable {
    public let inspector: StreamInspector

    public init(keys: Keys, redis: any RedisExecutor) {
        inspector = StreamInspector(keys: keys, redis: redis)
    }

    public func backlogs(of daemons: [PolicyDaemon], countLimit: Int) async throws -> [String: Backlog] {
        var streams: [String: StreamInspector.Stream] = [:]
        var result: [String: Backlog] = [:]
        for daemon in daemons {
            var backlog = Backlog.empty
            for group in daemon.groups {
                for name in group.streams {
                    let key = inspector.keys.stream(name)
                    if streams[key] == nil { streams[key] = try await inspector.stream(key) }
                    guard let stream = streams[key], stream.length > 0 || !stream.groups.isEmpty else { continue }
                    guard let found = stream.groups.first(where: { $0.name == group.name }) else {
                        if group.name == daemon.name { backlog = backlog + Backlog(lag: stream.length, pending: 0) }
                        continue
                    }
                    var lag = found.lag ?? 0
                    if found.lag == nil { lag = try await undelivered(key, after: found.lastDeliveredId, limit: countLimit) }
                    backlog = backlog + Backlog(lag: lag, pending: found.pending)
                }
            }
            result[daemon.name] = backlog
        }
        return result
    }

    private func undelivered(_ key: String, after id: String, limit: Int) async throws -> Int {
        try await inspector.redis.send(RedisCommand("XRANGE", key, "(" + id, "+", "COUNT", String(limit))).array?.count ?? 0
    }
}
