import Logging

/// The executor a tool or a worker uses for a configuration, written once for every topology:
/// a pool of blocking clients on a single Redis or behind Sentinel; on a Redis Cluster a
/// `ClusterExecutor` routing each command to its slot's primary through one pool per node.
/// (The API's and the gateway's request paths make theirs from `NIORedisClient` the same way.)
public enum RedisExecutors {
    public static func pool(_ configuration: RedisConfiguration, size: Int = 4, logger: Logger = Logger(label: "baedal.redis")) -> any ClosableRedisExecutor {
        guard configuration.cluster != nil, configuration.cluster?.slot == nil else {
            return RedisPool(configuration: configuration, size: size, logger: logger)
        }
        return ClusterExecutor(configuration: configuration, logger: logger) { node in
            RedisPool(configuration: node, size: size, logger: logger)
        }
    }
}
