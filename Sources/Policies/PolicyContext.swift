import Contract
import Daemon
import Logging
import Orders
import Redis
import RedisAdapters

/// What a daemon's policies are made from: the settings, and the partition they run on (a
/// daemon runs its policies once per partition, each on that partition's keys).
public struct PolicyContext: Sendable {
    public var environment: BaedalEnvironment
    public var variables: [String: String]
    public var logger: Logger
    /// The partition's keys (`KeySpace.keys(ofPartition:)`).
    public var keys: Keys

    public init(environment: BaedalEnvironment, variables: [String: String], logger: Logger, partition: Int = 0) {
        self.environment = environment
        self.variables = variables
        self.keys = environment.keySpace.keys(ofPartition: partition)
        var logger = logger
        if environment.partitions > 1 { logger[metadataKey: "partition"] = "\(partition)" }
        self.logger = logger
    }

    /// Redis for the partition's own reads and writes: on a cluster, following its slot's primary.
    var redis: RedisConfiguration { environment.redis.pinned(toKey: keys.dead) }

    /// The orders, through `redis` (by default a pool of one connection of the partition's own),
    /// with the deployment's deadlines.
    func orders(_ redis: any RedisExecutor) -> RedisOrderRepository {
        RedisOrderRepository(keySpace: environment.keySpace, redis: redis,
                             timeouts: OrderTimeouts(acceptSeconds: environment.acceptTimeoutSeconds, pickupSeconds: environment.pickupTimeoutSeconds))
    }

    var orders: RedisOrderRepository { orders(RedisPool(configuration: redis, size: 1, logger: logger)) }

    /// A non-empty setting, or nil.
    func setting(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
}
