/// An executor that holds connections of its own and lets them go on `close()`: what a
/// `ClusterExecutor` closes of the node executors it made.
public protocol ClosableRedisExecutor: RedisExecutor {
    /// Later calls throw `closed`; connections close once their callers have their replies.
    func close()
}

extension RedisClient: ClosableRedisExecutor {}
extension RedisPool: ClosableRedisExecutor {}
