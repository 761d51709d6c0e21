import Redis

/// A `ClusterExecutor` built on `NIORedisClient`s (one per node) closes them with itself.
extension NIORedisClient: ClosableRedisExecutor {}
