import Logging
import Redis

/// A `ClusterExecutor` built on `NIORedisClient`s (one per node) closes them with itself.
extension NIORedisClient: ClosableRedisExecutor {}

extension NIORedisClient {
    /// The request paths' executor for a configuration: this client on a single Redis or behind
    /// Sentinel; on a Redis Cluster a `ClusterExecutor` over one of these per node, so that
    /// routing is the cluster executor's alone.
    public static func executor(for configuration: RedisConfiguration, logger: Logger = Logger(label: "baedal.redis")) -> any ClosableRedisExecutor {
        guard configuration.cluster != nil else { return NIORedisClient(configuration: configuration, logger: logger) }
        return ClusterExecutor(configuration: configuration, logger: logger) { node in
            NIORedisClient(configuration: node, logger: logger)
        }
    }
}
